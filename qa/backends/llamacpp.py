"""A LangChain chat model over an in-process ``llama_cpp.Llama``, loaded once and shared."""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from qa.errors import ModelError

log = logging.getLogger(__name__)

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}
# One model runs one request at a time: llama.cpp contexts are not thread-safe.
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=2)
def load_llama(path: str, n_ctx: int, n_threads: int) -> Any:
    """Load a GGUF once per process (a second question never reloads it)."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelError(
            "llama-cpp-python is not installed: run `pip install llama-cpp-python==0.3.36` "
            "(or `make setup`), or use an OpenAI-compatible server (CONFLICT_QA_BACKEND=openai)."
        ) from exc
    if not Path(path).is_file():
        raise ModelError(f"Model file {path} does not exist: check CONFLICT_QA_MODEL_PATH.")
    started = time.perf_counter()
    try:
        llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
    except Exception as exc:
        raise ModelError(f"Could not load the model {path}: {exc}") from exc
    log.info("loaded %s in %.1f s", path, time.perf_counter() - started)
    return llama


def to_llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class LlamaCppChat(BaseChatModel):
    """Streams completions from a shared ``Llama``; the GGUF's own chat template formats turns."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 320
    stop_sequences: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    @property
    def llama(self) -> Any:
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _completion(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool):
        return self.llama.create_chat_completion(
            messages=to_llama_messages(messages),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            stop=(stop or []) + self.stop_sequences or None,
            stream=stream,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with _LOCK:
            result = self._completion(messages, stop, stream=False)
        text = result["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with _LOCK:
            for part in self._completion(messages, stop, stream=True):
                token = part["choices"][0]["delta"].get("content") or ""
                if not token:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(token)
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
