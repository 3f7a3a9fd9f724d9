"""The specifics of a text that evidence must contain: names, acronyms, numbers, years."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A calendar date names a time frame (handled by date filters and publication dates), not a figure
# the evidence must repeat: "as of 3 April 2024" must not demand a "3" in the passages.
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![,.]?\d)"
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b",
    re.IGNORECASE,
)
_UNITS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# "one" is left out on purpose: "no one", "one of the" are not figures.
WORD_NUMBERS = {w: i for i, w in enumerate(_UNITS, start=2)} | _TENS
_WORD_NUMBER = re.compile(
    rf"\b({'|'.join(_TENS)})[-\s](one|{'|'.join(_UNITS[:8])})\b|\b({'|'.join(WORD_NUMBERS)})\b", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_NAME = re.compile(r"(?:[A-Z][\w'’\-]*(?:-[A-Z]\w*)?)(?:\s+(?:of\s+|al-|the\s+)?[A-Z][\w'’\-]*)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+")
# Capitalised words that carry no specific content when they open a question or sentence.
_GENERIC = {
    "what", "when", "where", "who", "whom", "whose", "which", "why", "how", "did", "does", "do", "is",
    "are", "was", "were", "has", "have", "had", "can", "could", "would", "will", "should", "the", "a",
    "an", "in", "on", "at", "by", "for", "according", "after", "before", "during", "since", "as",
    "and", "or", "but", "of", "to", "from", "it", "its", "they", "their", "this", "that", "these",
    "those", "there", "i", "we", "you", "he", "she", "name", "give", "tell", "list", "describe",
    "explain", "latest", "current", "most", "recent", "report", "reports", "also", "then", "about",
    "earlier", "later", "question",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "one", *WORD_NUMBERS,
}
STOPWORDS = _GENERIC | {
    "be", "been", "being", "with", "into", "over", "under", "than", "not", "no", "any", "all",
    "some", "many", "much", "more", "less", "people", "group", "said", "says", "say", "according",
    "year", "years", "day", "days", "number", "total", "first", "last", "new", "other",
}


@dataclass(frozen=True)
class KeyTerms:
    names: frozenset[str]
    numbers: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.names or self.numbers)


def normalize_number(raw: str) -> str:
    value = raw.replace(",", "")
    return value[:-2] if value.endswith(".0") else value


def numbers_in(text: str) -> set[str]:
    """Figures in ``text``, written in digits or as words ("Fourteen" is "14", "forty-five" "45")."""
    found = {normalize_number(m.group()) for m in _NUMBER.finditer(text)}
    for m in _WORD_NUMBER.finditer(text):
        if m.group(1):
            found.add(str(_TENS[m.group(1).lower()] + ({"one": 1} | WORD_NUMBERS)[m.group(2).lower()]))
        else:
            found.add(str(WORD_NUMBERS[m.group(3).lower()]))
    return found


def without_dates(text: str) -> str:
    """``text`` with day-and-month dates removed (the year, if any, stays as a figure)."""
    return _DATE.sub(lambda m: re.sub(r"\d{4}-\d{2}-\d{2}", lambda d: d.group()[:4], m.group()) if "-" in m.group() else " ", text)


def names_in(text: str) -> set[str]:
    """Capitalised names and acronyms, without leading question words ("When", "Did")."""
    found = set()
    for match in _NAME.finditer(text):
        words = match.group().split()
        while words and words[0].lower().strip("'’") in _GENERIC:
            words = words[1:]
        if words:
            found.add(re.sub(r"['’]s?$", "", " ".join(words)))
    return {n for n in found if n}


def key_terms(text: str, *, date_days: bool = True) -> KeyTerms:
    """Names and figures of ``text``; ``date_days=False`` leaves out the day numbers of dates
    (a question's "as of 3 April" is a time frame, not a figure the evidence must contain)."""
    return KeyTerms(frozenset(names_in(text)), frozenset(numbers_in(text if date_days else without_dates(text))))


def content_words(text: str) -> set[str]:
    """Lower-case content words (no stopwords), for overlap measures."""
    return {w.lower().strip("'’") for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


def stem(word: str) -> str:
    """A crude prefix stem: "Russian" ~ "Russia", "wounded" ~ "wounds"."""
    word = word.lower()
    return word[: max(4, len(word) - 3)] if len(word) > 5 else word


def name_found(name: str, haystack: str, aliases=None) -> bool:
    """A name, or another name of the same actor, occurs in the text (inflection allowed)."""
    if aliases is not None and (groups := aliases.groups_in(name)):
        if set(groups) & set(aliases.groups_in(haystack)):
            return True
    lower = haystack.lower()
    parts = [stem(p) for p in re.split(r"[\s\-]+", name) if p]
    return all(re.search(rf"(?<!\w){re.escape(p)}", lower) for p in parts)
