"""The llama.cpp backend: one shared model, the static prompt prefix evaluated once, message roles.

The fast tests replace ``llama_cpp.Llama`` with a recording fake; the ``slow`` test runs the real
bundled Qwen and counts the prompt tokens llama.cpp evaluates (never seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from qa.backends import llamacpp
from qa.backends.llamacpp import LlamaCppChat, PrefixCache, is_loaded, to_llama_messages

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SYSTEM = "You answer questions about conflict reports. " * 4  # a static prefix of > 32 tokens


class FakeLlama:
    """Tokens are bytes; records every construction, every evaluated token and every prompt."""

    created = 0

    def __init__(self, model_path: str, n_ctx: int, n_threads: int, verbose: bool) -> None:
        type(self).created += 1
        self.metadata = {"tokenizer.chat_template": CHATML}
        self.chat_handler, self.chat_format = None, "chat_template.default"
        self.input_ids = np.zeros(n_ctx, dtype=np.intc)
        self.n_tokens = 0
        self.evaluated: list[int] = []  # tokens evaluated per eval() call
        self.resets = 0

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        return list(text)

    def detokenize(self, tokens, special: bool = False) -> bytes:
        return bytes(tokens)

    def token_eos(self) -> int:
        return 0

    def token_bos(self) -> int:
        return -1

    def reset(self) -> None:
        self.resets += 1
        self.n_tokens = 0

    def eval(self, tokens) -> None:
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)
        self.evaluated.append(len(tokens))

    def create_chat_completion(self, messages, stream: bool, **kwargs):
        """Like ``Llama.generate``: reuse the longest live prefix, evaluate the rest."""
        prompt = self.tokenize(llamacpp.ChatTemplate(self)._whole(messages=messages).prompt.encode(), False, True)
        self.n_tokens = llamacpp.common_prefix_len(self.input_ids[: self.n_tokens].tolist(), prompt)
        self.eval(prompt[self.n_tokens :])
        reply = "An answer [1]."
        if stream:
            return iter([{"choices": [{"delta": {"content": reply}}]}])
        return {"choices": [{"message": {"content": reply}}]}


@pytest.fixture
def fake_llama(monkeypatch, tmp_path: Path):
    import llama_cpp

    FakeLlama.created = 0
    monkeypatch.setattr(llama_cpp, "Llama", FakeLlama)
    states: dict[int, tuple[list[int], int]] = {}

    def save_state(llama):  # the fake's "KV cache" is its token array
        states[len(states)] = (llama.input_ids[: llama.n_tokens].tolist(), llama.n_tokens)
        return bytearray(len(states).to_bytes(4, "little") * 1000)

    def load_state(llama, tokens, state):
        llama.input_ids[: len(tokens)] = tokens
        llama.n_tokens = len(tokens)

    def truncate(llama, n_tokens):
        llama.n_tokens = n_tokens
        return True

    monkeypatch.setattr(llamacpp, "truncate", truncate)
    monkeypatch.setattr(llamacpp, "save_state", save_state)
    monkeypatch.setattr(llamacpp, "load_state", load_state)
    llamacpp.unload_all()
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    yield str(model)
    llamacpp.unload_all()


def answer_messages(question: str) -> list:
    return [
        SystemMessage(content=SYSTEM),
        HumanMessage(content="Passages:\n[1] Floods.\n\nQuestion: How many?"),
        AIMessage(content="About 12,000 [1]."),
        HumanMessage(content=f"Passages:\n[1] Some report.\n\nQuestion: {question}"),
    ]


def rewrite_messages() -> list:
    return [HumanMessage(content="Rewrite the last question as a standalone question: and then?")]


def test_the_model_is_loaded_once_and_shared(fake_llama):
    first = LlamaCppChat(model_path=fake_llama)
    second = LlamaCppChat(model_path=fake_llama, temperature=0.5)
    assert not is_loaded(fake_llama, 4096, 2) and not first.is_loaded

    first.invoke(answer_messages("One?"))
    assert is_loaded(fake_llama, 4096, 2) and second.is_loaded
    first.invoke(answer_messages("Two?"))
    list(second.stream(answer_messages("Three?")))

    assert FakeLlama.created == 1
    assert first.llama is second.llama


def test_a_missing_model_file_says_which_setting_to_fix(fake_llama, tmp_path):
    chat = LlamaCppChat(model_path=str(tmp_path / "nope.gguf"))
    with pytest.raises(llamacpp.ModelError, match="CONFLICT_QA_MODEL_PATH"):
        chat.invoke(answer_messages("One?"))
    assert not chat.is_loaded


def test_the_static_prefix_survives_an_interleaved_rewrite(fake_llama):
    chat = LlamaCppChat(model_path=fake_llama)
    first = answer_messages("When was the group founded?")
    static, total = chat.token_counts(first)
    assert 0 < static < total

    chat.invoke(first)
    chat.invoke(rewrite_messages())  # a different prompt: the live prefix is lost
    llama = chat.llama
    llama.evaluated.clear()
    again = answer_messages("Who founded it?")
    chat.invoke(again)

    assert sum(llama.evaluated) == chat.token_counts(again)[1] - static
    assert len(chat.loaded.prefixes) == 1


def test_a_prefix_already_live_is_snapshotted_without_evaluating_it_again(fake_llama):
    chat = LlamaCppChat(model_path=fake_llama)
    LlamaCppChat(model_path=fake_llama, prompt_cache=False).invoke(answer_messages("One?"))
    llama = chat.llama
    llama.evaluated.clear()
    chat.invoke(answer_messages("Two?"))
    chat.invoke(rewrite_messages())
    again = answer_messages("Three?")
    static, total = chat.token_counts(again)
    chat.invoke(again)

    assert static not in llama.evaluated  # the static prefix was never evaluated again
    assert llama.evaluated[-1] == total - static


def test_with_the_cache_off_every_prompt_is_evaluated_in_full(fake_llama):
    chat = LlamaCppChat(model_path=fake_llama, prompt_cache=False)
    chat.invoke(answer_messages("One?"))
    llama = chat.llama
    llama.evaluated.clear()
    again = answer_messages("Two?")
    chat.invoke(again)

    assert sum(llama.evaluated) == chat.token_counts(again)[1]
    assert len(chat.loaded.prefixes) == 0


def test_the_prefix_cache_is_bounded_and_evicts_the_oldest(fake_llama):
    chat = LlamaCppChat(model_path=fake_llama)
    cache = chat.loaded.prefixes = PrefixCache(capacity_bytes=10_000, max_entries=2)
    for n in range(4):
        chat.invoke([SystemMessage(content=f"{n} {SYSTEM}"), HumanMessage(content="Question?")])
        assert len(cache) <= 2 and cache.size_bytes <= 10_000
    assert len(cache) == 2


def test_a_prompt_without_a_static_part_is_not_snapshotted(fake_llama):
    chat = LlamaCppChat(model_path=fake_llama)
    chat.invoke(rewrite_messages())  # a single message: nothing before the last one
    assert len(chat.loaded.prefixes) == 0 and chat.llama.resets == 0


def test_messages_map_to_llama_roles():
    messages = [SystemMessage(content="rules"), HumanMessage(content="q"), AIMessage(content="a")]
    assert to_llama_messages(messages) == [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
    ]


def test_the_prompt_cache_setting_reaches_the_model(monkeypatch, tmp_path):
    from qa.backends.chat import make_chat_model
    from qa.settings import Settings

    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("CONFLICT_QA_PROMPT_CACHE", "0")
    settings = Settings(model_path=model, _env_file=None)
    assert settings.prompt_cache is False
    assert make_chat_model(settings).prompt_cache is False
    assert make_chat_model(Settings(model_path=model, prompt_cache=True, _env_file=None)).prompt_cache


@pytest.mark.slow
def test_the_real_model_evaluates_the_static_prefix_once(settings):
    from qa.answer.chain import answer_prompt
    from qa.backends.chat import resolve_model_path

    path = resolve_model_path(settings)
    cached = LlamaCppChat(model_path=path, max_tokens=4)
    uncached = LlamaCppChat(model_path=path, max_tokens=4, prompt_cache=False)
    prompt, _ = answer_prompt()
    messages = prompt.format_messages(context="[1] Title: ISIS-K | Source: x\nFounded in 2015.", question="When?")
    static, total = cached.token_counts(messages)
    assert static > 200  # system rules + few-shot turns
    llama, evaluated = cached.llama, []
    real_eval = llama.eval
    llama.eval = lambda tokens: (evaluated.append(len(tokens)), real_eval(tokens))[1]
    try:

        def evaluated_by(chat: LlamaCppChat) -> int:
            evaluated.clear()
            chat.invoke(messages)
            return sum(evaluated)  # prompt tokens + at most max_tokens generated ones

        assert evaluated_by(uncached) >= total
        evaluated_by(cached)  # evaluates and snapshots the static prefix
        cached.invoke(rewrite_messages())  # the follow-up rewrite replaces the live prompt
        assert evaluated_by(cached) <= total - static + 4
    finally:
        llama.eval = real_eval
