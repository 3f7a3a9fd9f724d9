"""The clean document a loader produces, before chunking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageSpan:
    """Page ``page`` (1-based) covers ``text[start:end]`` of its document."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One document as read from a file, URL, feed entry or JSONL line.

    ``published`` is an ISO date (``YYYY-MM-DD``) taken from the document itself, or None when
    the document does not say; never a file's modification time. ``source`` is the path or URL as
    the user gave it (for a feed entry or a JSONL line, the entry's own link / source when it has
    one, otherwise ``<input>#<n>``).
    """

    text: str
    source: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    pages: tuple[PageSpan, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def page_at(self, offset: int) -> int | None:
        """The page that holds character ``offset``, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None
