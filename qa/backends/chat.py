"""``make_chat_model(settings)``: the one place a backend setting becomes a chat model."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from qa.errors import ConfigError, ModelError
from qa.settings import Settings


def resolve_model_path(settings: Settings) -> str:
    """The GGUF to run: ``model_path`` if set, else the bundled Qwen (assembled and verified once)."""
    if settings.model_path:
        if not settings.model_path.is_file():
            raise ModelError(
                f"CONFLICT_QA_MODEL_PATH={settings.model_path} is not a file: give the path of a "
                "GGUF model, or unset it to use the bundled Qwen2.5-Coder-1.5B-Instruct."
            )
        return str(settings.model_path)
    from qa.backends.bundled import assemble

    return str(assemble(settings.cache_dir))


def describe_model(settings: Settings) -> str:
    """A short human label for the model in use, for status lines and reports."""
    if settings.backend == "openai":
        return f"openai-compatible {settings.openai_model} at {settings.openai_base_url}"
    if settings.model_path:
        return f"llama.cpp {settings.model_path.name}"
    return "llama.cpp qwen2.5-coder-1.5b-instruct-q4_k_m (bundled)"


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.backend == "llamacpp":
        from qa.backends.llamacpp import LlamaCppChat

        return LlamaCppChat(
            model_path=resolve_model_path(settings),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            prompt_cache=settings.prompt_cache,
        )
    if settings.backend == "openai":
        return _openai_model(settings)
    raise ConfigError(f"Unknown backend {settings.backend!r}: choose one of llamacpp, openai.")


def _openai_model(settings: Settings) -> BaseChatModel:
    if not settings.openai_base_url or not settings.openai_model:
        raise ConfigError(
            "The openai backend needs a server and a model: set CONFLICT_QA_OPENAI_BASE_URL "
            "(e.g. http://127.0.0.1:11434/v1 for Ollama) and CONFLICT_QA_OPENAI_MODEL."
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError("The openai backend needs `pip install langchain-openai==1.7.4`.") from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        api_key=key,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.openai_timeout,
        max_retries=1,
    )
