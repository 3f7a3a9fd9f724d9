"""The specifics of a text that evidence must contain: names, acronyms, numbers, years."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.words import _TENS, _UNITS, CALENDAR_WORDS, QUESTION_WORDS, WORD_NUMBERS

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A calendar date names a time frame (handled by date filters and publication dates), not a figure
# the evidence must repeat: "as of 3 April 2024" must not demand a "3" in the passages.
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![,.]?\d)"
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    rf"\b({'|'.join(_TENS)})[-\s](one|{'|'.join(_UNITS[:8])})\b|\b({'|'.join(WORD_NUMBERS)})\b", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_NAME = re.compile(r"(?<![\w'’])(?:[A-Z][\w'’\-]*(?:-[A-Z]\w*)?)(?:\s+(?:of\s+|al-|the\s+)?[A-Z][\w'’\-]*)*")
# Capitalised words that carry no specific content when they open a question or sentence:
# they never start a name ("When", "Did", "According").
NOT_A_NAME = QUESTION_WORDS | CALENDAR_WORDS | {"one", *WORD_NUMBERS}


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
    return _DATE.sub(
        lambda m: re.sub(r"\d{4}-\d{2}-\d{2}", lambda d: d.group()[:4], m.group()) if "-" in m.group() else " ", text
    )


def names_in(text: str) -> set[str]:
    """Capitalised names and acronyms, without leading question words ("When", "Did")."""
    found = set()
    for match in _NAME.finditer(text):
        words = match.group().split()
        while words and words[0].lower().strip("'’") in NOT_A_NAME:
            words = words[1:]
        if words:
            found.add(re.sub(r"['’]s?$", "", " ".join(words)))
    return {n for n in found if n}


def key_terms(text: str, *, date_days: bool = True) -> KeyTerms:
    """Names and figures of ``text``; ``date_days=False`` leaves out the day numbers of dates
    (a question's "as of 3 April" is a time frame, not a figure the evidence must contain)."""
    return KeyTerms(frozenset(names_in(text)), frozenset(numbers_in(text if date_days else without_dates(text))))


def prefix_key(word: str) -> str:
    """A name's matching key, not a stemmer: its first letters, searched as a word prefix
    ("Russian" ~ "Russia", "wounded" ~ "wounds")."""
    word = word.lower()
    return word[: max(4, len(word) - 3)] if len(word) > 5 else word


# Initials are those of a name's capitalised words; lower-case words between them are skipped
# ("Directorate *of* Security" is NDS, "Members *of* Parliament" MPs): spelling, not a word list.
_SKIPPED = r"(?:[a-z]+\s+){0,2}"
_ACRONYM = re.compile(r"[A-Z](?:\.?[A-Z]){1,5}\.?(?:s|'s|’s)?")


def acronym_letters(word: str) -> str | None:
    """The letters of an acronym as written ("US", "U.S.", "MPs", "NDS's"), else None."""
    if not _ACRONYM.fullmatch(word):
        return None
    letters = re.sub(r"(?:'s|’s|s)$", "", word).replace(".", "")
    return letters if 2 <= len(letters) <= 6 else None


def initials(name: str) -> str:
    """The initials of a name's capitalised words ("Humanitarian Information Unit" -> "HIU")."""
    return "".join(w[0] for w in re.split(r"[\s\-]+", name) if w[:1].isupper())


def _acronym_found(name: str, haystack: str) -> bool:
    """An acronym and the name it stands for are one name, either way round: "US" is found in
    "U.S." and in "United States", "MPs" in "Members of Parliament", "United States" in "US"."""
    letters = acronym_letters(name)
    if letters:
        dotted = r"\.?\s?".join(letters)
        if re.search(rf"(?<![\w.]){dotted}\.?(?:s|'s|’s)?(?!\w)", haystack):
            return True
        titled = letters[0] + letters[1:].lower()
        if len(letters) >= 3 and re.search(rf"(?<!\w){titled}(?:s|'s|’s)?(?!\w)", haystack):
            return True  # "Nato" for NATO (not "a car bomb" for CAR; "US" is not "us")
        spelled = rf"\s+{_SKIPPED}".join(rf"{c}[a-z][\w'’]*" for c in letters)
        return re.search(rf"(?<!\w){spelled}(?!\w)", haystack) is not None
    words = re.split(r"[\s\-]+", name)
    short = initials(name)
    if len(words) >= 2 and len(short) >= 2 and words[0][:1].isupper() and words[-1][:1].isupper():
        dotted = r"\.?".join(short)
        for m in re.finditer(rf"(?<![\w.]){dotted}\.?(?:s|'s|’s)?(?!\w)", haystack):
            around = haystack[max(0, m.start() - 30) : m.end() + 30].split()
            if sum(w.isupper() and len(w) > 1 for w in around) <= 2:
                return True  # not a word of a line in capitals ("SITUATION IS CRITICAL")
    return False


def name_found(name: str, haystack: str, aliases=None, *, demonyms: bool = False) -> bool:
    """A name, or another name of the same actor, occurs in the text (inflection allowed; an
    acronym stands for the name it abbreviates and back). ``demonyms``: a demonym also matches
    the country WordNet says it pertains to (the gate's question names; loading WordNet takes ~5 s,
    so only on a miss and only there)."""
    if aliases is not None and (groups := aliases.groups_in(name)):
        if set(groups) & set(aliases.groups_in(haystack)):
            return True
    if acronym_letters(name):  # "US" is not "usual", "UN" not "United": an acronym matches as one
        return _acronym_found(name, haystack)
    lower = haystack.lower()

    def part_found(part: str) -> bool:
        if acronym_letters(part):  # "Iraqi MPs": the acronym word as an acronym
            return _acronym_found(part, haystack)
        return all(re.search(rf"(?<!\w){re.escape(prefix_key(w))}", lower) for w in part.split("-") if w)

    def demonym_found(part: str) -> bool:  # "Polish" for a report that says "Poland" (WordNet, on a miss)
        if not demonyms or not re.fullmatch(r"[A-Z][a-z]{2,}", part):
            return False
        from qa.text.kinds import pertains_to

        return any(part_found(noun) for noun in pertains_to(part))

    if all(part_found(p) or demonym_found(p) for p in re.split(r"\s+", name) if p):
        return True
    return _acronym_found(name, haystack)
