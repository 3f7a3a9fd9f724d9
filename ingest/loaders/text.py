"""Plain text and Markdown, with optional YAML front matter or ``Key: value`` header lines.

Metadata comes from either

* YAML front matter: a first line ``---``, YAML, then a line ``---`` (or ``...``). The block may
  open with blank lines (Jekyll writes ``---\n\nlayout: ...``) and may hold keys we do not
  know: it is front matter when it parses as YAML to a mapping with at least one key of
  :data:`FRONT_MATTER_KEYS`. Keys (any case): ``title``; the date, from the first of
  :data:`ingest.dates.DATE_KEYS` (``published``, ``date``, ``date_published``,
  ``datePublished``, ``pubdate``, ``created``) holding a readable date; ``source``
  (-> ``metadata["source_name"]``); ``url``; ``author``; ``keywords`` / ``tags`` (stored as lists
  of strings; a ``"a, b"`` string is split at commas). Every other key is kept in ``metadata``
  (lower-cased); none of the block is report text. If the block looks like front matter (its
  first line is a known ``key:``) but is not valid YAML, or is never closed, the file fails with
  a LoadError naming the problem: we do not index half-parsed metadata as body text. A ``---``
  block that does not parse to such a mapping is a Markdown rule and stays text.
* Leading header lines ``Title: ...`` / ``Published: ...`` etc. (only the keys in
  :data:`HEADER_KEYS`, any case). Header lines are metadata, not body; the first other line ends
  the header, so a body sentence with a colon is never eaten.

Either way the date's ``metadata["date_origin"]`` is "front_matter".
"""

from __future__ import annotations

import logging
import re
from typing import Any

import yaml

from ingest.dates import DATE_KEYS, first_date
from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders.clean import (
    check_size,
    clean_text,
    decode_bytes,
    looks_binary,
    make_document,
    plain_metadata,
    text_field,
    url_field,
)

logger = logging.getLogger(__name__)

HEADER_KEYS = frozenset({"title", "source", "url", "author", "language", "tags", *DATE_KEYS})
_HEADER_LINE = re.compile(r"^(%s)[ \t]*:[ \t]*(\S.{0,300})$" % "|".join(HEADER_KEYS), re.IGNORECASE)
LIST_KEYS = ("keywords", "tags")
FRONT_MATTER_KEYS = frozenset(
    {
        "title",
        "url",
        "author",
        "authors",
        "source",
        "description",
        "summary",
        "subtitle",
        "language",
        "lang",
        "layout",
        "category",
        "categories",
        "permalink",
        "slug",
        "draft",
        "updated",
        "modified",
        "lastmod",
        "lastmodified",
        *LIST_KEYS,
        *DATE_KEYS,
    }
)
"""A YAML block with at least one of these keys (any case) is front matter."""
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w -]*):(\s|$)")
_BLANK_START = re.compile(r"^(?:[ \t]*\n)+")
_FENCE_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^#[ \t]+(\S.*)$", re.MULTILINE)
_MAX_FRONT_MATTER = 65536


def load_text(data: bytes, source: str, *, markdown: bool = False) -> list[Document]:
    """One Document from a .txt / .md file's bytes."""
    if looks_binary(data):
        raise LoadError(source, "binary content, not text: is the file extension right?")
    text, encoding = decode_bytes(data)
    check_size(text, source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fields, body = split_metadata(text, source)
    body, dropped = clean_text(body)
    if markdown and "title" not in fields:
        heading = _MD_HEADING.search(body[:2000])
        fields["title"] = heading.group(1) if heading else None
    fields = document_fields(fields, source)
    fields["metadata"].update(format="markdown" if markdown else "text", encoding=encoding)
    return [make_document(body, source, dropped=dropped, **fields)]


def split_metadata(text: str, source: str) -> tuple[dict[str, Any], str]:
    """``(raw metadata, body)`` from front matter, header lines, or neither."""
    if text.startswith("---") and text[:4].rstrip() == "---":
        front = _front_matter(text, source)
        if front is not None:
            return front
    return _header_lines(text)


def _front_matter(text: str, source: str) -> tuple[dict[str, Any], str] | None:
    """``(values, body)`` if ``text`` opens with a front matter block, None if it is text."""
    rest = text.split("\n", 1)[1] if "\n" in text else ""
    first = _FRONT_KEY.match(_BLANK_START.sub("", rest))
    if not first:
        return None
    known = first.group(1).strip().lower() in FRONT_MATTER_KEYS
    close = _FENCE_CLOSE.search(rest, 0, _MAX_FRONT_MATTER)
    if close is None:
        if not known:
            return None
        raise LoadError(
            source,
            "broken front matter: opened with '---' but never closed; add a closing '---' line or remove the block",
        )
    try:
        values = _parse_yaml(_BLANK_START.sub("", rest[: close.start()]), source)
    except LoadError:
        if known:
            raise
        return None
    if not FRONT_MATTER_KEYS.intersection(values):
        return None
    return values, rest[close.end() :]


class _FrontMatterLoader(yaml.SafeLoader):
    """yaml's SafeLoader, but dates stay strings: :mod:`ingest.dates` reads (or rejects) them."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_yaml(block: str, source: str) -> dict[str, Any]:
    try:
        values = yaml.load(block, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        problem = " ".join(str(exc).split())[:200]
        raise LoadError(
            source, f"broken front matter ({problem}); fix the YAML between the '---' lines or remove it"
        ) from exc
    if not isinstance(values, dict):
        raise LoadError(
            source, "broken front matter: expected 'key: value' lines between the '---' lines; fix or remove the block"
        )
    return {str(key).lower(): value for key, value in values.items()}


def _header_lines(text: str) -> tuple[dict[str, Any], str]:
    values: dict[str, Any] = {}
    lines = text.lstrip("\n").split("\n")
    for index, line in enumerate(lines[:20]):
        match = _HEADER_LINE.match(line.strip())
        if not match or match.group(1).lower() in values:
            return values, "\n".join(lines[index:])
        values[match.group(1).lower()] = match.group(2).strip()
    return values, "\n".join(lines[len(values) :])


def document_fields(values: dict[str, Any], source: str) -> dict[str, Any]:
    """A document's own ``key: value`` metadata (lower-case keys) -> :func:`make_document`
    keyword arguments: title, url, author, published and its date_origin, metadata."""
    values = dict(values)
    published, date_key = first_date(values, source)
    if date_key is not None:
        values.pop(date_key)
    lists = {key: keyword_list(values.pop(key)) for key in LIST_KEYS if key in values}
    metadata = plain_metadata({k: v for k, v in values.items() if k not in ("title", "url", "author", "source")})
    metadata.update({key: value for key, value in lists.items() if value})
    if text_field(values.get("source")):
        metadata["source_name"] = text_field(values.get("source"))
    return {
        "title": text_field(values.get("title")),
        "url": url_field(values.get("url")),
        "author": text_field(values.get("author")),
        "published": published,
        "date_origin": "front_matter",
        "metadata": metadata,
    }


def keyword_list(value: object) -> list[str]:
    """``keywords`` / ``tags`` as a list of clean strings: a YAML list, or a comma-separated
    string; anything else (a mapping, a bare number) gives []."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return []
    words = [text_field(item) for item in value if not isinstance(item, dict | list | bool)]
    return [word for word in words if word][:100]
