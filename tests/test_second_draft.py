"""A second draft: when a check withholds the model's answer, the other prompt gets one more try."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa.answer.chain import AnswerChain, Done, Redraft, Token
from qa.checks.support import SentenceSupport, Verifier
from qa.types import Answer, Passage, Retrieval

PASSAGE = Passage("Local officials said about 12,000 people were displaced.", "d", "d:0", title="Varno floods")
QUESTION = "How many people did the Varno floods displace?"
WRONG = "About 40,000 people were displaced in Kandahar [1]."
RIGHT = 'Evidence: "Local officials said about 12,000 people were displaced." [1]\nAnswer: About 12,000 people [1].'


class OnePassage:
    def retrieve(self, question, filters=None, top_k=None):
        return Retrieval(query=question, passages=(PASSAGE,))


def chain_over(*replies: str, second_draft: bool = True) -> AnswerChain:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))
    return AnswerChain(OnePassage(), model, checks=[SentenceSupport(Verifier())], second_draft=second_draft)


def answer_of(chain: AnswerChain) -> tuple[Answer, str]:
    """The answer and the text a reader saw last (what streamed after the last ``Redraft``)."""
    events = list(chain.stream(QUESTION))
    shown = ""
    for e in events:
        shown = "" if isinstance(e, Redraft) else shown + (e.text if isinstance(e, Token) else "")
    return next(e.answer for e in events if isinstance(e, Done)), shown


def test_a_withheld_draft_gets_a_second_one_from_the_other_prompt_and_it_is_given_if_it_passes():
    events = list(chain_over(WRONG, RIGHT).stream(QUESTION))
    kinds = [type(e).__name__ for e in events]
    redraft = kinds.index("Redraft")
    assert "Token" in kinds[:redraft] and "Token" in kinds[redraft:], "both drafts stream, the Redraft between"
    assert "40,000" in events[redraft].reason and events[redraft].reason.startswith("sentences:")
    answer, streamed = answer_of(chain_over(WRONG, RIGHT))
    assert streamed.startswith("About 12,000 people") and "Evidence" not in streamed, "the second draft streams"
    assert answer.withheld == WRONG, "the withheld first draft is kept for the eval"
    assert answer.timings.total_s >= answer.timings.first_token_s
    assert not answer.abstained and answer.text.startswith("About 12,000 people") and "Evidence" not in answer.text
    assert [c.passage.doc_id for c in answer.citations] == ["d"]
    assert answer.redrafted and answer.redrafted.startswith("sentences:") and "40,000" in answer.redrafted
    assert Answer.from_json(answer.to_json()).redrafted == answer.redrafted


def test_a_second_draft_that_fails_a_check_too_leaves_the_first_refusal():
    answer, _ = answer_of(chain_over(WRONG, 'Evidence: "none" [1]\nAnswer: About 40,000 in Kandahar [1].'))
    assert answer.abstained and answer.refused_by == "sentences" and answer.withheld == WRONG
    assert answer.redrafted is None


def test_no_second_draft_when_the_model_itself_found_no_answer_or_the_first_passed_or_the_gate_refused():
    from qa.checks.gate import Gate

    gated = AnswerChain(OnePassage(), GenericFakeChatModel(messages=iter([])), gate=Gate(), second_draft=True)
    assert gated.ask("How many people did the Kandahar floods displace?").refused_by == "gate"
    # the fake model holds one reply: a second call would fail the test
    refused, _ = answer_of(chain_over("I don't know. The loaded reports don't cover this."))
    assert refused.abstained and refused.refused_by == "model"
    given, _ = answer_of(chain_over("About 12,000 people were displaced [1]."))
    assert not given.abstained and given.redrafted is None


def test_switched_off_a_withheld_draft_stays_withheld():
    answer, _ = answer_of(chain_over(WRONG, RIGHT, second_draft=False))
    assert answer.abstained and answer.refused_by == "sentences"
    assert chain_over(RIGHT, second_draft=False).prompt_hash != chain_over(RIGHT).prompt_hash


def test_a_second_draft_that_cannot_be_written_leaves_the_first_refusal():
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    class Fails(FakeListChatModel):
        def _stream(self, *args, **kwargs):
            if self.i:  # the second call: the model is gone
                raise ConnectionRefusedError("connection refused")
            yield from super()._stream(*args, **kwargs)

    chain = AnswerChain(OnePassage(), Fails(responses=[WRONG]), checks=[SentenceSupport(Verifier())], second_draft=True)
    answer, _ = answer_of(chain)
    assert answer.abstained and answer.refused_by == "sentences" and answer.withheld == WRONG


def test_with_evidence_first_the_second_draft_uses_the_plain_prompt_and_the_notes_follow_it():
    from qa.types import Retrieval

    dated = Passage(PASSAGE.text, "d", "d:0", title="Varno floods", published="2024-05-02")

    class Latest:
        def retrieve(self, question, filters=None, top_k=None):
            return Retrieval(query=question, passages=(dated,), recency=True)

    model = GenericFakeChatModel(
        messages=iter(
            [AIMessage(content='Evidence: "x" [1]\nAnswer: ' + WRONG), AIMessage(content="About 12,000 [1].")]
        )
    )
    chain = AnswerChain(Latest(), model, checks=[SentenceSupport(Verifier())], evidence_first=True, second_draft=True)
    answer, streamed = answer_of(chain)
    assert answer.text.startswith("About 12,000 [1].") and answer.redrafted
    assert streamed.startswith("About 12,000 [1].") and streamed.endswith("Newest report used: 2024-05-02.")
