"""Loaders: files, directories, URLs and feeds -> clean :class:`~ingest.document.Document` objects.

``expand_inputs`` turns the user's inputs into sources; ``load`` turns one source into
Documents, raising only LoadError (could not read it) or SkippedInput (deliberately not read).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace

from ingest.document import Document
from ingest.errors import LoadError, SkippedInput
from ingest.fetch import Fetched, Fetcher
from ingest.inputs import expand_inputs, is_url
from ingest.loaders.clean import MAX_FILE_BYTES
from ingest.loaders.docx import load_docx
from ingest.loaders.feed import load_feed
from ingest.loaders.html import load_html
from ingest.loaders.jsonl import load_jsonl
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_text

__all__ = ["SUPPORTED_EXTENSIONS", "expand_inputs", "is_supported", "load", "sniff"]

logger = logging.getLogger(__name__)

Loader = Callable[[bytes, str], list[Document]]


def _markdown(data: bytes, source: str) -> list[Document]:
    return load_text(data, source, markdown=True)


_LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".jsonl": load_jsonl,
    ".xml": load_feed,
    ".rss": load_feed,
    ".atom": load_feed,
}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_LOADERS)
_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf")


def is_supported(path: str) -> bool:
    """True if ``path``'s extension has a loader (URLs are always loadable)."""
    return is_url(path) or os.path.splitext(path)[1].lower() in SUPPORTED_EXTENSIONS


def load(source: str, *, fetcher: Fetcher | None = None) -> list[Document]:
    """Load one source into one or more Documents (a JSONL file or a feed gives many).

    Raises LoadError (failed: missing, corrupt, empty, ...) or SkippedInput (unsupported type);
    no other exception escapes, whatever the bytes.
    """
    try:
        if is_url(source):
            return _load_url(source, fetcher or Fetcher())
        return _load_file(source)
    except LoadError:
        raise
    except Exception as exc:  # the promise above: a loader bug must not crash an ingest run
        logger.exception("unexpected error loading %s", source)
        raise LoadError(
            source, f"unexpected error while reading it ({type(exc).__name__}: {str(exc)[:200]}); please report this"
        ) from exc


def _load_file(path: str) -> list[Document]:
    extension = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        hint = " (a broken symlink)" if os.path.islink(path) else ""
        raise LoadError(path, f"no such file or directory{hint}; check the path")
    if os.path.isdir(path):
        raise LoadError(path, "is a directory; pass it as an input to be walked")
    loader = _LOADERS.get(extension)
    if loader is None:
        shown = f"'{extension}'" if extension else "(no extension)"
        raise SkippedInput(
            path, f"unsupported file type {shown} (supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))})"
        )
    return loader(_read(path), path)


def _read(path: str) -> bytes:
    """The file's bytes; only regular files, at most MAX_FILE_BYTES."""
    try:
        if not os.path.isfile(path):
            raise LoadError(path, "not a regular file (a device or pipe?); not read")
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise LoadError(path, f"file larger than {MAX_FILE_BYTES:,} bytes; split it first")
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadError(path, f"cannot read it ({exc.strerror or exc}); check its permissions") from exc


def _load_url(url: str, fetcher: Fetcher) -> list[Document]:
    fetched = fetcher.get(url)
    kind = sniff(fetched)
    loaders = {"pdf": load_pdf, "feed": load_feed, "html": load_html}
    if kind in loaders:
        documents = loaders[kind](fetched.body, url, url=url)
    else:
        documents = load_text(fetched.body, url)
    return [_with_fetch_metadata(doc, fetched) for doc in documents]


def sniff(fetched: Fetched) -> str:
    """ "pdf", "feed", "text" or "html", from the content type and the leading bytes."""
    content_type = fetched.content_type.split(";")[0].strip().lower()
    head = fetched.body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if "pdf" in content_type or head.startswith(b"%pdf-"):
        return "pdf"
    if content_type.endswith(("rss+xml", "atom+xml", "rdf+xml")) or any(marker in head for marker in _FEED_MARKERS):
        return "feed"
    return "text" if content_type == "text/plain" else "html"


def _with_fetch_metadata(document: Document, fetched: Fetched) -> Document:
    """A fetched page keeps the URL as given; feed entries keep their own links."""
    metadata = dict(document.metadata)
    if fetched.final_url != fetched.url:
        metadata["final_url"] = fetched.final_url
    return replace(document, url=document.url or fetched.url, metadata=metadata)
