"""The gate before generation: refuse when the passages don't contain the question's specifics.

A question about "the Sabzqala bombing in 2025" is not answered by passages about another bombing:
its names and figures (with any alias of the same actor) must occur in the retrieved passages,
their titles or their dates, or the model is not asked at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.text.terms import key_terms, name_found, numbers_in
from qa.types import Passage


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    missing: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        if self.allowed:
            return None
        return "the reports found don't mention " + ", ".join(repr(m) for m in self.missing)


def evidence_text(passages: Sequence[Passage]) -> str:
    return "\n".join(f"{p.title or ''}\n{p.published or ''}\n{p.text}" for p in passages)


def check_question(question: str, passages: Sequence[Passage], aliases=None) -> GateDecision:
    """Allowed when every name and figure of the question occurs somewhere in the passages."""
    terms = key_terms(question, date_days=False)
    haystack = evidence_text(passages)
    numbers = numbers_in(haystack.replace("-", " "))
    missing = [n for n in sorted(terms.names) if not name_found(n, haystack, aliases)]
    missing += [x for x in sorted(terms.numbers) if x not in numbers]
    return GateDecision(not missing, tuple(missing))


class Gate:
    """The gate as the chain runs it, with the alias table the retriever searched with."""

    name = "gate"

    def __init__(self, aliases=None) -> None:
        self.aliases = aliases

    def __call__(self, question: str, passages: Sequence[Passage]) -> GateDecision:
        return check_question(question, passages, self.aliases)
