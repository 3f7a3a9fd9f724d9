"""A follow-up's rewrite is used only when it keeps what the question asks (issue: trust)."""

import pytest

from qa.answer.followup import rewrite_problem, with_previous
from tests.test_chain import chain_with

HISTORY = [("user", "How many people were killed in the Tawila bombing?"), ("assistant", "57 people, in 2024 [1].")]


@pytest.mark.parametrize(
    ("question", "rewritten"),
    [
        ("When was it founded?", "When was ISIS-K established?"),  # a paraphrase is fine
        ("And when did it end?", "When did the siege of Bir Assaka end?"),
        (
            "How long was the crossing closed after that?",
            "How long was the crossing closed after the TTP attack on 12 August 2024?",
        ),  # a full date names the event
        ("And how many were injured?", "How many people were wounded in the Tawila bombing?"),
    ],
)
def test_a_faithful_rewrite_is_accepted(question, rewritten):
    assert rewrite_problem(question, rewritten, HISTORY) is None


@pytest.mark.parametrize(
    ("question", "rewritten", "problem"),
    [
        ("And how many were injured?", "How many people were killed in the Tawila bombing?", "dropped injured"),
        ("And what did the report two days later say?", "What did the second report say about Tawila?", "dropped 2"),
        (
            "How many people did its Moscow attack kill?",
            "How many people did ISIS-K kill in Moscow in 2015?",
            "added 2015",
        ),
        ("Which of its commanders was later killed?", "Which of its commanders was later killed?", "refers to"),
        ("And how many fighters does it have?", "When was ISIS-K established?", "no longer asks for a number"),
    ],
)
def test_an_unfaithful_rewrite_is_caught(question, rewritten, problem):
    assert problem in (rewrite_problem(question, rewritten, HISTORY) or "")


def test_a_figure_from_an_earlier_user_question_may_be_carried_over():
    history = [("user", "What happened in Tawila in 2024?"), ("assistant", "A bombing [1].")]
    assert rewrite_problem("Who claimed it?", "Who claimed the Tawila bombing in 2024?", history) is None


def test_with_previous_puts_the_follow_up_first_and_the_last_user_question_beside_it():
    assert with_previous("And how many were injured?", HISTORY) == (
        "And how many were injured? (Earlier question: How many people were killed in the Tawila bombing?)"
    )
    assert with_previous("And how many were injured?", []) == "And how many were injured?"


def test_chain_falls_back_to_the_previous_question_when_the_rewrite_drops_what_is_asked(sample_store):
    chain, model = chain_with(sample_store, "When was ISIS-K established?", "In 2015 [1].")
    history = [("user", "Who established ISIS-K?"), ("assistant", "Pakistani Taliban fighters [1].")]
    events = list(chain.stream("And how many fighters does it have now?", history=history))
    fallback = "And how many fighters does it have now? (Earlier question: Who established ISIS-K?)"
    assert events[0].rewritten_question == fallback and events[0].retrieval.query == fallback
    assert fallback in model.calls[-1][-1].content, "the model is asked the follow-up with its context"
