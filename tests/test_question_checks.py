"""The typed Question (spaCy), the claim-sentence check and the rarity-weighted gate."""

from __future__ import annotations

import pytest

from qa.answer.citations import resolve_citations
from qa.checks.base import Draft
from qa.checks.claim import ClaimSentence
from qa.checks.gate import CoverageGate
from qa.errors import ConfigError
from qa.factory import CHECKS, DEFAULT_CHECKS, build_checks
from qa.text.question import read_question
from qa.types import Passage


@pytest.mark.parametrize(
    ("question", "asks", "primary"),
    [
        ("Approximately how many people were evacuated from Mallacoota?", "figure", "evacuat"),
        ("When did the Magnitogorsk building collapse?", "time", None),
        ("In what year was ISIS-K founded?", "time", "found"),
        ("Who did Donald Trump nominate as Secretary of Defense?", "person", None),
        ("Where did Nasheed flee to?", "place", "flee"),
        ("Which countries applied to join NATO?", "thing", "apply"),
    ],
)
def test_a_question_says_what_it_asks_for_and_about(question, asks, primary):
    q = read_question(question)
    assert q.asks == asks
    if primary:
        assert q.primary == primary


def test_a_questions_names_are_its_entities_not_its_first_word_or_its_dates():
    q = read_question("Approximately how many people were killed in Magnitogorsk as of April 26, 2022?")
    assert "Magnitogorsk" in q.names
    assert not {"Approximately", "April"} & set(q.names)
    assert q.dates == ("2022-04-26",)
    assert "26" not in q.figures


P = [
    Passage(
        "Nine people were killed in the Tawila bombing. Dozens were taken to hospital.",
        "d2",
        "d2:0",
        title="Tawila bombing",
    ),
    Passage("Flooding in Merdan displaced 4,000 families, officials said.", "d3", "d3:0", title="Merdan floods"),
]


def check(question: str, answer: str, **kw):
    text, cites = resolve_citations(answer, P)
    return ClaimSentence(**kw)(Draft(question, question, question, text, cites, tuple(P)))


def test_a_figure_from_a_sentence_about_another_outcome_is_refused():
    verdict = check("How many people were injured in the Tawila bombing?", "Nine people were killed [1].")
    assert verdict.action == "refuse" and "“injur”" in verdict.reason


def test_the_same_figure_for_the_outcome_it_states_is_kept():
    assert (
        check("How many people were killed in the Tawila bombing?", "Nine people were killed [1].").action == "replace"
    )


def test_synonyms_of_an_outcome_are_a_switch():
    question, answer = "How many people died in the Tawila bombing?", "Nine people were killed [1]."
    assert check(question, answer).action == "replace"
    assert check(question, answer, synonyms=False).action == "refuse"


def test_a_restatement_of_the_question_is_not_an_answer():
    verdict = check(
        "How many people were killed in the Tawila bombing?", "People were killed in the Tawila bombing [1]."
    )
    assert verdict.action == "refuse" and "restates" in verdict.reason


def test_a_fact_from_a_report_on_another_place_is_refused():
    verdict = check(
        "How many families did the floods in Qalandar displace?", "The floods displaced 4,000 families [2]."
    )
    assert verdict.action == "refuse"
    assert (
        check("How many families did the floods in Merdan displace?", "The floods displaced 4,000 families [2].").action
        == "replace"
    )


def test_the_coverage_gate_weighs_rare_names_and_names_what_is_missing():
    rarity = {"Mallacoota": 5.0, "Australia": 0.5}.get
    gate = CoverageGate(rarity=lambda w: rarity(w, 1.0), bar=0.5)
    about = [Passage("Fires near Mallacoota forced people to the beach.", "d", "d:0", title="Bushfires")]
    elsewhere = [Passage("Fires burned across Australia this week.", "e", "e:0", title="Bushfires")]
    question = "How many people were evacuated from Mallacoota in Australia?"
    assert gate(question, about).allowed, "the rare name is there; the common one may be missing"
    decision = gate(question, elsewhere)
    assert not decision.allowed and decision.missing[0] == "Mallacoota"


def test_checks_are_built_by_name_and_an_unknown_name_is_a_clear_error():
    assert [c.name for c in build_checks("claim,newer_report")] == ["claim", "newer_report"]
    assert set(CHECKS) >= {"sentences", "asked_kind", "asked_about", "report_names", "claim", "newer_report"}
    with pytest.raises(ConfigError, match="Unknown check"):
        build_checks("claim,nonsense")


