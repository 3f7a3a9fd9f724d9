"""A date in a question never filters silently; citations say where a report's date came from."""

from __future__ import annotations

import pytest

from qa.answer.chain import Done, Token
from qa.factory import build_chain
from qa.retrieve.dense import AS_OF_GRACE_DAYS, as_of_upper
from qa.types import Filters, Passage
from tests.fakes import RecordingChatModel
from tests.test_hybrid import REPORTS, ingest, make_hybrid, write_reports

UNDATED = {"undated.md": "Merdan district officials said relief flights to the flooded valleys would resume.\n"}


@pytest.fixture
def dated_and_undated(settings, store, tmp_path):
    folder = write_reports(tmp_path / "r", REPORTS)
    for name, body in UNDATED.items():
        (folder / name).write_text(body, encoding="utf-8")
    ingest(settings, store, [folder])
    return settings, store


def test_as_of_admits_reports_published_a_few_days_after_it():
    assert as_of_upper("2022-04-26") == "2022-04-29" and AS_OF_GRACE_DAYS == 3
    assert as_of_upper(None) is None


def test_an_as_of_question_says_what_it_left_out_in_the_answer(dated_and_undated):
    settings, store = dated_and_undated
    retriever = make_hybrid(settings, store)
    question = "As of 3 May 2024, how many people had the Merdan floods killed?"
    retrieval = retriever.retrieve(question)
    assert retrieval.filters.as_of == "2024-05-03"
    assert {p.published for p in retrieval.passages} <= {"2024-05-02", "2024-02-10", "2024-03-01", "2024-04-15"}
    # the 20 May report and the undated one are out, and the answer says so
    assert "1 report published after 2024-05-06" in retrieval.date_note
    assert "and 1 undated report." in retrieval.date_note
    n = next(i for i, p in enumerate(retrieval.passages, 1) if p.published == "2024-05-02")
    chain = build_chain(
        retriever, RecordingChatModel.replying(f"The floods killed 12 people [{n}]."), reports=store.document_text
    )
    events = list(chain.stream(question))
    answer = events[-1].answer
    assert isinstance(events[-1], Done) and not answer.abstained
    assert answer.text.endswith(retrieval.date_note)
    assert any(isinstance(e, Token) and retrieval.date_note in e.text for e in events), "streamed too"


def test_a_refusal_under_an_as_of_date_names_what_the_date_left_out(dated_and_undated):
    settings, store = dated_and_undated
    retriever = make_hybrid(settings, store)
    answer = build_chain(retriever, RecordingChatModel.replying("unused")).ask(
        "What did the Merdan officials say?", filters=Filters(as_of="2023-01-01")
    )
    assert answer.abstained
    assert "1 undated report" in answer.reason and "published after 2023-01-04" in answer.reason


def test_a_report_published_days_after_its_as_of_date_is_in_scope(dated_and_undated):
    settings, store = dated_and_undated
    retriever = make_hybrid(settings, store)
    # the 2024-05-20 report is in scope as of 2024-05-18 (two days before it was published)
    retrieval = retriever.retrieve("How many people had the Merdan floods killed?", Filters(as_of="2024-05-18"))
    assert "2024-05-20" in {p.published for p in retrieval.passages}


def test_a_citation_says_where_its_date_came_from():
    printed = Passage("t", "d", "d:0", published="2003-08-26", date_origin="text")
    assert printed.dated == "2003-08-26 (printed in the text)"
    assert Passage("t", "d", "d:0", published="2012-05-29", date_origin="pdf_metadata").dated.endswith(
        "(PDF file metadata)"
    )
    assert Passage("t", "d", "d:0").dated == "undated"


def test_stored_passages_carry_their_date_origin(dated_and_undated):
    settings, store = dated_and_undated
    passages = make_hybrid(settings, store).retrieve("Merdan floods death toll").passages
    origins = {p.date_origin for p in passages if p.published}
    assert origins == {"front_matter"}


def test_reports_of_the_grace_days_come_after_those_by_the_date_and_never_replace_their_figure(dated_and_undated):
    settings, store = dated_and_undated
    retriever = make_hybrid(settings, store)
    question = "How many people had the Merdan floods killed?"
    retrieval = retriever.retrieve(question, Filters(as_of="2024-05-18"))
    dates = [p.published for p in retrieval.passages if p.published in ("2024-05-02", "2024-05-20")]
    assert dates[0] == "2024-05-02", "the report published by the as-of date comes first"
    n = next(i for i, p in enumerate(retrieval.passages, 1) if p.published == "2024-05-02")
    model = RecordingChatModel.replying(f"The floods had killed 12 people [{n}].")
    answer = build_chain(retriever, model, aliases=retriever.aliases, reports=store.document_text).ask(
        question, filters=Filters(as_of="2024-05-18")
    )
    assert not answer.abstained and "12" in answer.text and "31" not in answer.text.split("\n\n")[0]
