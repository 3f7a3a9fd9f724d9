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


def test_entities_of_another_kind_do_not_count():
    # Iran is a place; the question's only entity is an organisation, named in the root clause.
    q = read_question("What did ISIS-K do?")
    fact = new_fact("Suicide bombings", q)
    assert said_of_other(LIST, fact, q.entity_labels) is None


def test_it_is_a_named_check_and_off_by_default():
    assert "said_of" in CHECKS and "said_of" not in DEFAULT_CHECKS.split(",")
    assert [c.name for c in build_checks("sentences,said_of")] == ["sentences", "said_of"]
