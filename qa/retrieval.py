"""Finding the passages for a question: dense search in the store, with filters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from qa.store import ReportStore, date_key
from qa.types import Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval. Dates are ISO ``YYYY-MM-DD``; undated documents never pass a date filter."""

    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    source: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

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


def passage_from(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
    return Passage(
        text=text,
        doc_id=str(meta.get("doc_id", chunk_id.split(":")[0])),
        chunk_id=chunk_id,
        title=meta.get("title"),
        source=meta.get("source"),
        url=meta.get("url"),
        published=meta.get("published"),
        page=meta.get("page"),
        score=round(float(score), 4),
    )


class Retriever:
    """Dense retrieval over a ``ReportStore`` with a relevance bar and metadata filters."""

    def __init__(self, store: ReportStore, *, top_k: int = 4, min_relevance: float = 0.25) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.store = store
        self.top_k = top_k
        self.min_relevance = min_relevance

    def where(self, filters: Filters) -> tuple[dict[str, Any] | None, str | None]:
        """The Chroma ``where`` clause for ``filters``; or a reason when nothing can match."""
        clauses: list[dict[str, Any]] = []
        upper = min(filter(None, [date_key(filters.until), date_key(filters.as_of)]), default=None)
        if date_key(filters.since):
            clauses.append({"published_ts": {"$gte": date_key(filters.since)}})
        if upper:
            clauses.append({"published_ts": {"$lte": upper}})
        if filters.source:
            ids = self.doc_ids_for_source(filters.source)
            if not ids:
                return None, f"no loaded document's source matches {filters.source!r}"
            clauses.append({"doc_id": {"$in": ids}})
        if not clauses:
            return None, None
        return (clauses[0] if len(clauses) == 1 else {"$and": clauses}), None

    def doc_ids_for_source(self, needle: str) -> list[str]:
        """Documents whose source or URL equals or contains ``needle`` (case-insensitive)."""
        needle = needle.lower()
        return [
            r.doc_id
            for r in self.store.records()
            if needle in (r.source or "").lower() or needle in (r.url or "").lower()
        ]

    def retrieve(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        filters = filters or Filters()
        k = k or self.top_k
        where, reason = self.where(filters)
        if reason:
            return Retrieval(query, (), empty_reason=reason, filters=filters)
        vector = self.store.embeddings.embed_query(query)
        hits = [passage_from(*row) for row in self.store.search(vector, k, where)]
        if not hits:
            why = "no document matches the filters" if where else "the store is empty"
            return Retrieval(query, (), empty_reason=why, filters=filters)
        relevant = tuple(p for p in hits if p.score >= self.min_relevance)
        reason = None if relevant else "no passage is relevant enough to the question"
        return Retrieval(query, relevant, consulted=tuple(hits), empty_reason=reason, filters=filters)


def parse_date(value: str | None, flag: str = "date") -> str | None:
    """Validate a ``YYYY-MM-DD`` filter value; a bad one is a user error naming the flag."""
    if not value:
        return None
    from datetime import date

    from qa.errors import ConflictQAError

    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise ConflictQAError(f"{flag} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-03-22.") from exc
