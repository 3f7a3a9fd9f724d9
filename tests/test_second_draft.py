"""A second draft: when a check withholds the model's answer, the other prompt gets one more try."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa.answer.chain import AnswerChain, Done, Token
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
    events = list(chain.stream(QUESTION))
    return next(e.answer for e in events if isinstance(e, Done)), "".join(
        e.text for e in events if isinstance(e, Token)
    )


def test_a_withheld_draft_gets_a_second_one_from_the_other_prompt_and_it_is_given_if_it_passes():
    answer, streamed = answer_of(chain_over(WRONG, RIGHT))
    assert streamed.startswith("About 40,000"), "the first draft streamed as it was written"
    assert not answer.abstained and answer.text.startswith("About 12,000 people") and "Evidence" not in answer.text
    assert [c.passage.doc_id for c in answer.citations] == ["d"]
    assert answer.redrafted and answer.redrafted.startswith("sentences:") and "40,000" in answer.redrafted
    assert Answer.from_json(answer.to_json()).redrafted == answer.redrafted


def test_a_second_draft_that_fails_a_check_too_leaves_the_first_refusal():
    answer, _ = answer_of(chain_over(WRONG, 'Evidence: "none" [1]\nAnswer: About 40,000 in Kandahar [1].'))
    assert answer.abstained and answer.refused_by == "sentences" and answer.withheld == WRONG
    assert answer.redrafted is None


def test_no_second_draft_when_the_model_itself_found_no_answer_or_the_first_passed():
    # the fake model holds one reply: a second call would fail the test
    refused, _ = answer_of(chain_over("I don't know. The loaded reports don't cover this."))
    assert refused.abstained and refused.refused_by == "model"
    given, _ = answer_of(chain_over("About 12,000 people were displaced [1]."))
    assert not given.abstained and given.redrafted is None


def test_switched_off_a_withheld_draft_stays_withheld():
    answer, _ = answer_of(chain_over(WRONG, RIGHT, second_draft=False))
    assert answer.abstained and answer.refused_by == "sentences"
    assert chain_over(RIGHT, second_draft=False).prompt_hash != chain_over(RIGHT).prompt_hash
