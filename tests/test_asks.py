"""A faithful restatement that lacks the asked-for fact is a near miss, not an answer."""

import pytest

from qa.asks import asked_kind, missing_kind
from tests.test_trust import chain, two_events  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people were injured in the Sabzqala bombing?", "quantity"),
        ("And how much aid arrived?", "quantity"),
        ("What was the death toll of the Tawila bombing?", "quantity"),
        ("When will pedestrian traffic resume at the Vorzan crossing?", "time"),
        ("At what time did the bomb go off?", "time"),
        ("What was the name of the water tanker driver?", "name"),
        ("Which political party's rallies did ISIS-K target?", "name"),
        ("Which countries did the detained men come from?", "name"),
        ("Who is the leader of ISIS-K?", "name"),
        ("Why did the Taliban close the crossing?", None),
        ("What did the Taliban say about the attack?", None),
        ("Who claimed the attack?", None),
    ],
)
def test_asked_kind(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("How many people were killed in the Tawila bombing?", "The bombing killed 57 people [1]."),
        ("How many soldiers died at the Vorzan Pass?", "Eleven soldiers were killed [2]."),
        ("How many were hurt?", "No one was hurt [1]."),
        ("When did the Qarzai Bazaar reopen?", "It reopened on 2 May 2024 [1]."),
        ("When was ISIS-K established?", "ISIS-K was established in 2015 [1]."),
        ("At what time did the bomb go off?", "Shortly after 09:40 [2]."),
        ("When did the siege end?", "The siege ended last week [1]."),
        ("What was the name of the bomber?", "Police named him as Karim Dost [1]."),
        ("Which countries did the detained men come from?", "They were from Tajikistan and Uzbekistan [2]."),
        ("Why did the Taliban close the crossing?", "Because of the attack [1]."),
    ],
)
def test_an_answer_of_the_asked_kind_passes(question, answer):
    assert missing_kind(question, answer) is None


@pytest.mark.parametrize(
    ("question", "answer", "kind"),
    [
        ("How many fighters does the Oussal Liberation Front have?",
         "The Oussal Liberation Front controls parts of the region's north [1].", "quantity"),
        ("How many people were killed in the 2024 Tawila bombing?", "The 2024 bombing killed people [1].", "quantity"),
        ("When will pedestrian traffic resume at the Vorzan crossing?",
         "Officials gave no date for its resumption [2].", "time"),
        ("When did the April attack happen?", "The attack happened in April [1].", "time"),
        ("What was the name of the water tanker driver wounded near Bir Assaka?",
         "The driver of the water tanker was wounded near Bir Assaka [3].", "name"),
        ("Which countries did the foreign nationals arrested in the Pashtak raid come from?",
         "Some of the detained men were foreign nationals [2].", "name"),
    ],
)
def test_an_answer_without_the_asked_fact_is_caught(question, answer, kind):
    assert missing_kind(question, answer) == kind


def test_chain_turns_a_restatement_into_a_refusal_with_the_model_sentence(two_events):
    c, model = chain(two_events, "No group claimed the attack near Sabzqala [1].")
    answer = c.ask("When did the minibus bombing near Sabzqala happen?")
    assert model.calls, "the question passed the gate: the model was asked"
    assert answer.abstained and answer.citations == ()
    assert "date or time" in answer.reason and "No group claimed" in answer.reason


def test_chain_keeps_an_answer_that_gives_the_asked_fact(two_events):
    c, _ = chain(two_events, "The bomb hit the minibus on 14 June 2025 [1].")
    answer = c.ask("When did the minibus bombing near Sabzqala happen?")
    assert not answer.abstained and "14 June 2025" in answer.text
