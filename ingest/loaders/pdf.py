"""PDF files: text per page with pypdf, page spans into the joined text, title/author/date.

Date (``published``), first that gives one, with ``metadata["date_origin"]``:

1. ``"text"``: a date printed near the top of the first page with text
   (:func:`ingest.dates.printed_date`): a dated heading or a printed date such as "March 16,
   2011", "16 March 2011", "2011-03-16"; a month alone ("October 2003") is stored as the first
   of that month and a line that is only a year ("2020") as January 1st, with
   ``metadata["date_precision"]`` "month" / "year" (else "day") and ``metadata["date_printed"]``
   the date as printed. The bulletin's own date is what it prints: its file's CreationDate is
   often the day it was scanned, converted or re-saved, years later.
2. ``"pdf_metadata"``: the document information ``/CreationDate``, when the text prints none.
3. ``"none"``: neither; ``published`` is None.

Title: the ``/Title`` metadata, unless it is missing or junk (a placeholder such as "untitled"
or "DRAFT", "Microsoft Word - x.doc", a file name); then the first page's most prominent line
near the top (largest font, bold before regular, the higher one on a tie), or, when no line
stands out, its first line if that reads as a heading (at most 12 words, no closing
punctuation); ``metadata["title_origin"]`` is "pdf_metadata" or "text".

A PDF without a text layer (a scan) is refused with a LoadError: run OCR first.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
from collections import Counter
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ingest.dates import normalize_published, printed_date
from ingest.document import Document, PageSpan
from ingest.errors import LoadError
from ingest.loaders.clean import MAX_TEXT_CHARS, clean_text, make_document, text_field

logger = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_PLACEHOLDER_TITLES = frozenset(
    {
        "untitled",
        "untitled document",
        "no title",
        "title",
        "draft",
        "document",
        "new document",
        "presentation",
        "powerpoint presentation",
        "slide 1",
        "page 1",
        "none",
        "null",
        "unknown",
        "doc",
        "pdf",
        "scan",
        "scanned document",
    }
)
_JUNK_TITLE = re.compile(
    r"^(untitled\b|microsoft (word|powerpoint|excel)\b|(doc|scan|img|image)[\s_-]*\d+$)"
    r"|\.(docx?|pdf|rtf|odt|txt|indd|pptx?|xlsx?|wpd|qxd|qxp|e?ps|tiff?|jpe?g|png|tmp)$"
    r"|^[a-z]:\\|^/|\\",
    re.IGNORECASE,
)
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_TITLE_LINES = 25
_MAX_TITLE = 200


def load_pdf(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """One Document; ``pages`` maps each page with text to its span of ``text``."""
    reader = _open(data, source)
    text, pages, dropped = _page_texts(reader, source)
    if not text:
        raise LoadError(
            source,
            "no extractable text — a scanned PDF? It has no text layer; "
            "run OCR first (e.g. ocrmypdf) and ingest the result",
        )
    info = _info(reader)
    metadata: dict[str, Any] = {"format": "pdf", "page_count": len(reader.pages)}
    first_page = text[pages[0].start : pages[0].end]
    published, date_origin = _date(first_page, info, source, metadata)
    title = _metadata_title(info.get("/Title"), source)
    metadata["title_origin"] = "pdf_metadata"
    if title is None:
        title = _text_title(reader.pages[pages[0].page - 1], first_page, source)
        metadata["title_origin"] = "text" if title else "none"
    return [
        make_document(
            text,
            source,
            dropped=dropped,
            pages=pages,
            url=url,
            title=title,
            author=text_field(info.get("/Author")),
            published=published,
            date_origin=date_origin,
            metadata=metadata,
        )
    ]


def _date(first_page: str, info: dict[str, Any], source: str, metadata: dict[str, Any]) -> tuple[str | None, str]:
    """The printed date, else the CreationDate; ``(iso or None, date_origin)``."""
    printed = printed_date(first_page)
    if printed is not None:
        metadata.update(date_precision=printed.precision, date_printed=printed.printed)
        return printed.iso, "text"
    created = normalize_published(info.get("/CreationDate"), source)
    return created, "pdf_metadata" if created else "none"


def _metadata_title(value: object, source: str) -> str | None:
    """The /Title metadata, or None when it is missing or junk."""
    title = text_field(value)
    if title is None or sum(ch.isalpha() for ch in title) < 2:
        return None
    lowered = title.lower().strip(" .-_")
    names = {os.path.basename(source).lower(), os.path.splitext(os.path.basename(source))[0].lower()}
    if lowered in _PLACEHOLDER_TITLES or lowered in names or _JUNK_TITLE.search(title):
        return None
    return title


def _text_title(page: Any, first_page: str, source: str) -> str | None:
    """The first page's most prominent line near the top, else its first line if a heading."""
    try:
        lines = _styled_lines(page)
    except Exception as exc:  # pypdf on odd fonts; the plain-text fallback still works
        logger.debug("%s: no font sizes for the title (%s)", source, _brief(exc))
        lines = []
    candidates = [line for line in lines[:_TITLE_LINES] if _title_like(line[2])]
    if candidates:
        body_size = Counter(size for size, _, text in lines for _ in text).most_common(1)[0][0]
        best = max(candidates, key=lambda line: (line[0], line[1]))
        if best[0] > body_size * 1.15 or (best[1] and not _mostly_bold(lines)):
            return text_field(best[2][:_MAX_TITLE])
    first = next((" ".join(line.split()) for line in first_page.split("\n") if line.strip()), "")
    if _title_like(first) and len(first.split()) <= 12 and not first.endswith((".", ",", ";", ":")):
        return text_field(first[:_MAX_TITLE])
    return None


def _title_like(line: str) -> bool:
    """Enough letters to be a title, not a page number, a date or a sentence-length line."""
    letters = sum(ch.isalpha() for ch in line)
    return letters >= 3 and len(line) <= _MAX_TITLE and printed_date(line) is None


def _mostly_bold(lines: list[tuple[float, bool, str]]) -> bool:
    bold = sum(len(text) for _, is_bold, text in lines if is_bold)
    return bold * 2 > sum(len(text) for _, _, text in lines)


def _styled_lines(page: Any) -> list[tuple[float, bool, str]]:
    """The page's text lines top to bottom as ``(font size, bold, text)``; a line is bold when
    most of its characters are."""
    runs: list[tuple[float, float, float, bool, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        m = _multiply(tm, cm)
        name = str(font.get("/BaseFont", "")) if font else ""
        runs.append((round(m[5]), m[4], (size or 0) * math.hypot(m[2], m[3]), bool(_BOLD.search(name)), text))

    page.extract_text(visitor_text=visit)
    by_y: dict[int, list[tuple[float, float, bool, str]]] = {}
    for y, x, size, bold, text in runs:
        key = next((k for k in by_y if abs(k - y) <= 2), y)
        by_y.setdefault(key, []).append((x, size, bold, text))
    lines = []
    for y in sorted(by_y, reverse=True):
        parts = sorted(by_y[y], key=lambda part: part[0])
        text = " ".join("".join(part[3] for part in parts).split())
        weight = [(len(part[3].strip()), part[2]) for part in parts]
        bold = sum(n for n, is_bold in weight if is_bold) * 2 > sum(n for n, _ in weight)
        if text:
            lines.append((round(max(p[1] for p in parts), 1), bold, text))
    return lines


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The product of two PDF matrices ``[a b c d e f]``."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
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
