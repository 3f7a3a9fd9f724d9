"""The gate before generation and the check after it (issue: answers you can trust)."""

import pytest

from ingest.document import Document
from ingest.service import make_indexer
from qa.checks.gate import check_question
from qa.checks.support import Verifier, rebuild, split_sentences
from qa.factory import build_chain
from qa.retrieve.dense import Retriever
from qa.types import Passage
from tests.fakes import RecordingChatModel

TAWILA = Document(
    text="A suicide bombing at the Qarzai Bazaar in Tawila district killed 57 people on 1 April 2024, "
    "officials said. Islamic State Khorasan Province claimed the attack.",
    source="tawila.md",
    title="Tawila bombing toll rises",
    published="2024-04-04",
)
SABZQALA = Document(
    text="A roadside bomb hit a minibus near Sabzqala on 14 June 2025 and killed nine passengers. "
    "No group claimed the attack.",
    source="sabzqala.md",
    title="Minibus bomb near Sabzqala",
    published="2025-06-15",
)


@pytest.fixture
def two_events(settings, store):
    make_indexer(settings, store).ingest(["a", "b"], lambda s: [TAWILA] if s == "a" else [SABZQALA])
    return store


def chain(store, *replies, judge=None, checks=None):
    """The chain with the default checks (or the ``checks`` named), over a scripted model."""
    model = RecordingChatModel.replying(*replies)
    extra = {"checks": checks} if checks else {}
    return build_chain(
        Retriever(store, top_k=2, min_relevance=0.1), model, reports=store.document_text, judge=judge, **extra
    ), model


def p(text, n=0, title="t", published=None):
    return Passage(text=text, doc_id=f"d{n}", chunk_id=f"d{n}:0", title=title, published=published)


def test_gate_refuses_when_a_named_place_is_in_no_passage(two_events):
    c, model = chain(two_events, "57 people were killed [1].")
    answer = c.ask("How many people were killed in the Kandahar bombing?")
    assert answer.abstained and "Kandahar" in answer.reason
    assert model.calls == [], "the model is not asked to improvise"
    assert answer.passages, "the closest passages are still offered"


def test_gate_refuses_a_figure_no_passage_has():
    assert not check_question("Who claimed the attack that killed 133 people?", [p("killed 57 people")]).allowed
    assert check_question("Who claimed the attack that killed 57 people?", [p("killed 57 people")]).allowed


def test_gate_does_not_demand_the_day_of_an_as_of_date():
    passages = [p("The toll rose to 57, officials said.", published="2024-04-04")]
    assert check_question("What was the death toll as of 6 April 2024?", passages).allowed
    assert check_question("What was the toll on April 6, 2024?", passages).allowed
    assert not check_question("What was the toll in the 2023 attack?", passages).allowed


def test_verifier_still_checks_the_day_of_a_date_in_an_answer():
    passages = [p("The army column arrived on 6 March 2025 and lifted the siege.", 1)]
    checks = Verifier().check("When did the siege end?", "The siege ended on 9 March 2025 [1].", passages)
    assert checks[0].status == "unsupported" and "9" in checks[0].missing


def test_gate_accepts_an_alias_of_the_same_actor():
    from qa.retrieve.aliases import load_aliases

    passages = [p("Islamic State Khorasan Province claimed the bombing.")]
    assert check_question("Did ISIS-K claim the bombing?", passages, load_aliases()).allowed
    assert not check_question("Did ISIS-K claim the bombing?", passages).allowed


@pytest.mark.parametrize(
    ("question", "text", "allowed"),
    [
        ("Did ISKP claim the bombing?", "Islamic State Khorasan Province claimed the bombing.", True),
        ("How many US troops were hurt?", "Eleven U.S. troops were hurt.", True),
        ("How many US troops were hurt?", "Eleven United States troops were hurt.", True),
        (
            "Which groups of Iraqi MPs walked out?",
            "Kurdish Members of Parliament of the Iraqi assembly walked out.",
            True,
        ),
        ("What did the NDS say?", "The National Directorate of Security said nothing.", True),
        ("How many US troops were hurt?", "They told us eleven troops were hurt in the usual way.", False),
        ("What did the UN say?", "The United States said nothing.", False),
    ],
)
def test_gate_reads_an_acronym_and_the_name_it_stands_for_as_one(question, text, allowed):
    assert check_question(question, [p(text)]).allowed is allowed


def test_gate_does_not_take_the_capitalised_first_word_for_a_name():
    passages = [p("The European Council extended the directive until March 2024.")]
    assert check_question("Until when did the European Council extend the directive?", passages).allowed
    assert check_question("Approximately how many refugees did the European Council admit?", passages).allowed
    assert not check_question("Did Germany extend the directive?", passages).allowed


def test_gate_takes_the_year_of_a_full_date_as_its_time_frame():
    passages = [p("An estimated 21.1 million people need assistance.", published="2015-07-17")]
    assert check_question("As of 1 June 2016, how many people needed assistance?", passages).allowed
    assert check_question("As of June 1, 2016, how many people needed assistance?", passages).allowed
    assert not check_question("How many people needed assistance in 2016?", passages).allowed


def test_unsupported_number_is_dropped_and_answer_becomes_refusal(two_events):
    c, _ = chain(two_events, "The Tawila bombing killed 250 people [1].")
    answer = c.ask("How many people did the Tawila bombing kill?")
    assert answer.abstained and "is stated in the passages" in answer.reason
    # the refusal says what the model claimed and what the passages lack, so the reader can judge
    assert "The Tawila bombing killed 250 people" in answer.reason and "not in them: 250" in answer.reason
    assert [s.status for s in answer.sentences] == ["unsupported"]
    assert "250" in answer.sentences[0].missing


