"""The terminal answer: after the streamed words, what the checks made of them."""

from rich.console import Console

from qa.cli.render import print_answer_footer
from qa.types import Answer, Citation, Passage, Timings

P = Passage(text="A roadside bomb killed nine people near Sabzqala.", doc_id="d", chunk_id="d:0", title="Sabzqala bomb")


def footer(answer: Answer, streamed: str) -> str:
    console = Console(record=True, width=200)
    print_answer_footer(answer, console, streamed)
    return console.export_text()


def test_a_refusal_after_generation_is_printed_with_its_reason():
    answer = Answer(
        question="q",
        text="The loaded reports don't cover this.",
        abstained=True,
        passages=(P,),
        reason="the passage sentence that gives the model's answer does not say “injured”",
        timings=Timings(first_token_s=1.0),
    )
    out = footer(answer, "Nine people were killed [1].")
    assert "Checked: not an answer. The loaded reports don't cover this. (the passage sentence" in out
    assert "Closest passages" in out


def test_a_changed_answer_is_printed_and_an_unchanged_one_is_not_repeated():
    answer = Answer(
        question="q",
        text="A bomb killed nine people [1].",
        abstained=False,
        citations=(Citation(1, P),),
        timings=Timings(first_token_s=1.0),
    )
    assert "Checked answer: A bomb killed nine people [1]." in footer(
        answer, "A bomb killed nine people [1]. It was ISKP [2]."
    )
    assert "Checked" not in footer(answer, "A bomb killed nine  people [1].")


def test_a_gate_refusal_that_streamed_nothing_prints_its_text():
    answer = Answer(question="q", text="The loaded reports don't cover this (no relevant passage.)", abstained=True)
    assert footer(answer, "").startswith("The loaded reports don't cover this (no relevant passage.)")
