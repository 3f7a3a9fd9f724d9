"""Follow-up questions: when the model's standalone rewrite can be trusted, and what to use if not.

The rewrite is made by the same small model, and it fails in three ways seen on the gold set: it
answers the previous question again ("And how many were injured?" became "How many deaths were
recorded ...?"), it adds a fact from the previous answer that changes the question ("its Moscow
attack" became "... in Moscow in 2015"), or it resolves nothing ("Which of its commanders ...?"
comes back unchanged). A rewrite that drops an outcome, role or figure the question asks with, adds a
figure the user never asked about, or leaves a reference unresolved, is not used; the question is then asked with the user's previous question beside it,
which is what the reference points into.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.checks.asks import KIND_WORDS, asked_about, asked_kind
from qa.text.terms import names_in, numbers_in

# Words that point back into the conversation; the rewrite is meant to replace them.
_REFERRING = re.compile(
    r"\b(?:it|its|it's|they|them|their|there|that|this|these|those|he|him|his|she|her|the\s+(?:group|attack|"
    r"report|town|city|place|same|latter|former|other|later|earlier))\b",
    re.IGNORECASE,
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_FULL_DATE = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}\b|\b(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}\b", re.IGNORECASE
)


def rewrite_problem(question: str, rewritten: str, history: Sequence[tuple[str, str]] = ()) -> str | None:
    """Why ``rewritten`` is not a faithful standalone form of ``question``, or None when it is.

    Paraphrase is fine ("founded" may become "established"); what is checked is what the checks
    after generation rely on: the kind of fact asked for, the outcomes and roles asked about, the figures, and that references
    are resolved without importing figures from the previous *answer* ("in 2015").
    """
    kind = asked_kind(question)
    if kind is not None and asked_kind(rewritten) != kind:
        return f"the rewrite no longer asks for a {KIND_WORDS[kind]}"
    lost = sorted(set(asked_about(question)) - set(asked_about(rewritten)))
    lost += sorted(numbers_in(question) - numbers_in(rewritten))
    if lost:
        return f"the rewrite dropped {', '.join(lost)}"
    asked_before = " ".join(text for role, text in history if role == "user")
    # A full date names an event ("the attack on 12 August 2024"); a bare figure or year changes the question.
    added = numbers_in(_FULL_DATE.sub(" ", rewritten)) - numbers_in(question) - numbers_in(asked_before)
    if added:
        return f"the rewrite added {', '.join(sorted(added))}, which the user did not ask about"
    if _REFERRING.search(question) and not (names_in(rewritten) - names_in(question)):
        return "the rewrite did not say what the question refers to"
    return None


def with_previous(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The follow-up first (a small model answers the first question it reads), then the user's
    previous question as its context (the fallback when the rewrite is not used)."""
    previous = next((text for role, text in reversed(history) if role == "user"), "").strip()
    return f"{question.strip()} (Earlier question: {previous})" if previous else question.strip()
