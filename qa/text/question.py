"""A question read once: what it asks for, what it is about, its names, figures and dates.

Everything comes from spaCy's parse and entity types, not from word lists: the wh-word and the
token it governs say what is asked for (a figure, a time, a person, a place, an organisation or a
thing); the root verb and the asked-about noun are the *focus* ("killed", "injured", "weapons");
named entities and proper nouns are the question's *names*; figures are read by value; dates by
``dateparser``. Every check reads this object; none re-parses the question.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from qa.text.dates import YEAR
from qa.text.nlp import parse
from qa.text.terms import acronym_letters, numbers_in, without_dates
from qa.text.words import CALENDAR_WORDS, STOPWORDS, stem

Asks = Literal["figure", "time", "person", "place", "organisation", "thing"]
# spaCy entity types -> what an answer of that type is
ENTITY_KIND: dict[str, Asks] = {
    "PERSON": "person",
    "NORP": "organisation",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "time",
    "TIME": "time",
    "CARDINAL": "figure",
    "MONEY": "figure",
    "PERCENT": "figure",
    "QUANTITY": "figure",
    "ORDINAL": "figure",
}
NAME_LABELS = frozenset({"PERSON", "NORP", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
_WH = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "how", "why"})
CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "PROPN", "NUM"})


@dataclass(frozen=True)
class Question:
    text: str
    asks: Asks | None  # what kind of fact answers it (None: a why/how question, or unclear)
    focus: tuple[str, ...]  # stems of what is asked about: the root verb, the asked-about noun
    primary: str | None  # the one focus stem an answer's sentence must say: the content root verb, else the noun
    names: tuple[str, ...]  # named entities and proper-noun phrases, as written
    entities: tuple[str, ...]  # the named entities alone (spaCy's NER): the question's places and actors
    figures: frozenset[str]  # figures by value (dates' day numbers left out)
    dates: tuple[str, ...]  # ISO dates the question names
    terms: tuple[str, ...]  # stems of its content words (names' words included)
    counted: str | None = None  # lemma stem of what a "how many / how much" question counts ("child")
    counted_word: str | None = None  # that noun as the question writes it, lower case ("children"; "IDPs")
    time_parts: frozenset[str] = frozenset()  # calendar parts a "what date / which year" question asks for
    wh: str | None = None  # its wh-word, lower case ("what", "who"); None for a yes/no question
    event_years: tuple[int, ...] = ()  # years that name its event: "the 2020 Nagorno-Karabakh war"
    answer_count: frozenset[str] = frozenset()  # how many things the answer names: "which two regions" -> 2
    entity_labels: tuple[tuple[str, str], ...] = ()  # each named entity with its spaCy type: ("Moscow", "GPE")

    @property
    def name_words(self) -> set[str]:
        return {stem(w.lower()) for n in self.names for w in re.findall(r"[\w'’-]+", n)}


def content_stems(doc) -> list[str]:
    """Stems of the lemmas of a parsed text's content words (no stopwords, no punctuation)."""
    return [
        stem(t.lemma_.lower())
        for t in doc
        if t.pos_ in CONTENT_POS and t.lemma_.lower() not in STOPWORDS and (len(t.text) > 2 or t.like_num)
    ]


def _asks(doc) -> Asks | None:
    words = [t.lower_ for t in doc]
    for i, t in enumerate(doc):
        if t.lower_ not in _WH:
            continue
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if t.lower_ == "how":
            if nxt is not None and (nxt.lower_ in ("many", "much") or nxt.pos_ == "ADJ" or nxt.pos_ == "ADV"):
                return "figure"  # how many / how much / how old / how long
            return None
        if t.lower_ == "when":
            return "time"
        if t.lower_ == "where":
            return "place"
        if t.lower_ in ("who", "whom", "whose"):
            return "person"
        if t.lower_ == "why":
            return None
        # what / which: the noun it governs says it ("which country", "what date", "what number")
        noun = _governed_noun(doc, i)
        if noun is not None:
            kind = _noun_kind(noun)
            if kind is not None:
                return kind
        return "thing"
    return "thing" if words and words[-1] == "?" else None


def _governed_noun(doc, i: int):
    """The noun a what/which determines ("which countries"), or the subject/attribute of "what is"."""
    t = doc[i]
    if t.dep_ == "det" and t.head.pos_ in ("NOUN", "PROPN"):
        return t.head
    for right in doc[i + 1 : i + 5]:
        if right.pos_ in ("NOUN",):
            return right
    return None


def _counted(doc):
    """The noun a "how many / how much" question counts: the noun "many" modifies (the head of
    its noun compound: "how many measles cases" counts cases), or the object of its "of" ("how
    many of those deaths"); None for other questions."""
    for t in doc[:-1]:
        if t.lower_ == "how" and doc[t.i + 1].lower_ in ("many", "much"):
            many = doc[t.i + 1]
            noun = many.head if many.dep_ == "amod" and many.head.pos_ == "NOUN" else None
            for prep in (c for c in many.children if c.dep_ == "prep" and c.lower_ == "of"):
                noun = noun or next((c for c in prep.children if c.dep_ == "pobj" and c.pos_ == "NOUN"), None)
            return None if noun is None or noun.lemma_.lower() in STOPWORDS else noun
    return None


