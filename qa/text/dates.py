"""Dates the user types (``YYYY-MM-DD`` filter values) and dates a question names (spaCy + dateparser)."""

from __future__ import annotations


def parse_date(value: str | None, flag: str = "date") -> str | None:
    """Validate a ``YYYY-MM-DD`` filter value; a bad one is a user error naming the flag."""
    if not value:
        return None
    from datetime import date

    from qa.errors import ConflictQAError

    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise ConflictQAError(f"{flag} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-03-22.") from exc


def dates_in(text: str) -> list[str]:
    """ISO dates of the full dates ``text`` names ("26 April 2022", "April 26, 2022", "2022-04-26"):
    spaCy finds the DATE spans, ``dateparser`` reads them; a span without a day is left out."""
    import dateparser

    from qa.text.nlp import parse

    found = []
    for ent in parse(text).ents:
        if ent.label_ != "DATE" or not any(ch.isdigit() for ch in ent.text):
            continue
        value = dateparser.parse(ent.text, settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]})
        if value is not None:
            found.append(value.date().isoformat())
    return list(dict.fromkeys(found))


# The calendar parts a time noun asks for ("on what date": a day; "in which year": a year), as
# dateparser names them.
TIME_NOUN_PARTS: dict[str, frozenset[str]] = {
    "date": frozenset({"day"}),
    "day": frozenset({"day"}),
    "month": frozenset({"month"}),
    "year": frozenset({"year"}),
}


def date_parts(text: str) -> frozenset[str]:
    """The calendar parts the dates in ``text`` give between them: ``day`` ("August 28", "on
    Monday", "yesterday"), ``month``, ``year``. ``dateparser`` finds and reads the dates; the
    caller strips citation markers first ("January [3]" would read as January 3)."""
    import calendar
    import re

    from dateparser.search import search_dates

    found = set()
    for part in ("day", "month", "year"):
        if search_dates(text, languages=["en"], settings={"REQUIRE_PARTS": [part]}):
            found.add(part)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    if words & {d.lower() for d in calendar.day_name}:
        found.add("day")  # a weekday names a day (dateparser wants a month with a day)
    return frozenset(found)


YEAR = r"1[5-9]\d\d|2[01]\d\d"  # a four-digit year, 1500-2199


def years_in(text: str) -> list[int]:
    """The years of the DATE spans spaCy finds in ``text`` ("the 2020 war", "September 30, 1994")."""
    import re

    from qa.text.nlp import parse

    years = []
    for ent in parse(text).ents:
        if ent.label_ == "DATE":
            years += [int(y) for y in re.findall(rf"\b(?:{YEAR})\b", ent.text)]
    return years
