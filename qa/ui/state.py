"""One turn of a chat as the app keeps it (per browser session, in ``gr.State``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from qa.types import Answer, Filters, Passage

LOADING_MODEL = "Loading model… (first question only)"
SEARCHING = "Searching the reports…"
WRITING = "Writing the answer…"
REDRAFTING = "A check withheld that answer: writing another…"


@dataclass
class ChatTurn:
    """A question and, as it arrives, what retrieval found and what the model wrote."""

    question: str
    filters: Filters
    status: str = SEARCHING
    text: str = ""  # the answer streamed so far
    passages: tuple[Passage, ...] = ()  # numbered [1..k] as given to the model
    consulted: tuple[Passage, ...] = ()  # the closest passages when nothing was relevant
    rewritten: str | None = None
    answer: Answer | None = None
    error: str | None = None
    retrieved: bool = False
    stopped: bool = False  # the reader pressed Stop: a partial answer, never checked
    asked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def history_of(turns: list[ChatTurn]) -> list[tuple[str, str]]:
    """The finished turns as ``(role, text)`` pairs for ``AnswerChain.stream(history=...)``."""
    pairs: list[tuple[str, str]] = []
    for turn in turns:
        if turn.answer is not None:
            pairs += [("user", turn.question), ("assistant", turn.answer.text)]
    return pairs
