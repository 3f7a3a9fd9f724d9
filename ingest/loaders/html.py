"""HTML pages: main text and metadata via trafilatura; small fragments via :func:`html_to_text`.

The date is the page's own publication date from its markup, read by trafilatura's htmldate
(original date, no search of the text): ``<meta>`` conventions such as
``article:published_time``, ``date``, ``pubdate``, ``DC.date.issued``, ``citation_publication_date``,
``parsely-pub-date``, ``itemprop="datePublished"``, JSON-LD ``datePublished`` and
``<time datetime>``. Its ``metadata["date_origin"]`` is "html_meta" ("none" without one).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

from ingest.dates import normalize_published
from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders.clean import check_size, clean_text, make_document, text_field

logger = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "pre",
        "section",
        "article",
        "hr",
    }
)
_SPACES = re.compile(r"\s+")
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


def load_html(data: bytes, source: str, *, url: str | None = None) -> list[Document]:
    """One Document with the page's main text; title/author/site/date from its own markup."""
    check_size(data, source)
    extracted = _extract(data, source, url)
    text, dropped = clean_text((extracted.text if extracted else None) or "")
    if not text:
        raise LoadError(
            source,
            "no readable text in the HTML (a page that needs JavaScript, "
            "or only navigation?); save the article text as .txt instead",
        )
    metadata = {"format": "html"}
    if text_field(extracted.sitename):
        metadata["site_name"] = text_field(extracted.sitename)
    return [
        make_document(
            text,
            source,
            dropped=dropped,
            title=text_field(extracted.title),
            author=text_field(extracted.author),
            url=url,
            published=normalize_published(extracted.date, source),
            date_origin="html_meta",
            metadata=metadata,
        )
    ]


def _extract(data: bytes, source: str, url: str | None) -> Any:
    """trafilatura's main-text extraction, with dates from the page's metadata only."""
    trafilatura = _trafilatura(source)
    date_params = {"original_date": True, "extensive_search": False, "max_date": date.today().isoformat()}
    try:
        return trafilatura.bare_extraction(
            data,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=date_params,
        )
    except RecursionError as exc:
        raise LoadError(source, "HTML nested too deeply to parse; is it a real page?") from exc


def _trafilatura(source: str) -> Any:
    """trafilatura, imported on first use (it is slow to import)."""
    try:
        import trafilatura
    except ImportError as exc:
        raise LoadError(
            source, f"HTML support is not available ({exc}); install it with `pip install trafilatura lxml_html_clean`"
        ) from exc
    return trafilatura


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summaries): tags dropped, blocks on their own lines."""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


class _TextParser(HTMLParser):
    """Collects text data; block tags become line breaks; script/style are skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skipping += tag in _SKIP_TAGS
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._skipping = max(0, self._skipping - (tag in _SKIP_TAGS))
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(_SPACES.sub(" ", data))
