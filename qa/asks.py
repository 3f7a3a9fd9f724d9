"""What kind of fact a question asks for, and whether an answer gives one.

A near miss is a question the reports *almost* answer: they name the attack but not the bomber,
the convoy but not the second one's size. A small model then tends to restate what the passage
does say ("The driver of the water tanker was wounded near Bir Assaka [3]") and cite it
faithfully, so the sentence check passes. What gives it away is that the answer lacks the kind of
fact the question asks for: a "how many" answer with no quantity, a "when" answer with no time,
a "what was the name" answer with no name that the question did not already contain.
"""

from __future__ import annotations

import re
from typing import Literal

from qa.terms import names_in, numbers_in, stem

Kind = Literal["quantity", "time", "name"]
KIND_WORDS: dict[str, str] = {"quantity": "number", "time": "date or time", "name": "name"}

_QUANTITY_Q = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:how\s+(?:many|much)|what\s+(?:(?:was|is|were|are)\s+the\s+)?"
    r"(?:number|figure|death\s+toll|toll|total|amount|percentage|share)\b)",
    re.IGNORECASE,
)
_TIME_Q = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:when\b|(?:at|on|in|by)\s+what\s+(?:time|date|day|month|year|hour)\b"
    r"|what\s+(?:time|date|day|month|year)\b)",
    re.IGNORECASE,
)
_NAME_Q = re.compile(
    r"\b(?:what\s+(?:was|is|were|are)\s+the\s+names?\s+of|who\s+(?:is|was|are|were)\s+the\s+"
    r"(?:leader|head|commander|chief|founder|name)|which\s+(?:[a-z]+\s+)?(?:countries|country|party|parties|"
    r"nationalit(?:y|ies)|city|cities|town|towns|province|provinces|group|groups|organi[sz]ations?)(?:'s)?)\b",
    re.IGNORECASE,
)

# Quantities ``numbers_in`` does not turn into figures (it reads "two" to "ninety" already).
_QUANTITY_WORDS = re.compile(
    r"\b(?:zero|one|hundreds?|thousands?|millions?|billions?|dozens?|no\s+one|nobody|none)\b", re.IGNORECASE
)
_TIME_WORDS = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|tomorrow|"
    r"morning|afternoon|evening|night|dawn|dusk|noon|midday|midnight|week|weeks|month|months|"
    r"year|years|day|days|hours?|ago|later|earlier|since|until|a\.m\.|p\.m\.|am|pm|o'clock|"
    r"spring|summer|autumn|winter|ramadan|eid)\b|\b\d{1,2}[:.]\d{2}\b|\b\d{4}\b",
    re.IGNORECASE,
)


def asked_kind(question: str) -> Kind | None:
    """The kind of fact ``question`` asks for, when its wording makes that unambiguous."""
    if _QUANTITY_Q.search(question):
        return "quantity"
    if _TIME_Q.search(question):
        return "time"
    if _NAME_Q.search(question):
        return "name"
    return None


def gives_kind(kind: Kind, question: str, answer: str) -> bool:
    """Whether ``answer`` contains a fact of ``kind`` that is not just repeated from the question."""
    answer = re.sub(r"\[\d[\d,\s\-–]*\]", " ", answer)
    if kind == "quantity":
        return bool(numbers_in(answer) - numbers_in(question)) or bool(_QUANTITY_WORDS.search(answer))
    if kind == "time":
        asked = {m.group().lower() for m in _TIME_WORDS.finditer(question)}
        return any(m.group().lower() not in asked for m in _TIME_WORDS.finditer(answer))
    known = {stem(w) for name in names_in(question) for w in name.split()}
    return any(stem(w) not in known for name in _names(answer) for w in name.split())


def _names(text: str) -> set[str]:
    """Names in ``text``, without a lone capitalised word that merely opens a sentence ("Some")."""
    openers = {m.group(1) for m in re.finditer(r"(?:^|[.!?]\s+)([A-Z][a-z]+)\s+[a-z]", text)}
    return {n for n in names_in(text) if n not in openers}


def missing_kind(question: str, answer: str) -> Kind | None:
    """The kind of fact the question asks for when the answer lacks it, else None."""
    kind = asked_kind(question)
    return kind if kind is not None and not gives_kind(kind, question, answer) else None
