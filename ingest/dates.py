"""Publication dates: whatever a document says, normalised to ISO ``YYYY-MM-DD`` or None.

We never guess: an ambiguous form such as ``03/04/2024`` (March 4 or April 3?), a month without
a day, or a year outside 1800–2100 gives None. A file's modification time is never a date.

The one exception is a date *printed* in a document's text (:func:`printed_date`, used for
PDFs): a bulletin headed "October 2003" is dated 2003-10-01 and one headed only "2020" is dated
2020-01-01, with ``date_precision`` "month" / "year" saying how much of it was printed.

Every loaded document says where its date came from in ``metadata["date_origin"]``, one of
:data:`DATE_ORIGINS`:

``front_matter``
    the document's own ``key: value`` metadata: YAML front matter, leading header lines
    (``Published: ...``) or a JSONL record's fields, read from the first of :data:`DATE_KEYS`
    that holds a readable date;
``html_meta``
    an HTML page's markup (``<meta>`` tags, JSON-LD, ``<time>``), read by trafilatura/htmldate;
``text``
    a date printed near the top of a PDF's first page with text;
``pdf_metadata``
    a PDF's ``/CreationDate``, used only when its text prints no date;
``feed``
    an RSS/Atom entry's ``published`` / ``updated`` date;
``none``
    no date (``published`` is None).
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

logger = logging.getLogger(__name__)

_MIN_YEAR, _MAX_YEAR = 1800, 2100
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_PDF = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})$")
_DMY_DOT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ORDINAL = re.compile(r"(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
_NAMED_FORMATS = ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y %B %d", "%Y %b %d")

DATE_ORIGINS = ("front_matter", "html_meta", "text", "pdf_metadata", "feed", "none")
"""The values of ``metadata["date_origin"]`` (see the module docstring)."""
DATE_KEYS = ("published", "date", "date_published", "datepublished", "pubdate", "created")
"""Metadata keys read as the publication date, lower-cased, in order of preference."""


def to_iso_date(value: object) -> str | None:
    """``value`` (str, date, datetime, struct_time) as ``YYYY-MM-DD``, or None if it is not one."""
    if isinstance(value, time.struct_time):
        value = _safe_date(value.tm_year, value.tm_mon, value.tm_mday)
    elif isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        value = _parse_text(value.strip())
    if isinstance(value, date) and _MIN_YEAR <= value.year <= _MAX_YEAR:
        return value.isoformat()
    return None


def normalize_published(value: object, source: str) -> str | None:
    """Like :func:`to_iso_date`, but logs a warning when a present value cannot be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    iso = to_iso_date(value)
    if iso is None:
        logger.warning("%s: cannot read the date %r; loading it without a published date", source, str(value)[:80])
    return iso


def _parse_text(text: str) -> date | None:
    if not text or len(text) > 100:
        return None
    for parse in (_parse_numeric, _parse_named, _parse_rfc822):
        found = parse(text)
        if found is not None:
            return found
    return None


def _parse_numeric(text: str) -> date | None:
    for pattern, order in ((_ISO, "ymd"), (_PDF, "ymd"), (_YMD_SLASH, "ymd"), (_DMY_DOT, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, map(int, match.groups())))
            return _safe_date(parts["y"], parts["m"], parts["d"])
    return None


def _parse_named(text: str) -> date | None:
    cleaned = _ORDINAL.sub(r"\1", _WEEKDAY.sub("", text)).replace(",", " ")
    cleaned = " ".join(cleaned.replace(".", " ").split())
    for fmt in _NAMED_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def _parse_rfc822(text: str) -> date | None:
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def first_date(values: dict[str, Any], source: str) -> tuple[str | None, str | None]:
    """``(iso date, key)`` from the first of :data:`DATE_KEYS` in ``values`` (lower-case keys)
    that holds a readable date; a present but unreadable one is logged and the next is tried."""
    for key in DATE_KEYS:
        iso = normalize_published(values.get(key), source)
        if iso is not None:
            return iso, key
    return None, None


# Dates printed in a document's text ---------------------------------------------------------


@dataclass(frozen=True)
class PrintedDate:
    """A date found in a document's text: ``iso`` is ``YYYY-MM-DD``, ``precision`` is "day",
    "month" (stored as the 1st) or "year" (stored as January 1st), ``printed`` as written."""

    iso: str
    precision: str
    printed: str


# Month names come from the standard library (``calendar``), English in the default C locale;
# a name is matched by its three-letter abbreviation plus any letters ("Sept.", "September"),
# and dateparser decides whether it really is a month.
_MONTH = r"(?:%s)[a-z]{0,7}\.?" % "|".join(name for name in calendar.month_abbr if name)
_ORD = r"(?:st|nd|rd|th)?"
_PRINTED = (  # (pattern, precision), the most precise first
    (re.compile(rf"\b{_MONTH}\s+\d{{1,2}}{_ORD}\s*,?\s+\d{{4}}\b", re.IGNORECASE), "day"),
    (re.compile(rf"\b\d{{1,2}}{_ORD}\s+{_MONTH}\s*,?\s+\d{{4}}\b", re.IGNORECASE), "day"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "day"),
    (re.compile(rf"\b{_MONTH}\s*,?\s+\d{{4}}\b", re.IGNORECASE), "month"),
    (re.compile(r"^\W*(\d{4})\W*$"), "year"),
)
_HEADER_LINES = 30
"""Only the first lines of a page are read: a date printed there dates the document; one in
the body is usually the date of an event."""
_MAX_LINE = {"day": 100, "month": 60, "year": 10}
"""Longest line (whitespace collapsed) that may hold a date of each precision: a short header
line, not a sentence."""


def printed_date(text: str, *, today: date | None = None) -> PrintedDate | None:
    """The first date printed in the first lines of ``text`` (a page), or None.

    Read top to bottom, the first line that holds a date gives it; in a line a full date ("March
    16, 2011", "16 March 2011", "2011-03-16") wins over a month ("October 2003", stored as the
    1st), which wins over a line that is only a year ("2020", stored as January 1st). Dates
    after ``today`` or before 1800 are not dates.
    """
    latest = today or date.today()
    lines = [" ".join(line.split()) for line in text.split("\n")]
    for line in [line for line in lines if line][:_HEADER_LINES]:
        for pattern, precision in _PRINTED:
            if len(line) > _MAX_LINE[precision]:
                continue
            for match in pattern.finditer(line):
                found = _printed(match, precision)
                if found is not None and _MIN_YEAR <= found.year and found <= latest:
                    return PrintedDate(found.isoformat(), precision, match.group(0).strip())
    return None


def _printed(match: re.Match[str], precision: str) -> date | None:
    if precision == "year":
        return _safe_date(int(match.group(1)), 1, 1)
    written = match.group(0)
    if precision == "day" and written[:4].isdigit():
        return _parse_numeric(written)
    parsed = _dateparser().parse(
        written,
        languages=["en"],
        settings={
            "PREFER_DAY_OF_MONTH": "first",
            "REQUIRE_PARTS": ["month", "year"] if precision == "month" else ["day", "month", "year"],
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return parsed.date() if parsed is not None else None


def _dateparser() -> Any:
    """dateparser, imported on first use (it is slow to import)."""
    import dateparser

    return dateparser
