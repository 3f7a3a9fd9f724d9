"""Chain logic with a fake chat model over the real MiniLM + Chroma store."""

from qa.answer.chain import NOT_COVERED, Done, Retrieved, Token
from qa.answer.context import format_context
from qa.factory import build_chain
from qa.retrieve.dense import Retriever
from qa.types import Filters, Passage
from tests.fakes import RecordingChatModel


def chain_with(store, *replies, min_relevance=0.25, verify=False):
    model = RecordingChatModel.replying(*replies)
    chain = build_chain(
        Retriever(store, top_k=3, min_relevance=min_relevance), model, reports=store.document_text, verify=verify
    )
    return chain, model


def test_answer_keeps_valid_citations_and_drops_invalid(sample_store):
    chain, model = chain_with(sample_store, "ISIS-K was established in 2015 [1]. It is strong [9].")
    answer = chain.ask("When was ISIS-K established?")
    assert not answer.abstained
    assert answer.text == "ISIS-K was established in 2015 [1]. It is strong."
    assert [c.n for c in answer.citations] == [1]
    assert "2015" in answer.citations[0].passage.text
    assert len(model.calls) == 1


def test_irrelevant_question_abstains_without_calling_the_model(sample_store):
    chain, model = chain_with(sample_store, "Paris [1].")
    answer = chain.ask("What is the recipe for a chocolate cake?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)
    assert model.calls == []
    assert answer.passages, "the closest passages are still offered for inspection"
    assert answer.citations == ()


def test_empty_store_abstains_without_calling_the_model(store):
    chain, model = chain_with(store, "anything")
    answer = chain.ask("When was ISIS-K established?")
    assert answer.abstained and "empty" in answer.reason
    assert model.calls == []


def test_model_refusal_is_an_abstention(sample_store):
    chain, _ = chain_with(sample_store, "I don't know. The loaded reports don't cover this.")
    answer = chain.ask("How many fighters does ISIS-K have in Kunar?")
    assert answer.abstained and answer.citations == ()
    assert answer.passages


def test_answer_without_markers_lists_passages_as_consulted(sample_store):
    chain, _ = chain_with(sample_store, "It was founded in 2015.")
    answer = chain.ask("When was ISIS-K established?")
    assert not answer.abstained and answer.citations == () and answer.passages


def test_stream_order_passages_before_first_token(sample_store):
    chain, _ = chain_with(sample_store, "ISIS-K was established in 2015 [1].")
    events = list(chain.stream("When was ISIS-K established?"))
    assert isinstance(events[0], Retrieved) and events[0].retrieval.passages
    assert all(isinstance(e, Token) for e in events[1:-1]) and len(events) > 3
    assert isinstance(events[-1], Done)
    assert "".join(e.text for e in events[1:-1]) == events[-1].answer.text
    timings = events[-1].answer.timings
    assert timings.first_token_s is not None and timings.total_s >= timings.first_token_s


def test_prompt_numbers_passages_and_puts_static_part_first(sample_store):
    chain, model = chain_with(sample_store, "Founded in 2015 [1].")
    chain.ask("When was ISIS-K established?")
    sent = model.calls[0]
    assert sent[0].type == "system" and "only the numbered passages" in sent[0].content
    assert "[1] Title: ISIS-K Continues" in sent[-1].content
    assert sent[-1].content.rstrip().endswith("Question: When was ISIS-K established?")


def test_filter_matching_nothing_abstains_and_says_so(sample_store):
    chain, model = chain_with(sample_store, "x")
    answer = chain.ask("When was ISIS-K established?", filters=Filters(source="no-such-outlet"))
    assert answer.abstained and "no-such-outlet" in answer.reason and model.calls == []
    assert answer.filters == {"source": "no-such-outlet"}


def test_follow_up_is_rewritten_before_retrieval(sample_store):
    chain, model = chain_with(sample_store, "When was ISIS-K established?", "In 2015 [1].")
    history = [("user", "Who is ISIS-K?"), ("assistant", "An Islamic State affiliate [1].")]
    events = list(chain.stream("When was it founded?", history=history))
    assert events[0].rewritten_question == "When was ISIS-K established?"
    assert events[0].retrieval.query == "When was ISIS-K established?"
    assert events[-1].answer.rewritten_question == "When was ISIS-K established?"


def test_context_block_carries_title_date_source():
    p = Passage(text="Body.", doc_id="d", chunk_id="d:0", title="T", source="s.txt", published="2024-03-22")
    assert format_context([p]) == "[1] Title: T | Published: 2024-03-22 | Source: s.txt\nBody."


class _Unreachable(RecordingChatModel):
    """A model server that is down: every call fails the way the OpenAI client fails."""

    def _stream(self, *args, **kwargs):
        raise ConnectionError("Connection refused")
        yield  # pragma: no cover

    def _generate(self, *args, **kwargs):
        raise ConnectionError("Connection refused")


def test_a_model_that_cannot_be_reached_is_one_clear_error(sample_store):
    import pytest

    from qa.errors import ModelError

    chain = build_chain(Retriever(sample_store, top_k=2, min_relevance=0.25), _Unreachable.replying())
    with pytest.raises(
        ModelError, match="Could not get an answer from the local model: ConnectionError: Connection refused"
    ):
        chain.ask("When was ISIS-K established?")
