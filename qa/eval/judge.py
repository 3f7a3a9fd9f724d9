"""The optional LLM judge: asks the configured chat model whether an answer matches the gold."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from qa.answer.prompts import load_text, prompt_hash
from qa.eval.extra_metrics import judge_verdict, strip_markers


class Judge:
    """``judge(question, golds, answer)`` -> 1.0 (correct), 0.0 (wrong) or None (no clear verdict)."""

    def __init__(self, chat_model: BaseChatModel) -> None:
        prompt = load_text("judge.txt", frozenset({"question", "gold", "answer"}))
        self.prompt_hash = prompt_hash(prompt.text)
        self.chain = ChatPromptTemplate.from_messages([("human", prompt.text)]) | chat_model | StrOutputParser()

    def __call__(self, question: str, golds: Sequence[str], answer: str) -> float | None:
        gold = " / ".join(golds)
        return judge_verdict(self.chain.invoke({"question": question, "gold": gold, "answer": strip_markers(answer)}))
