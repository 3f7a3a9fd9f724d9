"""Word .docx files: paragraphs and table text in reading order, title/author from properties.

``published`` is left None: a DOCX's ``created`` property is when the file (often its template)
was first made, and ``modified`` changes on every save, so neither is a publication date. The
creation date is kept as ``metadata["created"]`` for reference.
"""

from __future__ import annotations

import io
import logging
import zipfile
from typing import Any

import docx
from docx.table import Table

from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders.clean import MAX_FILE_BYTES, clean_text, make_document, text_field

logger = logging.getLogger(__name__)


def load_docx(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """One Document from a .docx file's bytes."""
    document = _open(data, source)
    text, dropped = clean_text("\n\n".join(_blocks(document)))
    props = _properties(document, source)
    metadata: dict[str, Any] = {"format": "docx"}
    if props.get("created"):
        metadata["created"] = props["created"]
    return [
        make_document(
            text,
            source,
            dropped=dropped,
            url=url,
            title=props.get("title"),
            author=props.get("author"),
            metadata=metadata,
        )
    ]


def _properties(document: Any, source: str) -> dict[str, str | None]:
    """Title, author and creation date from the core properties; {} if they are broken."""
    try:
        props = document.core_properties
        created = props.created.date().isoformat() if props.created else None
        return {"title": text_field(props.title), "author": text_field(props.author), "created": created}
    except Exception as exc:
        logger.warning("%s: unreadable document properties (%s); ignored", source, exc)
        return {}


def _open(data: bytes, source: str) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_FILE_BYTES:
            raise LoadError(
                source, f"DOCX unpacks to {unpacked:,} bytes (limit {MAX_FILE_BYTES:,}): a zip bomb? not read"
            )
        return docx.Document(io.BytesIO(data))
    except LoadError:
        raise
    except Exception as exc:  # zipfile, lxml and python-docx raise many types on broken files
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise LoadError(source, f"not a readable DOCX: {reason}; re-save it from Word or LibreOffice") from exc


def _blocks(container: Any) -> list[str]:
    """Paragraph texts and table rows, in document order."""
    blocks: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_table_rows(item))
        elif item.text.strip():
            blocks.append(item.text)
    return blocks


def _table_rows(table: Table) -> list[str]:
    """One line per row, cells separated by `` | `` (merged cells once)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(_blocks(cell))
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return ["\n".join(rows)] if rows else []
