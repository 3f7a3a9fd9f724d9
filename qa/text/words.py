"""Words for overlap and keyword search: one stopword list and one stemmer.

The stopwords are bm25s' English list (``STOPWORDS_EN_PLUS``, shipped with the package); the
stemmer is a light suffix stripper, the same for reports and questions.
"""

from __future__ import annotations

import calendar
import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
# Words that frame a question rather than name its subject ("When did ...", "According to ...",
# "the latest report ..."): they never start a name.
QUESTION_WORDS = frozenset(
    {
        "what",
        "when",
        "where",
        "who",
        "whom",
        "whose",
        "which",
        "why",
        "how",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "can",
        "could",
        "would",
        "will",
        "should",
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "by",
        "for",
        "according",
        "after",
        "before",
        "during",
        "since",
        "as",
        "and",
        "or",
        "but",
        "of",
        "to",
        "from",
        "it",
        "its",
        "they",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "i",
        "we",
        "you",
        "he",
        "she",
        "name",
        "give",
        "tell",
        "list",
        "describe",
        "explain",
        "latest",
        "current",
        "most",
        "recent",
        "report",
        "reports",
        "also",
        "then",
        "about",
        "earlier",
        "later",
        "question",
    }
)
# ... and words that frame a count ("how many people ...", "the total number ..."): left out, with
# the question words, where a question's own words are compared with a passage.
COUNT_WORDS = frozenset(
    {
        "be",
        "been",
        "being",
        "with",
        "into",
        "over",
        "under",
        "than",
        "not",
        "no",
        "any",
        "all",
        "some",
        "many",
        "much",
        "more",
        "less",
        "people",
        "group",
        "said",
        "says",
        "say",
        "year",
        "years",
        "day",
        "days",
        "number",
        "total",
        "first",
        "last",
        "new",
        "other",
    }
)
# Month and weekday names from the standard library's calendar (English locale).
CALENDAR_WORDS = frozenset(n.lower() for n in (*calendar.month_name, *calendar.day_name) if n)
_UNITS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# "one" is left out on purpose: "no one", "one of the" are not figures.
WORD_NUMBERS = {w: i for i, w in enumerate(_UNITS, start=2)} | _TENS
# What ``content_words`` leaves out: our question and count words, months and days, number words
# (bm25s' STOPWORDS are for keyword search: dropping them here would change what the checks compare).
_SKIP = QUESTION_WORDS | COUNT_WORDS | CALENDAR_WORDS | {"one", *WORD_NUMBERS}
_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def stem(word: str) -> str:
    """Plurals, -ed, -ing and a final -e folded (killed/kills -> kill, reopened -> reopen,
    casualties -> casualty, closing -> clos). Expects a lower-case word."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        root = word[: -len(suffix)]
        if word.endswith(suffix) and len(root) >= 3 and _VOWELS & set(root):
            if suffix == "ed" and root.endswith("i"):
                root = root[:-1] + "y"
            elif len(root) > 3 and root[-1] == root[-2] and root[-1] not in "lsz":
                root = root[:-1]
            word = root
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_words(text: str, *, figures: bool = True) -> set[str]:
    """Lower-case words of ``text`` that say something: no stopwords, question words, months or
    number words; three letters or more, or (with ``figures``) a figure."""
    words = (w.lower() for w in _WORD.findall(text))
    return {w for w in words if w not in _SKIP and (len(w) > 2 and w[0].isalpha() or figures and w.isdigit())}
