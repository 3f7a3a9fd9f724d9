"""A "latest" answer that quotes an older report's figure gets the newer report's sentence."""

import pytest

from qa.checks.newest import newer_figure
from qa.factory import build_chain
from qa.types import Citation, Passage
from tests.fakes import RecordingChatModel
from tests.test_hybrid import corpus, make_hybrid  # noqa: F401  (fixture)


def p(n, text, published, title="Tawila market bombing"):
    return Passage(text=text, doc_id=f"d{n}", chunk_id=f"d{n}:0", title=title, published=published)


NEWEST = p(
    1,
    "Stalls were rebuilt. The final death toll stands at 63, after two people died of their injuries.",
    "2025-04-01",
    "One year after the Tawila bombing",
)
RAID = p(2, "Security forces killed nine fighters in a raid, the spokesman said.", "2024-05-20", "Raid in Pashtak")
OLDER = p(3, "The number of people killed in the Tawila bombing has risen to 57, officials said.", "2024-04-04")
PASSAGES = [NEWEST, RAID, OLDER]
QUESTION = "What is the latest reported death toll of the Tawila market bombing?"


def test_a_newer_report_of_the_same_event_with_another_figure_is_found():
    found = newer_figure(QUESTION, "The death toll is 57 [3].", [Citation(3, OLDER)], PASSAGES)
    assert found is not None and found.n == 1 and "63" in found.sentence


def test_nothing_is_found_when_the_model_already_used_the_newest_report():
    assert newer_figure(QUESTION, "The final death toll is 63 [1].", [Citation(1, NEWEST)], PASSAGES) is None


def test_a_newer_report_about_another_event_is_not_evidence():
    # the raid report is newer than 2024-04-04 and says "killed nine", but never names Tawila
    found = newer_figure(QUESTION, "The death toll is 57 [3].", [Citation(3, OLDER)], [RAID, OLDER])
    assert found is None


def test_a_newer_sentence_about_another_outcome_is_not_evidence():
    injured = p(4, "In Tawila, 148 people were injured, of whom 31 remain in hospital.", "2024-04-12")
    found = newer_figure(QUESTION, "The death toll is 57 [2].", [Citation(2, OLDER)], [injured, OLDER])
    assert found is None


@pytest.mark.parametrize("question", ["Why did the bazaar close?", "What is the latest news from Tawila?"])
def test_only_quantity_questions_about_an_outcome_are_checked(question):
    assert newer_figure(question, "It closed after 57 deaths [3].", [Citation(3, OLDER)], PASSAGES) is None


