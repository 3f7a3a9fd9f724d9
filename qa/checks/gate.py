"""The gate before generation: refuse when the passages don't contain the question's specifics.

A question about "the Sabzqala bombing in 2025" is not answered by passages about another bombing:
its names and figures (with any alias of the same actor) must occur in the retrieved passages,
their titles or their dates, or the model is not asked at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.text.question import read_question
from qa.text.terms import key_terms, name_found, names_in, numbers_in
from qa.types import Passage


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    missing: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        if self.allowed:
            return None
        return "the reports found don't mention " + ", ".join(repr(m) for m in self.missing)


def _file_words(source: str | None) -> str:
    """A document's file name as words ("Yemen_HumanitarianOverview_2015Jul17_HIU_U1254.pdf" ->
    "Yemen HumanitarianOverview 2015Jul17 HIU U1254"): it often names the publisher a question
    cites ("according to the HIU") when the text never does."""
    if not source:
        return ""
    name = re.split(r"[/\\]", source.split("?")[0].rstrip("/"))[-1]
    words = re.sub(r"[_\-.]+", " ", re.sub(r"\.\w{1,5}$", "", name)).split()
    return " ".join(w for w in words if not any(c.isdigit() for c in w))  # names, never figures


def evidence_text(passages: Sequence[Passage]) -> str:
    """What a passage offers as evidence: its report's title, date and file name, and its text
    less the sentences that instruct the reader (a prompt injection is never evidence:
    :mod:`qa.text.instructions`)."""
    from qa.text.instructions import without_instructions

    return "\n".join(
        f"{p.title or ''}\n{p.published or ''}\n{_file_words(p.source)}\n{without_instructions(p.text)}"
        for p in passages
    )


def question_names(question: str) -> set[str]:
    """The question's capitalised names, less a first word that is capitalised only because it
    opens the question: spaCy does not read it as a proper noun or part of a named entity
    ("Until when …", "Approximately how many …")."""
    from qa.text.nlp import parse

    names = names_in(question)
    doc = parse(question)
    first = next((t for t in doc if not t.is_punct and not t.is_space), None)
    if first is None or first.pos_ == "PROPN" or first.ent_type_:
        return names
    out = set()
    for name in names:
        words = name.split()
        if question.lstrip().startswith(name) and words[0] == first.text:
            words = words[1:]
        if words:
            out.add(" ".join(words))
    return out


def check_question(question: str, passages: Sequence[Passage], aliases=None) -> GateDecision:
    """Allowed when every name and figure of the question occurs somewhere in the passages (the
    year of a full date in the question is its time frame, not a figure they must repeat)."""
    terms = key_terms(question, date_days=False)
    haystack = evidence_text(passages)
    numbers = numbers_in(haystack.replace("-", " "))
    q = read_question(question)
    time_frames = {d[:4] for d in q.dates}  # a full date's year is its time frame
    missing = [n for n in sorted(question_names(question)) if not name_found(n, haystack, aliases, demonyms=True)]
    missing += [x for x in sorted(terms.numbers - time_frames - q.answer_count) if x not in numbers]
    return GateDecision(not missing, tuple(missing))


class Gate:
    """The gate as the chain runs it, with the alias table the retriever searched with."""

    name = "gate"

    def __init__(self, aliases=None) -> None:
        self.aliases = aliases

    def __call__(self, question: str, passages: Sequence[Passage]) -> GateDecision:
        return check_question(question, passages, self.aliases)


class CoverageGate:
    """The gate on what matters: the question's names and figures, weighted by how rare they are.

    Each word of the question's names (from spaCy, :mod:`qa.text.question`) and each of its figures
    counts with its rarity in the store (inverse chunk frequency from the keyword index: "Mallacoota"
    weighs more than "US"). The share of that weight found in the passages (their titles and dates
    included; names fuzzily, by prefix and through aliases; figures by value) must reach ``bar``
    (chosen on the dev split of the real gold set). The refusal names what is missing.
    """

    name = "gate"

    def __init__(self, aliases=None, rarity: Callable[[str], float] | None = None, bar: float = 0.5) -> None:
        self.aliases = aliases
        self.rarity = rarity
        self.bar = bar

    def weights(self, question: str) -> dict[str, float]:
        from qa.text.question import read_question

        q = read_question(question)
        items: dict[str, float] = {}
        for name in q.names:
            for word in re.findall(r"[\w'’-]+", name):
                if len(word) > 1 and not word.isdigit():
                    items[word] = max(self._weight(word), items.get(word, 0.0))
        for figure in q.figures - q.answer_count:
            items[figure] = self._weight(figure)
        return items

    def _weight(self, word: str) -> float:
        return max(self.rarity(word), 0.1) if self.rarity else 1.0

    def __call__(self, question: str, passages: Sequence[Passage]) -> GateDecision:
        weights = self.weights(question)
        if not weights:
            return GateDecision(True)
        haystack = evidence_text(passages)
        numbers = numbers_in(haystack.replace("-", " "))
        from qa.text.question import read_question

        figures = read_question(question).figures
        found = {
            w: (w in numbers) if w in figures else name_found(w, haystack, self.aliases, demonyms=True) for w in weights
        }
        total = math.fsum(weights.values())  # exact: the same share whatever the names' order
        share = math.fsum(weights[w] for w, ok in found.items() if ok) / total
        missing = tuple(sorted((w for w, ok in found.items() if not ok), key=lambda w: (-weights[w], w)))
        return GateDecision(share >= self.bar, missing)
