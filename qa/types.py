"""The typed results that cross our seams: passages, citations, answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# How a citation names where its date came from (ingest records ``date_origin``).
DATE_ORIGINS = {
    "front_matter": "front matter",
    "html_meta": "page metadata",
    "text": "printed in the text",
    "pdf_metadata": "PDF file metadata",
    "feed": "feed entry",
}
Turn = tuple[str, str]
# Notes the chain appends after an answer, not part of what it claims (and not scored as such).
ANSWER_NOTES = ("\n\nNewest report used: ", "\n\nLeft out for the date asked about ")


def answer_body(text: str) -> str:
    """An answer's text without the notes appended after it."""
    cut = min((i for i in (text.find(n) for n in ANSWER_NOTES) if i >= 0), default=len(text))
    return text[:cut]  # (role, content) of a chat turn, role in {"user", "assistant"}


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
    date_origin: str | None = None  # where ``published`` came from: front_matter, html_meta, text, pdf_metadata, feed
    focus: tuple[str, ...] = ()  # sentence windows: the sentences picked for the question (highlighted)

    @property
    def dated(self) -> str:
        """``"2003-08-26 (printed in the text)"``, ``"2024-08-14"`` or ``"undated"``, for a citation."""
        if not self.published:
            return "undated"
        origin = DATE_ORIGINS.get(self.date_origin or "")
        return f"{self.published} ({origin})" if origin else self.published

    def to_json(self, *, with_score: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data.pop("chunk_id")
        if not data["focus"]:
            data.pop("focus")
        else:
            data["focus"] = list(data["focus"])
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
    # Which stage refused: "relevance" (retrieval found nothing relevant enough), "gate", "model"
    # (the model said the passages don't answer), or the name of the check after generation.
    refused_by: str | None = None
    # The model's draft a check after generation refused to give (None otherwise): kept so the
    # eval can tell a refusal that withheld a wrong answer from one that withheld a right one.
    withheld: str | None = None
    # Given by a second draft: why a check withheld the first ("<check>: <reason>"), else None.
    redrafted: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "answer": self.text,
            "abstained": self.abstained,
            "reason": self.reason,
            "refused_by": self.refused_by,
            "withheld": self.withheld,
            "redrafted": self.redrafted,
            "citations": [c.to_json() for c in self.citations],
            "passages": [{"n": n, **p.to_json()} for n, p in enumerate(self.passages, start=1)],
            "timings": asdict(self.timings),
            "prompt_hash": self.prompt_hash,
            "filters": self.filters,
            "sentences": [c.to_json() for c in self.sentences],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        """The answer an ``ask --json`` object (or the app's ``/ask``) describes."""
        fields = {f for f in Passage.__dataclass_fields__ if f not in ("chunk_id", "focus")}

        def passage(p: dict[str, Any], n: int) -> Passage:
            kept = {k: v for k, v in p.items() if k in fields}
            return Passage(**kept, chunk_id=f"{p.get('doc_id')}:{n}", focus=tuple(p.get("focus") or ()))

        passages = tuple(passage(p, int(p.get("n") or i)) for i, p in enumerate(data.get("passages") or [], 1))
        by_n = {i: p for i, p in enumerate(passages, 1)}
        citations = tuple(
            Citation(int(c["n"]), by_n.get(int(c["n"])) or passage(c, int(c["n"]))) for c in data.get("citations") or []
        )
        return cls(
            question=data.get("question", ""),
            text=data.get("answer", ""),
            abstained=bool(data.get("abstained")),
            citations=citations,
            passages=passages,
            timings=Timings(
                **{k: v for k, v in (data.get("timings") or {}).items() if k in Timings.__dataclass_fields__}
            ),
            reason=data.get("reason"),
            prompt_hash=data.get("prompt_hash"),
            rewritten_question=data.get("rewritten_question"),
            filters=dict(data.get("filters") or {}),
            sentences=tuple(
                SentenceCheck(
                    s.get("text", ""), tuple(s.get("cites") or ()), s.get("status", ""), tuple(s.get("missing") or ())
                )
                for s in data.get("sentences") or []
            ),
            refused_by=data.get("refused_by"),
            withheld=data.get("withheld"),
            redrafted=data.get("redrafted"),
        )


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval. Dates are ISO ``YYYY-MM-DD``; undated documents never pass a date filter."""

    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    source: str | None = None
    exclude: tuple[str, ...] = ()  # documents left out (file names, sources or doc ids): the eval's near misses

    def active(self) -> dict[str, str]:
        return {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in vars(self).items() if v}

    def describe(self) -> str:
        return ", ".join(f"{k.replace('_', '-')} {v}" for k, v in self.active().items())


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found: passages (best first) and, when empty, why."""

    query: str
    passages: tuple[Passage, ...]
    consulted: tuple[Passage, ...] = ()  # the closest passages, even below the relevance bar
    empty_reason: str | None = None
    filters: Filters = field(default_factory=Filters)
    newest_published: str | None = None  # the newest publication date among ``passages``
    date_note: str | None = None  # what a date bound left out ("reports after 29 Apr 2022 and 3 undated ...")
    recency: bool = False  # the question asked for the latest state: newer reports were preferred
    earliest: bool = False  # it asked what the first report said: that story's older reports came first
    actors: tuple[str, ...] = ()  # alias groups the query named (searched under all their names)
    best_similarity: float | None = None  # cosine of the closest chunk: what the relevance bar tests

    def __post_init__(self) -> None:
        if self.newest_published is None:
            object.__setattr__(self, "newest_published", newest_date(self.passages))


def newest_date(passages: Sequence[Passage]) -> str | None:
    return max((p.published[:10] for p in passages if p.published), default=None)