def test_how_many_things_a_question_asks_for_is_not_a_figure_the_reports_must_state():
    from qa.checks.gate import check_question

    regions = [
        Passage("The Anglophone crisis is concentrated in the North-West and South-West of Cameroon.", "c", "c:0")
    ]
    question = "In which two regions of Cameroon is the Anglophone crisis concentrated?"
    assert read_question(question).answer_count == {"2"}
    assert check_question(question, regions).allowed
    assert CoverageGate(bar=1.0)(question, regions).allowed
    # a figure about the event itself still must be there
    trucks = [Passage("A convoy of trucks reached Varno; most arrived on Monday.", "t", "t:0")]
    assert read_question("How many of the 40 trucks arrived in Varno?").answer_count == frozenset()
    assert check_question("How many of the 40 trucks arrived in Varno?", trucks).missing == ("40",)


def test_a_demonym_in_the_question_is_found_as_its_country_in_the_report():
    from qa.checks.gate import check_question
    from qa.text.terms import name_found

    fire = [Passage("Five girls died in an escape room fire in Koszalin, Poland, on Friday.", "k", "k:0")]
    assert check_question("What did Polish police say caused the Koszalin fire?", fire).allowed
    assert name_found("Iraqi", "Protests spread across Baghdad, Iraq.", demonyms=True)
    assert name_found("Filipino", "Troops were sent to the south of the Philippines.", demonyms=True)
    assert not name_found("Polish", "Five girls died in an escape room fire in Koszalin.", demonyms=True)
    assert not name_found("Polish", "Koszalin, Poland."), "only the gate reads demonyms (WordNet loads on a miss)"


def test_a_name_is_a_whole_word_not_the_capitals_inside_one():
    from qa.text.terms import names_in

    assert names_in("It was 34% for mAb114 and 29% for REGN-EB3.") == {"REGN-EB3"}  # "It" opens: not a name
    assert {"Qaeda", "Al-Shabaab", "O'Brien"} <= names_in("Al-Shabaab and al-Qaeda, said O'Brien.")


STREATHAM = Passage(
    "Police shot dead the attacker, Sudesh Amman, after the Streatham stabbings in London in February 2020.",
    "d9",
    "d9:0",
    title="Streatham stabbings",
)


def restates(question: str, answer: str):
    from qa.checks.claim import RestatesQuestion

    text, cites = resolve_citations(answer, [STREATHAM])
    return RestatesQuestion()(Draft(question, question, question, text, cites, (STREATHAM,)))


def test_an_answer_that_only_restates_the_question_is_refused():
    q = "Who was the attacker shot dead by police after the February 2020 Streatham stabbings in London?"
    refused = restates(
        q, "The attacker was shot dead by police after the February 2020 Streatham stabbings in London [1]."
    )
    assert refused.action == "refuse" and "restates the question" in refused.reason
    assert restates(q, "Sudesh Amman was shot dead by police [1].").action == "pass"
    # one sentence that adds a fact is enough
    assert restates(q, "The attacker was shot dead by police [1]. He was Sudesh Amman [1].").action == "pass"


def test_a_date_the_question_gives_is_not_a_new_name_of_the_answer():
    from qa.checks.claim import new_fact

    q = read_question("Who was the attacker shot dead by police after the February 2020 Streatham stabbings?")
    assert new_fact("It happened after the February 2020 Streatham stabbings.", q)[1] == set()


def test_restates_runs_by_default():
    assert "restates" in DEFAULT_CHECKS.split(",")


def test_an_answer_that_must_repeat_the_question_is_not_a_restatement():
    # yes/no questions, and questions that name their possible answers
    assert (
        restates("Was the attacker shot dead by police?", "Yes, the attacker was shot dead by police [1].").action
        == "pass"
    )
    assert restates("Did police shoot the attacker?", "Police did not shoot the attacker [1].").action == "pass"
    assert (
        restates("Was the attacker shot by police or soldiers?", "The attacker was shot by police [1].").action
        == "pass"
    )
    # a negation the question lacks is what the answer adds
    assert (
        restates(
            "Who was arrested after the Streatham stabbings?", "Nobody was arrested after the Streatham stabbings [1]."
        ).action
        == "pass"
    )
    # an acronym spelled like a stopword is a name
    assert (
        restates(
            "Which organisation condemned the Streatham stabbings?", "The WHO condemned the Streatham stabbings [1]."
        ).action
        == "pass"
    )
