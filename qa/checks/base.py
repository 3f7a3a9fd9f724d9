"""The one shape of a check after generation: a draft answer in, a verdict out.

A check reads the question (as asked, and the standalone form the checks read), the draft answer
(its text, citations and per-sentence checks) and the passages it was given, and returns
``Verdict.ok()``, ``Verdict.refuse(reason)`` or ``Verdict.replace(draft, note)``. The chain runs the
checks the factory built, in order, and stops at the first refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from qa.types import Citation, Passage, SentenceCheck


@dataclass(frozen=True)
class Draft:
    """An answer on its way out of the chain."""

    question: str  # as the user asked it
    focus: str  # the question the checks read: the standalone rewrite, or the question itself
    standalone: str  # the question retrieval was given (a rewrite, or the question with the previous one)
    text: str  # the answer, with resolved [n] markers
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    sentences: tuple[SentenceCheck, ...] = ()
    recency: bool = False  # the question asked for the latest state (passages are newest first)
    as_of: str | None = None  # the date the question asks about, when it names one

    @property
    def cited(self) -> list[Passage]:
        return [c.passage for c in self.citations]


@dataclass(frozen=True)
class Verdict:
    action: Literal["pass", "refuse", "replace"]
    reason: str | None = None  # why the answer is refused
    draft: Draft | None = None  # the replacement answer
    note: str = ""  # said after the answer, not a cited claim ("the model had quoted ...")

    @classmethod
    def ok(cls) -> Verdict:
        return cls("pass")

    @classmethod
    def refuse(cls, reason: str, draft: Draft | None = None) -> Verdict:
        """Refuse; ``draft`` keeps what the check found (its per-sentence checks) for the reader."""
        return cls("refuse", reason=reason, draft=draft)

    @classmethod
    def replace(cls, draft: Draft, note: str = "") -> Verdict:
        return cls("replace", draft=draft, note=note)


class Check(Protocol):
    """One check: ``name`` (for logs and the eval report) and a call on a draft."""

    name: str

    def __call__(self, draft: Draft) -> Verdict: ...


def run_checks(checks: Sequence[Check], draft: Draft) -> tuple[Draft, str | None, str | None, str]:
    """``(final draft, refusal reason or None, the refusing check's name, notes)``."""
    notes = ""
    for check in checks:
        verdict = check(draft)
        if verdict.action == "refuse":
            return verdict.draft or draft, verdict.reason, check.name, notes
        if verdict.action == "replace" and verdict.draft is not None:
            draft, notes = verdict.draft, notes + verdict.note
    return draft, None, None, notes
