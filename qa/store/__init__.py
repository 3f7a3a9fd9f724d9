"""Where reports are kept: the Chroma store (embedded or a server) and the embedder that fills it."""
