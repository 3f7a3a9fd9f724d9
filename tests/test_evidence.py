"""Evidence first: the model's copied sentence is held back; only the answer streams and is checked."""

from __future__ import annotations

import pytest

from qa.answer.evidence import EvidenceStream, answer_part

REPLY = 'Evidence: "Local officials said about 12,000 people were displaced." [1]\nAnswer: About 12,000 people [1].'


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        (REPLY, "About 12,000 people [1]."),
        ('Evidence: "Talks resumed on Friday." [2] Answer: On Friday [2].', "On Friday [2]."),
        (
            "Evidence: none\nAnswer: I don't know. The loaded reports don't cover this.",
            "I don't know. The loaded reports don't cover this.",
        ),
        ("**Evidence:** the passage [1]\n**Answer:** Nine [1].", "Nine [1]."),
        ("About 12,000 people were displaced [1].", "About 12,000 people were displaced [1]."),  # no labels
        ('Evidence: "Nine were killed in Varno." [1]\nNine were killed [1].', "Nine were killed [1]."),
    ],
)
def test_the_answer_is_what_follows_the_evidence(reply, answer):
    assert answer_part(reply) == answer


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_streamed_in_any_pieces_only_the_answer_comes_through(size):
    stream = EvidenceStream()
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    shown = "".join(stream.feed(p) for p in pieces) + stream.flush()
    assert shown == "About 12,000 people [1]."
    assert stream.feed("") == ""


def test_a_reply_without_the_label_comes_through_at_the_end():
    stream = EvidenceStream()
    assert stream.feed("Nine were killed ") == "" and stream.feed("[1].") == ""
    assert stream.flush() == "Nine were killed [1]."


def test_the_chain_with_evidence_first_shows_and_checks_only_the_answer(tmp_path):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from qa.answer.chain import AnswerChain, Done, Token
    from qa.types import Passage, Retrieval

    passage = Passage("Local officials said about 12,000 people were displaced.", "d", "d:0", title="Varno floods")

    class OnePassage:
        def retrieve(self, question, filters=None, top_k=None):
            return Retrieval(query=question, passages=(passage,))

    model = GenericFakeChatModel(messages=iter([AIMessage(content=REPLY)]))
    chain = AnswerChain(OnePassage(), model, evidence_first=True)
    events = list(chain.stream("How many people did the Varno floods displace?"))
    shown = "".join(e.text for e in events if isinstance(e, Token))
    answer = next(e.answer for e in events if isinstance(e, Done))
    assert "Evidence" not in shown and shown.startswith("About 12,000 people")
    assert answer.text.startswith("About 12,000 people") and [c.passage.doc_id for c in answer.citations] == ["d"]
    assert chain.prompt_hash != AnswerChain(OnePassage(), model).prompt_hash, "the eval report tells the prompts apart"
