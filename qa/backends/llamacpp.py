"""A LangChain chat model over an in-process ``llama_cpp.Llama``, loaded once and shared.

Prompt-prefix reuse: every answer prompt starts with the same system rules and few-shot turns
(~400 tokens, several seconds of prompt evaluation on two cores). llama.cpp itself only reuses the
longest token prefix of the *previous* prompt, so any other prompt in between (the follow-up
rewrite) evicts it. ``PrefixCache`` keeps a snapshot of the model state taken right after the
static prefix (every message but the last) and restores it when a prompt starts with that prefix
and the live state doesn't already hold it. Snapshots hold only the KV cache of the prefix (about
28 KB per token for the bundled Qwen), bounded in bytes and entries.

``llama_cpp.LlamaRAMCache`` is not used: it saves the whole state after every completion, and each
entry copies up to ``n_batch x n_vocab`` float32 logits (311 MB for Qwen) that its byte capacity
does not count, so memory grows with every new question.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
_LOAD_LOCK = threading.Lock()
_MAX_MODELS = 2
PREFIX_CACHE_BYTES = 256 << 20
PREFIX_CACHE_ENTRIES = 8
MIN_PREFIX_TOKENS = 32  # shorter static prefixes cost less to evaluate than to snapshot


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def save_state(llama: Any) -> bytearray:
    """The llama.cpp context state (KV cache of the evaluated tokens), without Python-side logits."""
    import llama_cpp

    size = llama_cpp.llama_state_get_size(llama.ctx)
    buf = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_get_data(llama.ctx, buf, size)
    return bytearray(memoryview(buf)[:written])


def load_state(llama: Any, tokens: Sequence[int], state: bytearray) -> None:
    """Put back a ``save_state`` snapshot taken after evaluating exactly ``tokens``."""
    import llama_cpp

    buf = (ctypes.c_uint8 * len(state)).from_buffer(state)
    if llama_cpp.llama_state_set_data(llama.ctx, buf, len(state)) != len(state):
        raise ModelError("Could not restore the cached prompt state: set CONFLICT_QA_PROMPT_CACHE=0.")
    llama.input_ids[: len(tokens)] = tokens
    llama.n_tokens = len(tokens)


def truncate(llama: Any, n_tokens: int) -> bool:
    """Keep only the first ``n_tokens`` of the live state; False when the model can't."""
    import llama_cpp

    if not llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), 0, n_tokens, -1):
        return False
    llama.n_tokens = n_tokens
    return True


class PrefixCache:
    """Model states saved right after a static prompt prefix; least recently used evicted first."""

    def __init__(self, capacity_bytes: int = PREFIX_CACHE_BYTES, max_entries: int = PREFIX_CACHE_ENTRIES):
        self.capacity_bytes = capacity_bytes
        self.max_entries = max_entries
        self._states: OrderedDict[tuple[int, ...], bytearray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    @property
    def size_bytes(self) -> int:
        return sum(len(s) for s in self._states.values())

    def prepare(self, llama: Any, prefix: Sequence[int], prompt: Sequence[int]) -> int:
        """Leave ``llama`` holding at least ``prefix`` of ``prompt``; return the tokens already evaluated."""
        live = common_prefix_len(llama.input_ids[: llama.n_tokens].tolist(), prompt)
        if len(prefix) < MIN_PREFIX_TOKENS:
            return live
        key = tuple(prefix)
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
            if live < len(prefix):
                load_state(llama, prefix, state)
            return max(live, len(prefix))
        if live < len(prefix) or not truncate(llama, len(prefix)):
            llama.reset()
            llama.eval(list(prefix))
        self._put(key, save_state(llama))
        return len(prefix)

    def _put(self, key: tuple[int, ...], state: bytearray) -> None:
        self._states[key] = state
        while len(self._states) > self.max_entries or (len(self._states) > 1 and self.size_bytes > self.capacity_bytes):
            self._states.popitem(last=False)
        if self.size_bytes > self.capacity_bytes:
            self._states.clear()  # one prefix larger than the whole budget: don't keep it
        log.debug("prompt prefix cache: %d entries, %.1f MB", len(self), self.size_bytes / 2**20)


class ChatTemplate:
    """The GGUF's chat template, rendered exactly as llama-cpp-python's handler renders it."""

    def __init__(self, llama: Any) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llama.metadata["tokenizer.chat_template"]
        eos, bos = (_token_text(llama, t) for t in (llama.token_eos(), llama.token_bos()))
        self._whole = Jinja2ChatFormatter(template, eos, bos)
        self._head = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False)

    @classmethod
    def of(cls, llama: Any) -> ChatTemplate | None:
        """The template ``create_chat_completion`` uses, or None when it uses another handler."""
        uses_gguf_template = llama.chat_handler is None and llama.chat_format == "chat_template.default"
        if uses_gguf_template and "tokenizer.chat_template" in llama.metadata:
            return cls(llama)
        return None

    def split(self, llama: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
        """``(static prefix tokens, prompt tokens)``; the static prefix is every message but the last."""
        whole = self._whole(messages=messages).prompt
        tokens = _tokenize(llama, whole)
        head = self._head(messages=messages[:-1]).prompt if len(messages) > 1 else ""
        if not head or not whole.startswith(head):
            return [], tokens
        prefix = _tokenize(llama, head)
        return tokens[: common_prefix_len(prefix, tokens)], tokens


def _tokenize(llama: Any, text: str) -> list[int]:
    # As the chat handler does: the template adds the special tokens itself.
    return llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)


