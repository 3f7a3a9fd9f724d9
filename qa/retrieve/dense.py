"""Dense retrieval: the store's nearest chunks to the question, with a relevance bar and filters."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.store.chroma import ReportStore, date_key
from qa.types import Filters, Passage, Retrieval

log = logging.getLogger(__name__)


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
        date_origin=meta.get("date_origin"),
    )


@dataclass(frozen=True)
class Bounds:
    """Filters resolved to what the index compares: date keys and the allowed documents."""

    since: int | None = None
    until: int | None = None
    doc_ids: tuple[str, ...] | None = None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"published_ts": {"$gte": self.since}})
        if self.until:
            clauses.append({"published_ts": {"$lte": self.until}})
        if self.doc_ids is not None:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, meta: dict[str, Any]) -> bool:
        """The same test as ``where``, on one chunk's metadata (for keyword hits)."""
        ts = meta.get("published_ts")
        if (self.since or self.until) and not isinstance(ts, int):
            return False
        if self.since and ts < self.since:
            return False
        if self.until and ts > self.until:
            return False
        return self.doc_ids is None or meta.get("doc_id") in self.doc_ids


class Retriever:
    """Dense retrieval over a ``ReportStore`` with a relevance bar and metadata filters."""

    def __init__(self, store: ReportStore, *, top_k: int = 4, min_relevance: float = 0.25, windows: Any = None) -> None:
        """``windows`` (a :class:`qa.retrieve.windows.SentenceWindows`) turns the best chunks into
        sentence windows within a token budget; without it the ``top_k`` chunks are the passages."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.store = store
        self.top_k = top_k
        self.min_relevance = min_relevance
        self.windows = windows

    def bounds(self, filters: Filters) -> tuple[Bounds, str | None]:
        """``filters`` as date keys and document ids; or a reason when nothing can match.

        An as-of date admits reports published up to ``AS_OF_GRACE_DAYS`` after it: situation
        reports routinely state figures "as of" the day (or days) before they are published."""
        upper = min(filter(None, [date_key(filters.until), date_key(as_of_upper(filters.as_of))]), default=None)
        doc_ids = None
        if filters.source:
            doc_ids = tuple(self.doc_ids_for_source(filters.source))
            if not doc_ids:
                return Bounds(), f"no loaded document's source matches {filters.source!r}"
        if filters.exclude:
            left_out = set(self.doc_ids_named(filters.exclude))
            doc_ids = tuple(d for d in (doc_ids or [r.doc_id for r in self.store.records()]) if d not in left_out)
            if not doc_ids:
                return Bounds(), "every loaded document is left out"
        return Bounds(date_key(filters.since), upper, doc_ids), None

    def where(self, filters: Filters) -> tuple[dict[str, Any] | None, str | None]:
        """The Chroma ``where`` clause for ``filters``; or a reason when nothing can match."""
        bounds, reason = self.bounds(filters)
        return (None, reason) if reason else (bounds.where(), None)

    def doc_ids_for_source(self, needle: str) -> list[str]:
        """Documents whose source or URL equals or contains ``needle`` (case-insensitive)."""
        needle = needle.lower()
        return [
            r.doc_id
            for r in self.store.records()
            if needle in (r.source or "").lower() or needle in (r.url or "").lower()
        ]

    def doc_ids_named(self, names: tuple[str, ...]) -> list[str]:
        """Documents whose doc id, source, URL or file name is one of ``names``."""
        wanted = set(names)
        found = []
        for r in self.store.records():
            keys = {r.doc_id, r.source or "", r.url or "", Path(r.source or "").name}
            if keys & wanted:
                found.append(r.doc_id)
        return found

    def date_note(self, filters: Filters, allowed: tuple[str, ...] | None = None) -> str | None:
        """What an as-of date leaves out, said in the answer: never a silent filter."""
        if not filters.as_of:
            return None
        upper = as_of_upper(filters.as_of) or filters.as_of
        records = [r for r in self.store.records() if allowed is None or r.doc_id in allowed]
        later = sum(1 for r in records if r.published and r.published[:10] > upper)
        undated = sum(1 for r in records if not r.published)
        plural = lambda n: "" if n == 1 else "s"  # noqa: E731
        parts = [f"{later} report{plural(later)} published after {upper}"] if later else []
        parts += [f"{undated} undated report{plural(undated)}"] if undated else []
        if not parts:
            return None
        grace = f"as of {filters.as_of}, plus {AS_OF_GRACE_DAYS} days for reports dated after their figures"
        return f"Left out for the date asked about ({grace}): {' and '.join(parts)}."

    def retrieve(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        filters = filters or Filters()
        k = k or self.top_k
        bounds, reason = self.bounds(filters)
        if reason:
            return Retrieval(query, (), empty_reason=reason, filters=filters)
        where, note = bounds.where(), self.date_note(filters, bounds.doc_ids)
        vector = self.store.embeddings.embed_query(query)
        hits = [passage_from(*row) for row in self.store.search(vector, max(k, 30) if self.windows else k, where)]
        if not hits:
            reason = with_note(nothing_found(where is not None, filters), note)
            return Retrieval(query, (), empty_reason=reason, filters=filters, date_note=note)
        relevant = tuple(p for p in hits if p.score >= self.min_relevance)
        reason = None if relevant else with_note("no passage is relevant enough to the question", note)
        if self.windows is not None:
            relevant = tuple(self.windows.select(query, vector, relevant)) if relevant else ()
            hits = hits[:k]
        best = max(p.score for p in hits)
        return Retrieval(
            query,
            relevant,
            consulted=tuple(hits),
            empty_reason=reason,
            filters=filters,
            best_similarity=best,
            date_note=note,
        )


AS_OF_GRACE_DAYS = 3


def as_of_upper(as_of: str | None) -> str | None:
    """The last publication date an as-of date admits (``AS_OF_GRACE_DAYS`` after it)."""
    if not as_of:
        return None
    from datetime import date, timedelta

    return (date.fromisoformat(as_of[:10]) + timedelta(days=AS_OF_GRACE_DAYS)).isoformat()


def with_note(reason: str, note: str | None) -> str:
    return f"{reason}; {note[0].lower()}{note[1:].rstrip('.')}" if note else reason


def nothing_found(filtered: bool, filters: Filters) -> str:
    if filtered:
        return f"no document matches the filters ({filters.describe()})"
    return "the store is empty"
