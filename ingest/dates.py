"""Publication dates: whatever a document says, normalised to ISO ``YYYY-MM-DD`` or None.

We never guess: an ambiguous form such as ``03/04/2024`` (March 4 or April 3?), a month without
a day, or a year outside 1800–2100 gives None. A file's modification time is never a date.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date, datetime
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

_MIN_YEAR, _MAX_YEAR = 1800, 2100
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_PDF = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})$")
_DMY_DOT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ORDINAL = re.compile(r"(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
_NAMED_FORMATS = ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y %B %d", "%Y %b %d")


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
