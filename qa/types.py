"""The typed results that cross our seams: passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk of a document, with where it came from."""

    text: str
    doc_id: str
    chunk_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    page: int | None = None
    score: float = 0.0

    def to_json(self, *, with_score: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data.pop("chunk_id")
        if not with_score:
            data.pop("score")
        return data


@dataclass(frozen=True)
class Citation:
    """Marker ``[n]`` in an answer, pointing at the n-th passage given to the model."""

    n: int
    passage: Passage

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, **self.passage.to_json(with_score=False)}


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence, the passages it cites after checking, and whether it was verified.

    ``status``: supported (names and figures found in a cited passage), recited (found in another
    retrieved passage: the marker was moved there), judged (the model confirmed it), unsupported
    (dropped from the answer; ``missing`` says what no passage contained).
    """

    text: str
    cites: tuple[int, ...]
    status: str
    missing: tuple[str, ...] = ()

    @property
    def kept(self) -> bool:
        return self.status != "unsupported"

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "cites": list(self.cites), "status": self.status, "missing": list(self.missing)}


@dataclass(frozen=True)
class Timings:
    retrieve_s: float = 0.0
    first_token_s: float | None = None
    total_s: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What the chain returns: the text, its citations, and the passages it consulted."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    timings: Timings = field(default_factory=Timings)
    reason: str | None = None
    prompt_hash: str | None = None
    rewritten_question: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    sentences: tuple[SentenceCheck, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "answer": self.text,
            "abstained": self.abstained,
            "reason": self.reason,
            "citations": [c.to_json() for c in self.citations],
            "passages": [{"n": n, **p.to_json()} for n, p in enumerate(self.passages, start=1)],
            "timings": asdict(self.timings),
            "prompt_hash": self.prompt_hash,
            "filters": self.filters,
            "sentences": [c.to_json() for c in self.sentences],
        }
