"""Chat model backends: the bundled local GGUF (llama.cpp, in-process) or an OpenAI-compatible server."""
