"""The ``said_of`` check: a fact the passage says of another place or actor, in a coordinated clause."""

from __future__ import annotations

from qa.answer.citations import resolve_citations
from qa.checks.base import Draft
from qa.checks.claim import new_fact
from qa.checks.scope import SaidOf, said_of_other
from qa.factory import CHECKS, DEFAULT_CHECKS, build_checks
from qa.text.question import read_question
from qa.types import Passage

LIST = (
    "In recent years, ISIS-K has escalated its attacks, targeting political rallies in Pakistan, conducting "
    "suicide bombings in Iran, and most recently, carrying out a terrorist attack in Moscow that claimed the "
    "lives of at least 133 people."
)


def verdict(question: str, answer: str, text: str = LIST):
    passages = [Passage(text, "d1", "d1:0", title="ISIS-K and the Taliban")]
    body, cites = resolve_citations(answer, passages)
    return SaidOf()(Draft(question, question, question, body, cites, tuple(passages)))


def test_a_fact_from_the_clause_about_another_place_is_refused_and_named():
    v = verdict("What weapons did ISIS-K use in the Moscow attack?", "Suicide bombs [1].")
    assert v.action == "refuse"
    assert "Iran" in v.reason and "Moscow" in v.reason
    assert v.draft.sentences[0].missing == ("Iran",)


def test_the_fact_of_the_asked_place_is_kept():
    assert verdict("How many people died in the ISIS-K attack in Moscow?", "At least 133 people [1].").action == "pass"
    assert verdict("What did ISIS-K conduct in Iran?", "Suicide bombings [1].").action == "pass"


def test_a_place_outside_any_coordination_is_not_read_as_the_facts_place():
    # "Moscow" governs the whole sentence; "Ukraine" is where the rifles came from, not the attack.
    text = "In Moscow, police said the gunmen used rifles bought in Ukraine."
    assert verdict("What weapons did the gunmen use in Moscow?", "Rifles [1].", text).action == "pass"


def test_the_same_fact_given_of_the_asked_place_elsewhere_in_the_passage_passes():
    text = LIST + " In Moscow the attackers also set off suicide bombings."
    assert verdict("What weapons did ISIS-K use in the Moscow attack?", "Suicide bombs [1].", text).action == "pass"


def test_only_the_sentence_said_of_another_place_is_dropped():
    v = verdict(
        "What weapons did ISIS-K use in the Moscow attack?",
        "Suicide bombs [1]. The attack in Moscow claimed at least 133 lives [1].",
    )
    assert v.action == "replace"
    assert "Suicide" not in v.draft.text and "133" in v.draft.text and v.draft.citations


def test_a_question_without_places_or_actors_is_not_read():
    assert verdict("What weapons were used?", "Suicide bombs [1].").action == "pass"


def test_entities_of_another_kind_do_not_count(monkeypatch):
    # Hamas (an organisation) is in the coordinated clause; the fact's clause names only a place.
    q = read_question("What did Hamas fire?")
    text = "Hamas fired rockets at Ashkelon, and drones struck Gaza."
    fact = new_fact("Drones", q)
    assert said_of_other(text, fact, q.entity_labels) is None
    import qa.checks.scope as scope

    monkeypatch.setattr(scope, "ENTITY_KIND", dict.fromkeys(scope.ENTITY_KIND, "place"))
    assert said_of_other(text, fact, q.entity_labels) == ("Gaza", "Hamas")  # one kind: Gaza would count


def test_a_word_of_the_facts_own_noun_is_not_another_actor():
    q = read_question("How many civilians did ISIS-K kill in the Kabul attack?")
    text = "ISIS-K claimed the attack, and the blast killed 12 Afghan civilians."
    assert said_of_other(text, new_fact("12", q), q.entity_labels) is None


def test_a_passage_the_model_did_not_cite_can_give_the_fact_of_the_asked_place():
    passages = [
        Passage(LIST, "d1", "d1:0", title="ISIS-K and the Taliban"),
        Passage("In Moscow the attackers also set off suicide bombings.", "d2", "d2:0", title="Moscow"),
    ]
    q = "What weapons did ISIS-K use in the Moscow attack?"
    body, cites = resolve_citations("Suicide bombs [1].", passages)
    assert SaidOf()(Draft(q, q, q, body, cites, tuple(passages))).action == "pass"


def test_it_is_a_named_check_and_off_by_default():
    assert "said_of" in CHECKS and "said_of" not in DEFAULT_CHECKS.split(",")
    assert [c.name for c in build_checks("sentences,said_of")] == ["sentences", "said_of"]
