"""Chat models: the bundled local GGUF (llama.cpp, in-process) or an OpenAI-compatible server."""