def _token_text(llama: Any, token: int) -> str:
    return llama.detokenize([token], special=True).decode("utf-8", "ignore") if token != -1 else ""


@dataclass
class LoadedModel:
    """A loaded ``Llama`` and what is kept alongside it."""

    llama: Any
    template: ChatTemplate | None
    prefixes: PrefixCache = field(default_factory=PrefixCache)
    load_seconds: float = 0.0


_MODELS: OrderedDict[tuple[str, int, int], LoadedModel] = OrderedDict()


def _key(path: str | Path, n_ctx: int, n_threads: int) -> tuple[str, int, int]:
    return (str(path), int(n_ctx), int(n_threads))


def is_loaded(path: str | Path, n_ctx: int, n_threads: int) -> bool:
    """True once the model is in memory: the UI shows "Loading model…" until then."""
    return _key(path, n_ctx, n_threads) in _MODELS


def loaded_model(path: str | Path, n_ctx: int, n_threads: int) -> LoadedModel:
    """Load a GGUF once per process (a second question never reloads it); keep the last two."""
    key = _key(path, n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _MODELS:
            started = time.perf_counter()
            llama = _open(*key)
            _MODELS[key] = LoadedModel(llama, ChatTemplate.of(llama), load_seconds=time.perf_counter() - started)
            log.info("loaded %s in %.1f s", key[0], _MODELS[key].load_seconds)
            while len(_MODELS) > _MAX_MODELS:
                _MODELS.popitem(last=False)
        _MODELS.move_to_end(key)
        return _MODELS[key]


def unload_all() -> None:
    """Forget every loaded model (tests; memory is freed when no chat model holds one)."""
    with _LOAD_LOCK:
        _MODELS.clear()


@atexit.register
def _close_at_exit() -> None:
    """Free models while the interpreter is whole (llama.cpp's ``__del__`` fails at teardown)."""
    for model in list(_MODELS.values()):
        try:
            model.llama.close()
        except Exception:  # pragma: no cover - best effort at exit
            pass
    _MODELS.clear()


def _open(path: str, n_ctx: int, n_threads: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelError(
            "llama-cpp-python is not installed: run `pip install llama-cpp-python==0.3.36` "
            "(or `make setup`), or use an OpenAI-compatible server (CONFLICT_QA_BACKEND=openai)."
        ) from exc
    if not Path(path).is_file():
        raise ModelError(f"Model file {path} does not exist: check CONFLICT_QA_MODEL_PATH.")
    try:
        return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
    except Exception as exc:
        raise ModelError(f"Could not load the model {path}: {exc}") from exc


def to_llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class LlamaCppChat(BaseChatModel):
    """Streams completions from a shared ``Llama``; the GGUF's own chat template formats turns.

    ``prompt_cache=True`` evaluates the static prompt prefix once per process and reuses it;
    ``False`` evaluates every prompt in full (the baseline the benchmark compares against).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 320
    stop_sequences: list[str] = Field(default_factory=list)
    prompt_cache: bool = True

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    @property
    def is_loaded(self) -> bool:
        return is_loaded(self.model_path, self.n_ctx, self.n_threads)

    @property
    def loaded(self) -> LoadedModel:
        return loaded_model(self.model_path, self.n_ctx, self.n_threads)

    @property
    def llama(self) -> Any:
        return self.loaded.llama

    def token_counts(self, messages: list[BaseMessage]) -> tuple[int, int]:
        """``(static prefix tokens, prompt tokens)`` of the prompt these messages make."""
        loaded = self.loaded
        if loaded.template is None:
            return 0, len(_tokenize(loaded.llama, "".join(str(m.content) for m in messages)))
        prefix, tokens = loaded.template.split(loaded.llama, to_llama_messages(messages))
        return len(prefix), len(tokens)

    def _prepare(self, loaded: LoadedModel, messages: list[dict[str, str]]) -> None:
        """Under the lock: restore the static prefix, or with the cache off start from nothing."""
        if not self.prompt_cache:
            loaded.llama.reset()
            return
        if loaded.template is not None:
            prefix, tokens = loaded.template.split(loaded.llama, messages)
            if len(tokens) < self.n_ctx:
                reused = loaded.prefixes.prepare(loaded.llama, prefix, tokens)
                log.debug("prompt: %d tokens, %d already evaluated", len(tokens), reused)

    def _completion(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool):
        loaded, chat = self.loaded, to_llama_messages(messages)
        self._prepare(loaded, chat)
        return loaded.llama.create_chat_completion(
            messages=chat,
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
