"""For "latest" and as-of questions: the newest report's figure, when the model quoted an older one.

Tolls and counts change from report to report (40, then 57, then 61, then 63). Asked for the latest,
a small model often quotes the figure that best matches the question's wording, from an older
report, even though the passages come newest first. This module finds, among the passages given,
a *newer* report about the same event whose sentence states the asked outcome ("death toll",
"displaced") with a figure other than the model's. The chain then answers with that sentence,
quoted and cited, and notes that the model had quoted an earlier report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.answer.citations import resolve_citations
from qa.checks.asks import CONCEPTS, asked_about, asked_kind, concepts_in
from qa.checks.base import Draft, Verdict
from qa.text.markers import MARKER
from qa.text.sentences import split_sentences
from qa.text.terms import name_found, names_in, numbers_in, without_dates
from qa.types import Citation, Passage, SentenceCheck

_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class NewerFigure:
    n: int  # the passage's number in the prompt, for the [n] marker
    passage: Passage
    sentence: str
    older_date: str  # the newest publication date among the passages the model cited


def _figures(text: str) -> set[str]:
    return {x for x in numbers_in(without_dates(text).replace("-", " ")) if not _YEAR.match(x)}


def _names_event(names: set[str], title: str, sentence: str, aliases=None) -> bool:
    """The sentence names one of the question's places or actors, or the title names a word of one
    ("Vorzan crossing reopens ..." is about the "Vorzan Pass" attack's aftermath)."""
    if any(name_found(name, f"{title}\n{sentence}", aliases) for name in names):
        return True
    title_words = {w.lower() for w in re.findall(r"[\w'’-]+", title)}
    return any(part.lower() in title_words for name in names for part in name.split() if len(part) >= 4)


def newer_figure(
    question: str, answer: str, citations: Sequence[Citation], passages: Sequence[Passage], aliases=None
) -> NewerFigure | None:
    """A newer passage's sentence giving the asked outcome with another figure, else None."""
    if asked_kind(question) != "quantity":
        return None
    asked = {a for a in asked_about(question) if a in CONCEPTS}
    given = _figures(MARKER.sub(" ", answer)) - _figures(question)
    cited_dates = [c.passage.published[:10] for c in citations if c.passage.published]
    if not asked or not given or not cited_dates:
        return None
    older_date = max(cited_dates)
    names = names_in(question)
    best: NewerFigure | None = None
    for n, p in enumerate(passages, start=1):
        if not p.published or p.published[:10] <= older_date:
            continue
        if best is not None and p.published <= (best.passage.published or ""):
            continue
        for sentence in split_sentences(p.text):
            sentence = sentence.strip(" -•*\t")
            if not asked <= concepts_in(sentence) or not (_figures(sentence) - given):
                continue
            if names and not _names_event(names, p.title or "", sentence, aliases):
                continue  # another event's report: the question's place or actor is not named
            best = NewerFigure(n, p, sentence, older_date)
            break
    return best


def _hidden(p: Passage) -> Passage:
    """The passage with no date: never preferred as the newer report (its number stays the same)."""
    return replace(p, published=None)


class NewerReport:
    """A "latest" answer that quoted an older report's figure gets the newer report's sentence.

    The note says the model had quoted an earlier report; it is not a cited claim, so the answer
    cites only the report that states it. (The older figure is not repeated: the model's sentence
    holds other figures too.)
    """

    name = "newer_report"

    def __init__(self, aliases=None) -> None:
        self.aliases = aliases

    def __call__(self, draft: Draft) -> Verdict:
        if not draft.recency:
            return Verdict.ok()
        # under an as-of date, a report published after it (in the grace days) is not "newer" evidence
        passages = [
            p if not draft.as_of or (p.published or "")[:10] <= draft.as_of else _hidden(p) for p in draft.passages
        ]
        newer = newer_figure(draft.standalone, draft.text, draft.citations, passages, self.aliases)
        if newer is None:
            return Verdict.ok()
        date = (newer.passage.published or "")[:10]
        quote = f"The newest report that gives this ({date}) says: “{newer.sentence.rstrip('.')}” [{newer.n}]."
        text, citations = resolve_citations(quote, list(draft.passages))
        checked = SentenceCheck(quote, (newer.n,), "supported")
        return Verdict.replace(
            replace(draft, text=text, citations=citations, sentences=(checked,)),
            f" The model had quoted an earlier report ({newer.older_date}).",
        )
