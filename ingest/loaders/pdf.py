"""PDF files: text per page with pypdf, page spans into the joined text, title/author/date."""

from __future__ import annotations

import io
import logging
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ingest.dates import normalize_published
from ingest.document import Document, PageSpan
from ingest.errors import LoadError
from ingest.loaders.clean import MAX_TEXT_CHARS, clean_text, make_document, text_field

logger = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"


def load_pdf(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """One Document; ``pages`` maps each page with text to its span of ``text``.

    ``published`` is the PDF's own CreationDate: a PDF is usually the published artefact, made
    when the report was released (unlike a DOCX's creation date, which we do not use).
    """
    reader = _open(data, source)
    text, pages, dropped = _page_texts(reader, source)
    if not text:
        raise LoadError(
            source, "no extractable text — a scanned PDF? run OCR first (e.g. ocrmypdf) and ingest the result"
        )
    info = _info(reader)
    return [
        make_document(
            text,
            source,
            dropped=dropped,
            pages=pages,
            url=url,
            title=text_field(info.get("/Title")),
            author=text_field(info.get("/Author")),
            published=normalize_published(info.get("/CreationDate"), source),
            metadata={"format": "pdf", "page_count": len(reader.pages)},
        )
    ]


def _open(data: bytes, source: str) -> PdfReader:
    if b"%PDF-" not in data[:1024]:
        raise LoadError(source, "not a readable PDF: no PDF header (is it really a PDF?)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise FileNotDecryptedError("password required")
        len(reader.pages)
    except (FileNotDecryptedError, DependencyError) as exc:
        raise LoadError(source, f"encrypted PDF: {exc}; decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)") from exc
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many types on broken input
        raise LoadError(source, f"not a readable PDF: {_brief(exc)}") from exc
    return reader


def _page_texts(reader: PdfReader, source: str) -> tuple[str, tuple[PageSpan, ...], int]:
    """Joined text of the pages that have any, their spans, and the dropped-run count."""
    parts: list[str] = []
    spans: list[PageSpan] = []
    dropped = offset = 0
    for number, page in enumerate(reader.pages, start=1):
        page_text, page_dropped = clean_text(_extract(page, number, source))
        dropped += page_dropped
        if not page_text:
            continue
        if parts:
            offset += len(PAGE_SEPARATOR)
        spans.append(PageSpan(number, offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text)
        if offset > MAX_TEXT_CHARS:
            break  # make_document refuses it with the size message
    return PAGE_SEPARATOR.join(parts), tuple(spans), dropped


def _extract(page: Any, number: int, source: str) -> str:
    try:
        return page.extract_text() or ""
    except Exception as exc:  # one broken page should not lose the others
        logger.warning("%s: page %d unreadable (%s); skipped", source, number, _brief(exc))
        return ""


def _info(reader: PdfReader) -> dict[str, Any]:
    """The document information dictionary, or {} when it is missing or broken."""
    try:
        info = reader.metadata
        keys = ("/Title", "/Author", "/CreationDate")
        return {key: info.get(key) for key in keys} if info else {}
    except Exception as exc:
        logger.debug("unreadable PDF metadata: %s", _brief(exc))
        return {}


def _brief(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]