def asked_noun(doc):
    """The noun whose instance or count the question asks for: what "how many" counts, or what a
    what/which determines ("which Louisiana town" -> town); None for other questions."""
    if (counted := _counted(doc)) is not None:
        return counted
    for t in doc:
        if t.lower_ in ("what", "which"):
            return _governed_noun(doc, t.i)
        if t.lower_ in _WH:
            return None
    return None


def _as_written(noun) -> str:
    """A noun in lower case, but an acronym as written ("IDPs", "MPs"): lower-cased, WordNet would
    read it as another word ("mps": the mononuclear phagocyte system)."""
    return noun.text if acronym_letters(noun.text) else noun.lower_


def _noun_kind(noun) -> Asks | None:
    """A noun that spaCy's NER reads as a unit of time ("year", "date", "month") asks for a time."""
    probe = parse(f"It happened in that {noun.lemma_.lower()}.")
    if any(e.label_ in ("DATE", "TIME") for e in probe.ents):
        return "time"
    return None


def _answer_count(doc) -> frozenset[str]:
    """The figure that says how many things a what/which question asks for ("in which two
    regions", "what three demands"): the number modifying the noun the wh-word governs. It is the
    answer's shape, not a fact the reports must state."""
    for t in doc:
        if t.lower_ in ("what", "which"):
            noun = _governed_noun(doc, t.i)
            if noun is None:
                return frozenset()
            return frozenset(n for c in noun.children if c.dep_ == "nummod" for n in numbers_in(c.text))
    return frozenset()


def _time_parts(doc) -> frozenset[str]:
    """What a what/which question's time noun asks for: "on what date" a day, "in which year" a
    year (``TIME_NOUN_PARTS``, dateparser's names); nothing for "when" (any time answers it)."""
    from qa.text.dates import TIME_NOUN_PARTS

    for t in doc:
        if t.lower_ in ("what", "which"):
            noun = _governed_noun(doc, t.i)
            return TIME_NOUN_PARTS.get(noun.lemma_.lower(), frozenset()) if noun is not None else frozenset()
    return frozenset()


def _clean(name: str) -> str:
    """A name without a leading article or a trailing possessive ("the Al Noor Mosque", "Sea-Eye's")."""
    name = re.sub(r"^(?:the|a|an)\s+", "", name.strip(), flags=re.IGNORECASE)
    return re.sub(r"['’]s?$", "", name).strip()


@functools.lru_cache(maxsize=2048)
def read_question(text: str) -> Question:
    """The typed ``Question`` of ``text`` (cached: every check reads the same object)."""
    from qa.text.dates import dates_in

    doc = parse(text)
    names = []
    labels = []
    covered: set[int] = set()
    for ent in doc.ents:
        if ent.label_ in NAME_LABELS:
            names.append(_clean(ent.text))
            labels.append((names[-1], ent.label_))
            covered |= set(range(ent.start, ent.end))
    entities = tuple(dict.fromkeys(n for n in names if n))
    run: list[str] = []
    for t in list(doc) + [None]:
        if (
            t is not None
            and t.pos_ == "PROPN"
            and t.i not in covered
            and t.ent_type_ not in ("DATE", "TIME")
            and t.lower_ not in CALENDAR_WORDS
            and not (t.i == 0 and t.lower_ in _WH)
        ):
            run.append(t.text)
            continue
        if run:
            names.append(_clean(" ".join(run)))
            run = []
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    focus = []
    verb = None
    if root is not None and root.pos_ in ("VERB", "NOUN") and root.lemma_.lower() not in STOPWORDS:
        focus.append(stem(root.lemma_.lower()))
        verb = focus[0] if root.pos_ == "VERB" else None
    for t in doc:
        if t.lower_ in _WH:
            noun = _governed_noun(doc, t.i)
            if noun is not None and noun.lemma_.lower() not in STOPWORDS:
                focus.append(stem(noun.lemma_.lower()))
            break
    for t in doc:  # verbs of the asked clause ("were killed", "was injured") and their participles
        if (
            t.pos_ == "VERB"
            and t.head == root
            and t.dep_ in ("xcomp", "ccomp", "conj")
            and t.lemma_.lower() not in STOPWORDS
        ):
            focus.append(stem(t.lemma_.lower()))
    counted = _counted(doc)
    return Question(
        time_parts=_time_parts(doc),
        wh=next((t.lower_ for t in doc if t.lower_ in _WH), None),
        answer_count=_answer_count(doc),
        event_years=tuple(
            int(t.text)
            for t in doc
            if re.fullmatch(YEAR, t.text)
            and t.head.i > t.i
            and t.head.pos_ in ("NOUN", "PROPN")
            and t.head.lower_ not in CALENDAR_WORDS
        ),
        text=text,
        asks=_asks(doc),
        focus=tuple(dict.fromkeys(focus)),
        primary=verb or (focus[0] if focus else None),
        names=tuple(dict.fromkeys(n for n in names if n)),
        entities=entities,
        entity_labels=tuple(dict.fromkeys(x for x in labels if x[0])),
        figures=frozenset(numbers_in(without_dates(text))),
        dates=tuple(dates_in(text)),
        terms=tuple(dict.fromkeys(content_stems(doc))),
        counted=stem(counted.lemma_.lower()) if counted is not None else None,
        counted_word=_as_written(counted) if counted is not None else None,
    )
