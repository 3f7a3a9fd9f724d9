"""For "latest" and as-of questions: the newest report's figure, when the model quoted an older one.

Tolls and counts change from report to report (40, then 57, then 61, then 63). Asked for the latest,
a small model often quotes the figure that best matches the question's wording, from an older
report, even though the passages come newest first, and often without a [n] marker. This module
traces the model's figure to the sentence that states it (the cited passages, else any), then
finds, among the passages given, a *newer* report about the same event whose sentence states what
was asked ("death toll", "people in need of assistance") with another figure. The chain then
answers with that sentence, quoted and cited, and notes that the model had quoted an earlier
report. Measured on the real dev split's "latest" questions (benchmarks/checks_replay.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.answer.citations import resolve_citations
from qa.checks.asks import CONCEPTS, asked_about, asked_kind, concepts_in
from qa.checks.base import Draft, Verdict
from qa.text.markers import MARKER
from qa.text.nlp import parse
from qa.text.question import read_question
from qa.text.sentences import split_sentences
from qa.text.terms import name_found, names_in, numbers_in, without_dates
from qa.text.words import content_words, stem
from qa.types import Citation, Passage, SentenceCheck

_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class NewerFigure:
    n: int  # the passage's number in the prompt, for the [n] marker
    passage: Passage
    sentence: str
    older_date: str  # the date of the report the model's figure came from


def _figures(text: str) -> set[str]:
    return {x for x in numbers_in(without_dates(text).replace("-", " ")) if not _YEAR.match(x)}


def _names_event(names: set[str], title: str, sentence: str, aliases=None) -> bool:
    """The sentence names one of the question's places or actors, or the title names a word of one
    ("Vorzan crossing reopens ..." is about the "Vorzan Pass" attack's aftermath)."""
    if any(name_found(name, f"{title}\n{sentence}", aliases) for name in names):
        return True
    title_words = {w.lower() for w in re.findall(r"[\w'’-]+", title)}
    return any(part.lower() in title_words for name in names for part in name.split() if len(part) >= 4)


def _years(text: str) -> set[str]:
    return {x for x in re.findall(r"\b(?:19|20)\d\d\b", text)}


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def _other_place(sentence: str, known: str, known_names: set[str], aliases=None) -> str | None:
    """A place the sentence names that neither the question nor the model's sentence does
    ("refugees from Ukraine" for a question about refugees worldwide), else None. A place's
    initials ("United States") stand for it written short ("US")."""
    for ent in parse(sentence).ents:
        if ent.label_ not in ("GPE", "LOC"):
            continue
        name = re.sub(r"^the\s+", "", ent.text, flags=re.IGNORECASE)
        if name_found(name, known, aliases) or _initials(name) in known_names:
            continue
        return name
    return None


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text, figures=False)}


def _source(given: set[str], citations: Sequence[Citation], passages: Sequence[Passage]) -> tuple[str, str] | None:
    """Where the model's figures came from: (the report's date, the sentence holding most of them).

    The cited passages when the model cited; else every dated passage (a small model often quotes
    without a marker). The sentence holding most of the answer's figures is the model's source; of
    equals, the newest report's. None when no dated passage states any of them.
    """
    pool = [c.passage for c in citations] or list(passages)
    best: tuple[int, str, str] | None = None
    for p in pool:
        if not p.published:
            continue
        for sentence in split_sentences(p.text):
            shared = len(_figures(sentence) & given)
            key = (shared, p.published[:10], sentence)
            if shared and (best is None or key[:2] > best[:2]):
                best = key
    return None if best is None else (best[1], best[2])


def newer_figure(
    question: str, answer: str, citations: Sequence[Citation], passages: Sequence[Passage], aliases=None
) -> NewerFigure | None:
    """A newer passage's sentence giving the asked figure with another value, else None.

    A candidate sentence, in a report dated after the one the model quoted, must name the question's
    place or actor, hold a figure the answer does not, and state what was asked: the outcome the
    question names ("killed", "displaced": the same outcome in other words, "81 had lost their
    lives"), or, for any other figure, at least two of the question's content words ("people in
    need of humanitarian assistance"); and, with its report's title, every word of the question the
    model's sentence said ("worldwide", "measles"). It names no
    year but the question's (when both name one) and no place that neither the question nor the
    model's sentence names. Of the newest report's sentences, the one sharing most words wins.
    """
    if asked_kind(question) not in ("quantity", None):
        return None  # a date or a name is asked for
    read = read_question(question)
    asked = {a for a in asked_about(question) if a in CONCEPTS}
    given = _figures(MARKER.sub(" ", answer)) - _figures(question)
    source = _source(given, citations, passages) if given else None
    if source is None:
        return None
    older_date, quoted = source
    names = names_in(question)
    terms = _stems(question) - read.name_words
    # the question's words the model's sentence says (an outcome's words aside: "81 had lost their
    # lives" says "death toll"): the newer sentence, or its report's title, must say them too
    kept = {t for t in terms & _stems(quoted) if not concepts_in(t)}
    years = _years(question)
    best: tuple[int, NewerFigure] | None = None
    for n, p in enumerate(passages, start=1):
        if not p.published or p.published[:10] <= older_date:
            continue
        if best is not None and p.published[:10] < (best[1].passage.published or "")[:10]:
            continue
        title = _stems(p.title or "")
        for sentence in split_sentences(p.text):
            sentence = sentence.strip(" -•*\t")
            figures = _figures(sentence)
            said = _stems(sentence)
            overlap = len(terms & said)
            if asked and not asked <= concepts_in(sentence) or not asked and overlap < 2:
                continue
            if not (figures - given):
                if figures & given and (not names or _names_event(names, p.title or "", sentence, aliases)):
                    return None  # a newer report restates the model's figure (and no other): still current
                continue
            if not kept <= said | title:
                continue  # it leaves out what the model's figure was of ("refugees worldwide")
            if names and not _names_event(names, p.title or "", sentence, aliases):
                continue  # another event's report: the question's place or actor is not named
            if years and (found := _years(sentence)) and not found & years:
                continue  # another year's figure ("in 2018 ... worldwide" for the 2019 outbreak)
            if _other_place(sentence, f"{question}\n{quoted}", names, aliases):
                continue  # another place's figure ("refugees from Ukraine" for refugees worldwide)
            newest = best is None or p.published[:10] > (best[1].passage.published or "")[:10]
            if newest or overlap > best[0]:
                best = (overlap, NewerFigure(n, p, sentence, older_date))
    return None if best is None else best[1]


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
