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
