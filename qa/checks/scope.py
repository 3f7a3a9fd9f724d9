"""A fact said of another place or actor: the passage's coordinated clauses keep facts apart.

A sentence that lists what happened where — "ISIS-K has escalated its attacks, targeting rallies in
Pakistan, conducting suicide bombings in Iran, and carrying out an attack in Moscow" — holds every
word of the answer "Suicide bombs" to "What weapons did ISIS-K use in the Moscow attack?", and
names Moscow. The parse says otherwise: "suicide bombings" sits in the clause of "conducting",
whose place is Iran; Moscow sits in a coordinated clause of its own.

The check reads spaCy's dependency parse of each passage sentence that holds the answer's new fact
(:func:`qa.checks.claim.new_fact`). The fact's *clause* is the nearest verb above its words, without
the clauses coordinated with it (``conj``). An answer sentence is withheld when, in every such
passage sentence, the fact's clause names another entity of the asked one's kind (a place for a
place, an actor for an actor: spaCy's entity types), not the asked one, while the asked one is named
in a clause coordinated with it. A fact whose clause names nothing of that kind, or that the
passages also give elsewhere, passes: the check reads structure, not words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qa.answer.citations import resolve_citations
from qa.checks.base import Draft, Verdict
from qa.checks.claim import new_fact
from qa.text.markers import markers_of, strip_markers
from qa.text.nlp import parse
from qa.text.question import ENTITY_KIND, Question, read_question
from qa.text.sentences import sentence_spans, split_sentences
from qa.text.terms import name_found, numbers_in
from qa.text.words import stem
from qa.types import Passage, SentenceCheck

ACTOR_KINDS = frozenset({"place", "person", "organisation"})


def _clause(token):
    """The nearest verb at or above ``token`` (the sentence's root when there is none)."""
    t = token
    while True:
        if t.pos_ in ("VERB", "AUX") or t.head.i == t.i:
            return t
        t = t.head


def _own(head) -> set[int]:
    """The token indices of ``head``'s clause, without the clauses coordinated under it."""
    out = {t.i for t in head.subtree}
    for c in head.children:
        if c.dep_ == "conj":
            out -= {t.i for t in c.subtree}
    return out


def _conjuncts(head) -> list:
    """Every clause coordinated with ``head`` (itself included)."""
    top = head
    while top.dep_ == "conj" and top.head.i != top.i:
        top = top.head
    group, todo = [], [top]
    while todo:
        t = todo.pop()
        group.append(t)
        todo.extend(c for c in t.children if c.dep_ == "conj")
    return group


def _anchors(doc, figures: set[str], names: set[str], words: set[str]) -> list:
    """The tokens of a parsed passage sentence that carry the fact."""
    name_words = {stem(w.lower()) for n in names for w in n.split()}
    out = []
    for t in doc:
        if figures and numbers_in(t.text) & figures:
            out.append(t)
        elif names and t.pos_ in ("PROPN", "NOUN") and stem(t.lower_) in name_words:
            out.append(t)
        elif not figures and not names and stem(t.lemma_.lower()) in words:
            out.append(t)
    return out


# Dependency labels of a word that modifies a noun (spaCy's English labels): an entity in one
# describes the fact's noun ("Afghan civilians", "Israeli hostages"); it is not who the fact is of.
_MODIFIER = frozenset({"amod", "compound", "nmod", "poss", "nummod"})


def said_of_other(
    sentence: str, fact: tuple[set[str], set[str], set[str]], asked: Sequence[tuple[str, str]], aliases=None
) -> tuple[str, str] | None:
    """``(other entity, asked entity)`` when ``sentence`` says the fact of another entity of an asked
    one's kind, in a clause coordinated with the one naming the asked entity; else None."""
    doc = parse(sentence)
    anchors = _anchors(doc, *fact)
    if not anchors:
        return None
    clauses = {_clause(t).i: _clause(t) for t in anchors}
    found = None
    for name, label in asked:
        kind = ENTITY_KIND.get(label)
        if kind not in ACTOR_KINDS:
            continue
        own = set().union(*(_own(h) for h in clauses.values()))
        text = " ".join(doc[i].text for i in sorted(own))
        if name_found(name, text, aliases):
            return None  # the fact's clause names the asked entity
        siblings = {c.i: c for h in clauses.values() for c in _conjuncts(h) if c.i not in clauses}
        elsewhere = any(
            name_found(name, " ".join(doc[i].text for i in sorted(_own(c))), aliases) for c in siblings.values()
        )
        if not elsewhere:
            continue
        others = [
            e.text
            for e in doc.ents
            if ENTITY_KIND.get(e.label_) == kind
            and e.start in own
            and e.root.dep_ not in _MODIFIER  # "12 Afghan civilians": a word of the fact's own noun
            and not name_found(name, e.text, aliases)
            and not name_found(e.text, name, aliases)
        ]
        if others:
            found = found or (others[0], name)
    return found


class SaidOf:
    """Withholds an answer sentence whose fact the passage says of another place or actor."""

    name = "said_of"

    def __init__(self, aliases=None) -> None:
        self.aliases = aliases

    def __call__(self, draft: Draft) -> Verdict:
        q = read_question(draft.focus)
        if not q.entity_labels:
            return Verdict.ok()
        checks, kept, problems = [], [], []
        for sentence in split_sentences(draft.text):
            problem = self._sentence(sentence, q, draft.passages)
            cited = tuple(n for n in dict.fromkeys(markers_of(sentence)) if 1 <= n <= len(draft.passages))
            if problem is None:
                kept.append(sentence)
                checks.append(SentenceCheck(sentence, cited, "supported"))
            else:
                problems.append(problem[0])
                checks.append(SentenceCheck(sentence, cited, "unsupported", (problem[1],)))
        if not problems:
            return Verdict.ok()
        if not kept:
            said = strip_markers(draft.text)
            return Verdict.refuse(
                f"{'; '.join(dict.fromkeys(problems))} (the model said: “{said}”)",
                replace(draft, sentences=tuple(checks)),
            )
        text, citations = resolve_citations(" ".join(kept), list(draft.passages))
        return Verdict.replace(replace(draft, text=text, citations=citations, sentences=tuple(checks)))

    def _sentence(self, sentence: str, q: Question, passages: Sequence[Passage]) -> tuple[str, str] | None:
        """``(reason, the other entity)`` when every passage sentence giving the fact says it of
        another entity; else None."""
        cited = [n for n in dict.fromkeys(markers_of(sentence)) if 1 <= n <= len(passages)]
        if not cited:
            return None
        fact = new_fact(strip_markers(sentence), q)
        if not any(fact):
            return None
        from qa.checks.claim import _holds

        verdicts = []
        for p in passages:  # every passage that gives the fact: a small model often cites the wrong one
            text = p.text
            for s, e in sentence_spans(text):
                part = text[s:e]
                if _holds(part, *fact, self.aliases):
                    verdicts.append(said_of_other(part, fact, q.entity_labels, self.aliases))
        if not verdicts or any(v is None for v in verdicts):
            return None
        other, asked = verdicts[0]
        what = ", ".join(sorted(fact[0] | fact[1])) or strip_markers(sentence).rstrip(".")
        return f"the passage says “{what}” of {other}, not of {asked}", other