def test_sentence_citing_a_passage_about_another_event_is_dropped(two_events):
    c, _ = chain(
        two_events,
        "The Sabzqala bomb killed nine passengers [1][2]. The Sabzqala bomb killed 57 people [1][2].",
    )
    answer = c.ask("How many people did the bomb near Sabzqala kill?")
    assert not answer.abstained
    assert "nine" in answer.text and "57" not in answer.text
    assert [s.status for s in answer.sentences] == ["supported", "unsupported"]
    assert all("Sabzqala" in c.passage.text for c in answer.citations)


def test_wrong_marker_is_moved_to_the_passage_that_states_it():
    passages = [p("Sabzqala minibus bomb killed nine.", 1), p("Tawila bombing killed 57 people.", 2)]
    checks = Verifier().check("How many died in Tawila?", "The Tawila bombing killed 57 people [1].", passages)
    assert checks[0].status == "recited" and checks[0].cites == (2,)
    assert rebuild(checks) == "The Tawila bombing killed 57 people [2]."


def test_undecided_sentence_goes_to_the_judge_and_a_no_drops_it():
    calls = []

    def judge(passage, question, sentence):
        calls.append(sentence)
        return False

    passages = [p("The Tawila bombing killed 57 people.", 1)]
    checks = Verifier(judge=judge).check("How many people were wounded in Tawila?", "57 people [1].", passages)
    assert calls == ["57 people."] and checks[0].status == "unsupported"


def test_judge_not_asked_when_passage_covers_the_question():
    def judge(*args):
        raise AssertionError("the cheap checks were decisive")

    passages = [p("The Tawila bombing killed 57 people.", 1)]
    checks = Verifier(judge=judge).check(
        "How many people were killed in the Tawila bombing?", "57 people were killed [1].", passages
    )
    assert checks[0].status == "supported"


def test_split_sentences_keeps_trailing_markers():
    assert split_sentences("Founded in 2015. [1] It grew. [2][3] Done") == [
        "Founded in 2015. [1]",
        "It grew. [2][3]",
        "Done",
    ]


def test_a_figure_written_as_a_word_matches_its_digits():
    passages = [p("Security forces killed nine fighters and arrested 14 others in Pashtak.", 1)]
    checks = Verifier().check(
        "How many were arrested in Pashtak?", "Fourteen people were arrested in Pashtak [1].", passages
    )
    assert checks[0].status == "supported"
    checks = Verifier().check("How many were killed in Pashtak?", "Nine fighters were killed in Pashtak [1].", passages)
    assert checks[0].status == "supported"
    checks = Verifier().check(
        "How many were killed in Pashtak?", "Twelve fighters were killed in Pashtak [1].", passages
    )
    assert checks[0].status == "unsupported" and "12" in checks[0].missing


def test_the_question_topic_may_be_named_elsewhere_in_the_same_report_only():
    bazaar = p("The bazaar has been rebuilt. It reopened on 20 November 2024.", 1)
    reports = {
        "d1": "A year ago a bomber walked into the Qarzai Bazaar in Tawila.\nThe bazaar has been rebuilt.",
        "d2": "The Qarzai Bazaar bombing in Tawila killed 57.",
    }
    other = p("The bazaar in Sabzqala reopened on 20 November 2024.", 2)
    question, sentence = "When did the Qarzai Bazaar reopen?", "The Qarzai Bazaar reopened on 20 November 2024 [1]."
    assert Verifier(documents=reports.get).check(question, sentence, [bazaar])[0].kept
    assert not Verifier().check(question, sentence, [bazaar])[0].kept, "without the report, the passage alone decides"
    reports["d2"] = "The bazaar in Sabzqala reopened on 20 November 2024."
    lone = Verifier(documents=reports.get).check(question, sentence.replace("[1]", "[2]"), [bazaar, other])
    assert lone[0].cites == (1,), "the report that names the bazaar is the one cited"
    claim = Verifier(documents=reports.get).check(
        question, "Rahim Zadran reopened it on 20 November 2024 [1].", [bazaar]
    )
    assert not claim[0].kept, "a name the question did not ask about must be in the passage itself"


def test_an_answer_may_restate_the_as_of_date_of_the_question():
    passages = [p("At least 40 people were killed in the bombing, officials said.", 1, published="2024-04-02")]
    question = "As of 3 April 2024, how many people had been reported killed in the bombing?"
    ok = Verifier().check(question, "At least 40 people had been killed as of 3 April 2024 [1].", passages)
    assert ok[0].kept
    other = Verifier().check(question, "At least 40 people had been killed by 5 April 2024 [1].", passages)
    assert not other[0].kept and "5" in other[0].missing, "a date the question did not give is still a claim"


def test_a_claim_cited_to_a_passage_about_something_else_names_the_claim_as_missing():
    passages = [
        p("A helicopter with basketball player Kobe Bryant on board crashed in Calabasas, California.", 1),
        p("A power firm's helicopter struck cables and crashed near Fairfield, California.", 2),
    ]
    question = "Where did the helicopter carrying Kobe Bryant crash?"
    checks = Verifier().check(
        question, "The helicopter carrying Kobe Bryant crashed near Fairfield, California [2].", passages
    )
    assert checks[0].status == "unsupported"
    assert checks[0].missing == ("Fairfield (not in the passage naming Kobe Bryant)",)
    # a claim whose cited passage lacks its own fact still names that fact
    other = Verifier().check(question, "It crashed near Fresno [1].", passages)
    assert other[0].missing == ("Fresno",)
