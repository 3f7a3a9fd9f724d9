"""A claim is supported by a sentence, not by a bag of words.

For each sentence of the answer, its *new fact* is what it adds to the question: figures (by value)
and names (spaCy entities and proper nouns) the question does not contain, or, for a "what/which"
question, new content words. The passage sentence that gives that fact — one sentence of a cited
passage, or two adjacent ones — must also carry what the question asks about: its *focus* (the
root verb and the asked-about noun, by lemma: "injured", "detect", "weapons"). The question's own
entities (its places and actors) must be named in that sentence or the report's title (with three
or more, one may be missing; with ``topic_in_report``, anywhere in the report); aliases count.

"The US military has used the Tomahawk cruise missile for decades to detect mines [1]" then fails
when the passage sentence holding "Tomahawk" never says "detect"; "Nine people were killed [1]"
fails for "how many were injured". A sentence without a new fact only restates the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from qa.answer.citations import resolve_citations
from qa.checks.base import Draft, Verdict
from qa.text.markers import markers_of, strip_markers
from qa.text.nlp import parse
from qa.text.question import NAME_LABELS, Question, content_stems, read_question
from qa.text.sentences import sentence_spans, split_sentences
from qa.text.terms import name_found, numbers_in, prefix_key, without_dates
from qa.text.words import CALENDAR_WORDS, STOPWORDS, stem
from qa.types import Passage, SentenceCheck


def new_fact(sentence: str, q: Question) -> tuple[set[str], set[str], set[str]]:
    """``(figures, names, words)`` the sentence adds to the question."""
    doc = parse(sentence)
    figures = numbers_in(without_dates(sentence).replace("-", " ")) - set(q.figures)
    known = q.name_words | set(q.terms)
    names = set()
    for ent in doc.ents:
        if ent.label_ in NAME_LABELS:
            words = [
                w
                for w in re.findall(r"[\w'’-]+", ent.text)
                if stem(w.lower()) not in known
                and not (w.islower() and w in STOPWORDS)  # "the February 2020", not the WHO
                and not (not w.isupper() and w.lower() in CALENDAR_WORDS)
                and not w.isdigit()
            ]
            if words:
                names.add(ent.text)
    for t in doc:
        if t.pos_ == "PROPN" and not t.ent_type_ and stem(t.lower_) not in known and len(t.text) > 1:
            names.add(t.text)
    words = {w for w in content_stems(doc) if w not in known and not w.isdigit()}
    return figures, names, words


def windows(text: str) -> list[str]:
    """Each sentence of a passage, and each pair of adjacent sentences."""
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    return sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]


def _holds(window: str, figures: set[str], names: set[str], words: set[str], aliases) -> bool:
    if figures and not figures <= numbers_in(window.replace("-", " ")):
        return False
    if names and not any(name_found(n, window, aliases) for n in names):
        return False
    if not figures and not names:
        have = set(content_stems(parse(window)))
        return bool(words & have)
    return True


def _says(window: str, stems: Sequence[str], synonyms: bool = False) -> bool:
    """Whether the window says one of the focus stems (by lemma, or as a word prefix); with
    ``synonyms``, another word of the same outcome or role (``qa.checks.asks.CONCEPTS``)."""
    have = set(content_stems(parse(window)))
    lower = window.lower()
    if any(s in have or re.search(rf"(?<!\w){re.escape(prefix_key(s))}", lower) for s in stems):
        return True
    if synonyms:
        from qa.checks.asks import concepts_in

        asked = set().union(*(concepts_in(s) for s in stems))
        return bool(asked and asked & concepts_in(window))
    return False


class ClaimSentence:
    """Every kept answer sentence is stated, with what the question asks about, by one passage sentence."""

    name = "claim"

    def __init__(
        self,
        aliases=None,
        reports: Callable[[str], str] | None = None,
        *,
        synonyms: bool = True,
        topic_in_report: bool = False,
    ) -> None:
        self.aliases = aliases
        self.reports = reports
        self.synonyms = synonyms  # outcome/role synonyms ("died" says "killed"); dev decides
        self.topic_in_report = topic_in_report  # the question's names may be anywhere in the report

    def __call__(self, draft: Draft) -> Verdict:
        q = read_question(draft.focus)
        checks, kept, problems = [], [], []
        for sentence in split_sentences(draft.text):
            verdict = self._sentence(sentence, q, draft.passages)
            checks.append(verdict[0])
            if verdict[0].kept:
                kept.append(verdict[0])
            else:
                problems.append(verdict[1])
        if not kept:
            said = strip_markers(draft.text)
            return Verdict.refuse(
                f"{'; '.join(dict.fromkeys(problems))} (the model said: “{said}”)",
                replace(draft, sentences=tuple(checks)),
            )
        from qa.checks.support import rebuild

        text, citations = resolve_citations(rebuild(kept), list(draft.passages))
        return Verdict.replace(replace(draft, text=text, citations=citations, sentences=tuple(checks)))

    def _sentence(self, sentence: str, q: Question, passages: Sequence[Passage]) -> tuple[SentenceCheck, str]:
        plain = strip_markers(sentence)
        figures, names, words = new_fact(plain, q)
        cited = [n for n in dict.fromkeys(markers_of(sentence)) if 1 <= n <= len(passages)]
        if not figures and not names and not words:
            return SentenceCheck(
                sentence, tuple(cited), "unsupported", ("restates the question",)
            ), "the answer only restates the question"
        order = cited + [n for n in range(1, len(passages) + 1) if n not in cited]
        holding = False
        for n in order:
            p = passages[n - 1]
            for window in windows(p.text):
                if not _holds(window, figures, names, words, self.aliases):
                    continue
                holding = True
                if q.primary and not _says(window, (q.primary,), self.synonyms):
                    continue
                if not self._topic_named(q, p, window):
                    continue
                status = "supported" if n in cited else "recited"
                return SentenceCheck(sentence, (n,), status), ""
        fact = ", ".join(sorted(figures | names)) or ", ".join(sorted(words))
        if holding:
            focus = f"“{q.primary}”" if q.primary else "what the question asks about"
            return (
                SentenceCheck(sentence, tuple(cited), "unsupported", tuple(q.focus)),
                f"the passage sentence that gives {fact} does not say {focus}",
            )
        return (
            SentenceCheck(sentence, tuple(cited), "unsupported", tuple(sorted(figures | names)) or ("no passage",)),
            f"no passage sentence gives {fact}",
        )

    def _topic_named(self, q: Question, p: Passage, window: str) -> bool:
        """Most of the question's names are named in the window or the report's title (or, with
        ``topic_in_report``, anywhere in its report)."""
        missing = [n for n in q.entities if not name_found(n, f"{window}\n{p.title or ''}", self.aliases)]
        if missing and self.topic_in_report and self.reports is not None:
            whole = self.reports(p.doc_id)
            missing = [n for n in missing if not name_found(n, whole, self.aliases)]
        return len(missing) <= (1 if len(q.entities) >= 3 else 0)


# English's negative words (a closed class of the grammar): "Nobody was arrested" for "Who was
# arrested?" adds that no one was, though every other word is the question's.
NEGATORS = frozenset({"no", "not", "none", "nobody", "nothing", "neither", "nor", "never"})


def _negates(sentence: str, question: str) -> bool:
    """The sentence says a negation the question does not (spaCy's ``neg``, or a negative word)."""

    def negations(text: str) -> int:
        return sum(t.dep_ == "neg" or t.lemma_.lower() in NEGATORS for t in parse(strip_markers(text)))

    return negations(sentence) > negations(question)


def _offers_choices(question: str) -> bool:
    """The question names its possible answers, joined by "or" ("ISIS or al-Qaeda?"): picking one
    repeats the question's words."""
    return any(t.dep_ == "cc" and t.lower_ == "or" for t in parse(question))


class RestatesQuestion:
    """An answer whose every sentence adds nothing to the question (no figure, name or content
    word it does not already have: "The attacker was shot dead by police after the February 2020
    Streatham stabbings" for "Who was the attacker shot dead by police after …") is not an answer.
    The ``claim`` check's first test, on its own."""

    name = "restates"

    def __call__(self, draft: Draft) -> Verdict:
        q = read_question(draft.focus)
        if q.wh is None or _offers_choices(q.text):
            return Verdict.ok()  # "Was he known to police?" / "Israel or Hezbollah?": the answer repeats it
        sentences = split_sentences(draft.text)
        if not sentences or any(any(new_fact(strip_markers(s), q)) or _negates(s, q.text) for s in sentences):
            return Verdict.ok()
        checks = tuple(
            SentenceCheck(s, tuple(markers_of(s)), "unsupported", ("restates the question",)) for s in sentences
        )
        said = strip_markers(draft.text)
        return Verdict.refuse(
            f"the answer only restates the question (the model said: “{said}”)", replace(draft, sentences=checks)
        )
