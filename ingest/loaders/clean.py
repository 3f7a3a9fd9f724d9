"""Raw bytes and extracted strings -> clean text, and the limits every loader shares."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from typing import Any

from ingest.dates import DATE_ORIGINS
from ingest.document import Document, PageSpan
from ingest.errors import LoadError

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 200_000_000
"""Largest input file or download body we read at all."""
MAX_TEXT_CHARS = 20_000_000
"""Largest document text we accept, after extraction."""
MAX_RUN = 500
"""A run of more non-whitespace characters than this is not prose (base64, junk): dropped."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
# Scripts written without spaces (Thai, CJK, kana, full-width forms) break a run: prose, not junk.
_RUN_CHAR = r"[^\s\u0e00-\u0e7f\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
_LONG_RUN = re.compile(rf"(?<!{_RUN_CHAR}){_RUN_CHAR}{{{MAX_RUN + 1},}}")  # anchored: linear time
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read a byte that is not valid UTF-8 as cp1252 (else Latin-1)."""
    assert isinstance(exc, UnicodeDecodeError)
    byte = exc.object[exc.start : exc.start + 1]
    try:
        return byte.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), exc.start + 1


codecs.register_error("conflictqa-cp1252", _cp1252_fallback)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes; return ``(text, encoding)``.

    A BOM decides (UTF-8/16/32). Otherwise UTF-8, with any byte that is not valid UTF-8 read as
    cp1252: this reads pure UTF-8, pure Latin-1/cp1252 and files mixing the two. A file in another
    single-byte code page (cp1251, ...) comes out garbled: convert it to UTF-8 first.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="conflictqa-cp1252"), "utf-8+cp1252"


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text: NUL bytes, or many control characters (no BOM)."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return False
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return bool(sample) and controls / len(sample) > 0.05


def normalize_text(text: str) -> str:
    """NFC, newlines as ``\\n``, no control characters, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x0c", "\n\n")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_text(text: str) -> tuple[str, int]:
    """Normalised text with junk runs dropped; returns ``(text, dropped_run_count)``."""
    text, dropped = _LONG_RUN.subn("", text)
    return normalize_text(text), dropped


def check_size(text: str | bytes, source: str) -> None:
    """Refuse text (or raw bytes) over :data:`MAX_TEXT_CHARS` before any expensive processing."""
    if len(text) > MAX_TEXT_CHARS:
        raise LoadError(
            source,
            f"document too large ({len(text):,} characters; the limit is "
            f"{MAX_TEXT_CHARS:,}): split it into smaller files",
        )


def make_document(
    text: str,
    source: str,
    *,
    dropped: int = 0,
    pages: tuple[PageSpan, ...] = (),
    date_origin: str | None = None,
    **fields: Any,
) -> Document:
    """A Document from already-cleaned text, refusing empty or unreadable text.

    ``date_origin`` says where ``published`` came from (one of
    :data:`ingest.dates.DATE_ORIGINS`); it is stored as ``metadata["date_origin"]``, "none"
    when there is no date.
    """
    check_size(text, source)
    if not text.strip():
        reason = "no readable text (only junk runs without spaces)" if dropped else "empty document"
        raise LoadError(source, reason)
    metadata = dict(fields.pop("metadata", None) or {})
    if fields.get("published") is None:
        date_origin = "none"
        metadata.pop("date_precision", None)
    elif date_origin not in DATE_ORIGINS or date_origin == "none":
        raise ValueError(f"a published date needs its origin, one of {DATE_ORIGINS}")
    else:
        metadata.setdefault("date_precision", "day")
    metadata["date_origin"] = date_origin
    if dropped:
        logger.warning("%s: dropped %d run(s) of >%d characters without spaces (not prose)", source, dropped, MAX_RUN)
        metadata["dropped_runs"] = dropped
    return Document(text=text, source=source, pages=pages, metadata=metadata, **fields)


def plain_value(value: object) -> str | int | float | bool | list[str] | None:
    """A metadata value reduced to a scalar or a short list of strings; None to drop it."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return normalize_text(value)[:2000] or None
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return [normalize_text(str(v))[:200] for v in value[:50]]
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return None


def plain_metadata(values: dict[Any, Any]) -> dict[str, Any]:
    """Extra metadata keys kept as plain values; nested structures dropped."""
    kept = {str(key)[:100]: plain_value(value) for key, value in values.items()}
    return {key: value for key, value in kept.items() if value is not None}


def text_field(value: object) -> str | None:
    """A title/author-like field as one clean line, or None."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if isinstance(v, str | int | float))
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    line = " ".join(normalize_text(str(value)).split())
    return line[:500] or None


def url_field(value: object) -> str | None:
    """An http(s) URL field, or None: a ``javascript:`` or ``file:`` link is never passed on."""
    url = text_field(value)
    return url if url and url.lower().startswith(("http://", "https://")) else None
