"""JSON Lines: one document per line (``{"text": ..., "title": ..., ...}``).

The date is the first of :data:`ingest.dates.DATE_KEYS` (any case) holding a readable date,
with ``date_origin`` "front_matter" (the record's own metadata); other keys go to ``metadata``.

Whole-file rule: one bad line (not JSON, not an object, no ``text``, no readable text) fails the
whole file with a LoadError naming the line, so the input is accounted for once and nothing is
half-indexed. Blank lines are ignored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ingest.dates import DATE_KEYS, first_date
from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders.clean import (
    check_size,
    clean_text,
    decode_bytes,
    make_document,
    plain_metadata,
    text_field,
    url_field,
)

logger = logging.getLogger(__name__)

_KNOWN_KEYS = frozenset({"text", "title", "source", "url", "author"})


def load_jsonl(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """One Document per non-blank line; a line's ``source``/``url`` names it, else ``path#n``."""
    text, _ = decode_bytes(data)
    check_size(text, source)
    documents = [
        _line_document(line, source, number) for number, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]
    if not documents:
        raise LoadError(source, "empty document")
    return documents


def _line_document(line: str, source: str, number: int) -> Document:
    record = _parse_line(line, source, number)
    where = f"{source}#{number}"
    body, dropped = clean_text(record["text"])
    if not body:
        raise LoadError(source, f"line {number}: no readable text; fix or remove the line")
    own_url = url_field(record.get("url"))
    dated = {str(key).lower(): value for key, value in record.items() if str(key).lower() in DATE_KEYS}
    published, date_key = first_date(dated, where)
    extra = plain_metadata({k: v for k, v in record.items() if k not in _KNOWN_KEYS and str(k).lower() != date_key})
    return make_document(
        body,
        text_field(record.get("source")) or own_url or where,
        dropped=dropped,
        url=own_url,
        title=text_field(record.get("title")),
        author=text_field(record.get("author")),
        published=published,
        date_origin="front_matter",
        metadata={"format": "jsonl", "line": number, **extra},
    )


def _parse_line(line: str, source: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise LoadError(source, f"line {number} is not valid JSON ({exc}); fix or remove the line") from exc
    if not isinstance(record, dict):
        raise LoadError(source, f'line {number} is not a JSON object; each line must be {{"text": ...}}')
    if not isinstance(record.get("text"), str):
        raise LoadError(source, f'line {number} has no "text" string; each line needs one')
    return record
