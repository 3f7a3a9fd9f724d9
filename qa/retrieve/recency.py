"""Time in questions: "what is the latest...?" prefers newer reports; "as of 6 April 2024" bounds them;
"according to the first report" prefers the oldest report of the story."""

from __future__ import annotations

import re
from datetime import date

_LATEST = re.compile(
    r"\b(latest|most\s+recent(ly)?|newest|current(ly)?|now|nowadays|as\s+of\s+(today|now)|today|"
    r"updated|up\s+to\s+date|so\s+far|to\s+date|still|remain(s|ing)?|any\s+more|anymore)\b",
    re.IGNORECASE,
)

# the first report of a story: "first/earliest/initial/original" before a word for a report or its
# figure, or before a reporting verb ("initially reported"); "the first convoy" is not about reports
_EARLIEST = re.compile(
    r"\b(first|earliest|initial|original)\s+(reports?|reporting|accounts?|figures?|tolls?|estimates?|counts?)\b|"
    r"\b(first|initially|originally|at\s+first)\s+(reported|said|stated|announced|gave|put)\b",
    re.IGNORECASE,
)

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_AS_OF = re.compile(
    r"\b(?:as\s+of|as\s+at|by|on\s+or\s+before)\s+"
    r"(?:(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<y1>\d{{4}})"
    rf"|{_MONTH.replace('month', 'month2')}\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}}))",
    re.IGNORECASE,
)


def asks_for_latest(question: str) -> bool:
    """Does the question ask for the latest / most recent / current state of things?"""
    return bool(_LATEST.search(question))


def asks_for_earliest(question: str) -> bool:
    """Does the question ask what the first / earliest / initial report said?"""
    return bool(_EARLIEST.search(question)) and not asks_for_latest(question)


def as_of_in(question: str) -> str | None:
    """The ISO date of an explicit "as of 6 April 2024" / "as of April 6, 2024" / "as of 2024-04-06"."""
    m = _AS_OF.search(question)
    if not m:
        return None
    try:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso")).isoformat()
        if m.group("d1"):
            day, month, year = m.group("d1"), m.group("month"), m.group("y1")
        else:
            day, month, year = m.group("d2"), m.group("month2"), m.group("y2")
        return date(int(year), _MONTHS[month.lower().rstrip(".")], int(day)).isoformat()
    except (ValueError, KeyError):
        return None
