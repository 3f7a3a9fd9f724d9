"""Dates the user types: ``YYYY-MM-DD`` filter values."""

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
