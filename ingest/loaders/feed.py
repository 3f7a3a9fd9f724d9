"""RSS and Atom feeds (files or fetched): one Document per entry, with the entry's own date.

An entry's text is its content, else its summary, as plain text; links are not fetched.
Entries without any text are skipped with a warning.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import feedparser

from ingest.dates import normalize_published, to_iso_date
from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders.clean import check_size, clean_text, make_document, text_field, url_field
from ingest.loaders.html import html_to_text

logger = logging.getLogger(__name__)


def load_feed(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """The entries of an RSS/Atom feed, each its own Document."""
    check_size(data, source)
    parsed = _parse(data, source)
    feed_title = text_field(parsed.feed.get("title"))
    documents = []
    for number, entry in enumerate(parsed.entries, start=1):
        document = _entry_document(entry, source, number, feed_title)
        if document is not None:
            documents.append(document)
    if not documents:
        raise LoadError(source, "feed has no entries with text")
    return documents


def _parse(data: bytes, source: str) -> Any:
    try:
        # A stream, never bytes/str: feedparser opens a string that looks like a path or URL.
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser's own bugs on malformed bytes (UnicodeDecodeError, ...)
        raise _not_a_feed(source, exc) from exc
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no <rss>, <feed> or <rdf:RDF> root"
        raise _not_a_feed(source, problem)
    return parsed


def _not_a_feed(source: str, problem: object) -> LoadError:
    reason = " ".join(str(problem).split())[:200]
    return LoadError(source, f"not an RSS/Atom feed ({reason}); .xml files must be feeds")


def _entry_document(entry: Any, source: str, number: int, feed_title: str | None) -> Document | None:
    where = f"{source}#{number}"
    text, dropped = clean_text(html_to_text(_entry_html(entry)))
    if not text:
        logger.warning("%s: feed entry %d has no text; skipped", source, number)
        return None
    link = _entry_link(entry)
    metadata = {"format": "feed", "entry": number, "feed": source}
    if feed_title:
        metadata["feed_title"] = feed_title
    return make_document(
        text,
        link or where,
        dropped=dropped,
        url=link,
        title=text_field(entry.get("title")),
        author=text_field(entry.get("author")),
        published=_entry_date(entry, where),
        date_origin="feed",
        metadata=metadata,
    )


def _entry_link(entry: Any) -> str | None:
    """The entry's web link; feedparser falls back to the entry id, which may be no URL."""
    return url_field(entry.get("link"))


def _entry_html(entry: Any) -> str:
    """The entry's longest content block, else its summary (HTML or plain text)."""
    contents = [c.get("value") or "" for c in entry.get("content") or []]
    best = max(contents, key=len, default="")
    return best if best.strip() else (entry.get("summary") or "")


def _entry_date(entry: Any, where: str) -> str | None:
    """The date as the entry writes it (its own time zone), else feedparser's UTC reading."""
    for raw, parsed in (("published", "published_parsed"), ("updated", "updated_parsed")):
        iso = to_iso_date(entry.get(raw)) or to_iso_date(entry.get(parsed))
        if iso:
            return iso
    return normalize_published(entry.get("published") or entry.get("updated"), where)