def test_chain_answers_a_latest_question_with_the_newest_figure_and_keeps_the_older_one(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    question = "What is the latest death toll of the Merdan floods?"
    passages = retriever.retrieve(question).passages
    older = next(n for n, x in enumerate(passages, 1) if x.published == "2024-05-02")
    model = RecordingChatModel.replying(f"The floods killed 12 people [{older}].")
    answer = build_chain(retriever, model, aliases=retriever.aliases, reports=store.document_text).ask(question)
    assert not answer.abstained
    assert "31" in answer.text and "2024-05-20" in answer.text
    assert answer.text.endswith("Newest report used: 2024-05-20. The model had quoted an earlier report (2024-05-02).")
    # only the report that states the answer is cited; the earlier report is a note, not a claim
    assert {c.passage.published for c in answer.citations} == {"2024-05-20"}
    assert [s.status for s in answer.sentences] == ["supported"]


def test_a_title_naming_part_of_the_place_is_the_same_event():
    older = p(5, "Militants attacked the Vorzan Pass post, killing 11 soldiers.", "2024-08-14", "Vorzan Pass attack")
    newer = p(
        6,
        "The death toll among soldiers from the attack rose to 12 last week.",
        "2024-08-26",
        "Vorzan crossing reopens after ten-day closure",
    )
    question = "What is the latest number of soldiers killed in the Vorzan Pass attack?"
    found = newer_figure(question, "Eleven soldiers were killed [2].", [Citation(2, older)], [newer, older])
    assert found is not None and "12" in found.sentence


def test_an_answer_without_a_marker_is_traced_to_the_report_that_states_its_figure():
    # small models often quote without [n]: the sentence holding the answer's figure is the source
    found = newer_figure(QUESTION, "The number of people killed has risen to 57.", [], PASSAGES)
    assert found is not None and found.n == 1 and found.older_date == "2024-04-04"


def test_an_uncited_figure_no_passage_states_is_left_to_the_other_checks():
    assert newer_figure(QUESTION, "The death toll is 99.", [], PASSAGES) is None


ESTIMATE_Q = "What is the latest estimate of people in need of food aid in Merdan?"
OLD_NEED = p(7, "In Merdan, an estimated 1.2 million people need food aid.", "2024-01-10", "Merdan food crisis")


def test_a_figure_of_no_named_outcome_needs_the_question_s_words():
    newer = p(8, "Some 1.9 million people in Merdan now need food aid, the agency estimated.", "2024-06-01", "Merdan")
    talks = p(9, "Merdan's 3 parties met in Geneva to discuss the aid corridor.", "2024-07-01", "Merdan talks")
    found = newer_figure(ESTIMATE_Q, "About 1.2 million people [2].", [Citation(2, OLD_NEED)], [talks, newer, OLD_NEED])
    assert found is not None and "1.9" in found.sentence  # the talks report is newer but says nothing asked


def test_a_sentence_about_another_year_is_not_the_newer_figure():
    question = "What is the latest death toll of the 2024 Tawila market bombing?"
    world = p(10, "Worldwide in 2023, bombings of markets killed 4,100 people.", "2025-02-01", "Tawila one year on")
    assert newer_figure(question, "The toll rose to 57 [2].", [Citation(2, OLDER)], [world, OLDER]) is None


def test_a_sentence_about_another_place_is_not_the_newer_figure():
    question = "What is the latest count of refugees worldwide?"
    older = p(11, "There were 26 million refugees worldwide at the end of 2020.", "2021-06-17", "World Refugee Day")
    ukraine = p(12, "At least 5 million refugees from Ukraine are in Europe worldwide.", "2023-01-11", "Refugees")
    assert newer_figure(question, "26 million [2].", [Citation(2, older)], [ukraine, older]) is None


def test_a_newer_sentence_that_drops_what_the_model_s_figure_was_of_is_not_the_newer_figure():
    question = "What is the latest count of refugees worldwide?"
    older = p(13, "There were 26 million refugees worldwide at the end of 2020.", "2021-06-17", "World Refugee Day")
    fled = p(14, "The number of people who fled persecution passed 100 million in 2022.", "2022-06-16", "Displacement")
    assert newer_figure(question, "26 million [2].", [Citation(2, older)], [fled, older]) is None


def test_a_newer_report_restating_the_model_s_figure_leaves_the_answer_alone():
    still = p(16, "In Tawila, the death toll remains 57, officials said on Monday.", "2024-04-20")
    update = p(17, "The Tawila death toll rose to 63.", "2024-04-10")
    found = newer_figure(QUESTION, "The death toll is 57 [3].", [Citation(3, OLDER)], [still, update, OLDER])
    assert found is None  # the newest report says 57 still: the model's figure is current


def test_chain_tells_the_model_a_first_report_question_lists_the_oldest_report_first(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    question = "How many people did the Merdan floods kill according to the first reports?"
    passages = retriever.retrieve(question).passages
    assert passages[0].published == "2024-05-02"
    model = RecordingChatModel.replying("The floods killed 12 people [1].")
    answer = build_chain(retriever, model, aliases=retriever.aliases, reports=store.document_text).ask(question)
    assert "oldest report first" in model.last_prompt and "newest report first" not in model.last_prompt
    assert not answer.abstained and "12" in answer.text
    # a latest question gets the other note, never both
    model = RecordingChatModel.replying("The toll rose to 31 [1].")
    build_chain(retriever, model, aliases=retriever.aliases).ask("What is the latest death toll of the Merdan floods?")
    assert "newest report first" in model.last_prompt and "oldest report first" not in model.last_prompt
