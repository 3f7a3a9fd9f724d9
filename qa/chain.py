"""The retrieval chain: retrieve -> numbered context -> prompt -> chat model -> checked [n] citations.

``AnswerChain.stream`` yields events in order: ``Retrieved`` (as soon as retrieval finishes, before
the model's first token), ``Token`` (streamed text, only valid markers), then one ``Done``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Iterator, Sequence, Union

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from qa.asks import KIND_WORDS, missing_kind, not_about, unnamed_topic
from qa.citations import MarkerStream, is_refusal, resolve_citations
from qa.prompts import load_examples, load_text, prompt_hash
from qa.retrieval import Filters, Retrieval, Retriever
from qa.followup import rewrite_problem, with_previous
from qa.gate import check_question, evidence_text
from qa.newest import newer_figure
from qa.types import Answer, Passage, SentenceCheck, Timings
from qa.verify import SUPPORTED, Judge, Verifier, rebuild, strip_markers

log = logging.getLogger(__name__)

NOT_COVERED = "The loaded reports don't cover this."
Turn = tuple[str, str]  # (role, content), role in {"user", "assistant"}


@dataclass(frozen=True)
class Retrieved:
    retrieval: Retrieval
    rewritten_question: str | None = None


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Union[Retrieved, Token, Done]


def format_context(passages: Sequence[Passage]) -> str:
    """Number the passages [1..k], each headed by its title, date and source."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        head = [f"Title: {p.title or 'untitled'}"]
        if p.published:
            head.append(f"Published: {p.published}")
        head.append(f"Source: {p.source or 'unknown'}")
        blocks.append(f"[{n}] " + " | ".join(head) + "\n" + p.text.strip())
    return "\n\n".join(blocks)


def answer_prompt() -> tuple[ChatPromptTemplate, str]:
    """System rules and few-shot turns first (a byte-identical, cacheable prefix), then the question."""
    system = load_text("answer_system.txt")
    user = load_text("answer_user.txt", frozenset({"context", "question"}))
    examples = load_examples("answer_examples.json")
    messages: list = [SystemMessage(content=system.text)]
    for asked, answered in examples:
        messages += [HumanMessage(content=asked), AIMessage(content=answered)]
    messages.append(("human", user.text))
    digest = prompt_hash(system.text, user.text, load_text("latest_note.txt").text, *(a + b for a, b in examples))
    return ChatPromptTemplate.from_messages(messages), digest


def format_history(history: Sequence[Turn], max_turns: int = 6) -> str:
    lines = [f"{'User' if role == 'user' else 'Assistant'}: {text}" for role, text in history]
    return "\n".join(lines[-max_turns:])


def newest_report_note(answer: Answer) -> str | None:
    """``"\n\nNewest report used: 2025-04-01."`` from the cited passages (or, citing none, those given)."""
    if answer.abstained:
        return None
    used = [c.passage for c in answer.citations] or list(answer.passages)
    newest = max((p.published[:10] for p in used if p.published), default=None)
    return f"\n\nNewest report used: {newest}." if newest else None


class AnswerChain:
    """Answers a question from the store's passages with a chat model, citing them by number."""

    def __init__(
        self,
        retriever: Retriever,
        chat_model: BaseChatModel,
        *,
        gate: bool = True,
        verify: bool = True,
        judge: Judge | None = None,
    ) -> None:
        self.retriever = retriever
        self.chat_model = chat_model
        aliases = getattr(retriever, "aliases", None)
        self.gate = gate
        self.aliases = aliases
        documents = getattr(getattr(retriever, "store", None), "document_text", None)
        self.verifier = Verifier(aliases, judge, documents) if verify else None
        prompt, self.prompt_hash = answer_prompt()
        self.latest_note = load_text("latest_note.txt").text.strip()
        self.generate = prompt | chat_model | StrOutputParser()
        condense = load_text("condense.txt", frozenset({"history", "question"}))
        self.condense = ChatPromptTemplate.from_messages([("human", condense.text)]) | chat_model | StrOutputParser()

    def rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        """A standalone version of a follow-up question, or None without history."""
        if not history:
            return None
        text = self.condense.invoke({"history": format_history(history), "question": question})
        text = text.strip().strip('"').splitlines()[0].strip() if text.strip() else ""
        return text or None

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        rewritten = self.rewrite(question, history)
        focus = rewritten  # the question the asked-fact checks read
        if rewritten and (problem := rewrite_problem(question, rewritten, history)):
            log.info("follow-up rewrite %r not used: %s", rewritten, problem)
            rewritten, focus = with_previous(question, history), question
        retrieval = self.retriever.retrieve(rewritten or question, filters, top_k)
        retrieve_s = time.perf_counter() - started
        yield Retrieved(retrieval, rewritten)
        base = dict(
            question=question,
            prompt_hash=self.prompt_hash,
            rewritten_question=rewritten,
            filters=retrieval.filters.active(),
        )
        if not retrieval.passages:
            yield Done(self._abstain(retrieval, base, retrieve_s, started))
            return
        decision = check_question(rewritten or question, retrieval.passages, self.aliases) if self.gate else None
        if decision is not None and not decision.allowed:
            blocked = replace(retrieval, passages=(), consulted=retrieval.passages, empty_reason=decision.reason)
            yield Done(self._abstain(blocked, base, retrieve_s, started))
            return
        passages = list(retrieval.passages)
        markers, parts, first_token = MarkerStream(len(passages)), [], None
        asked = rewritten or question
        if retrieval.recency:  # passages are newest first: say so, or a small model takes the best-matching one
            asked = f"{asked}\n{self.latest_note}"
        inputs = {"context": format_context(passages), "question": asked}
        for token in self.generate.stream(inputs):
            first_token = first_token or time.perf_counter() - started
            parts.append(token)
            if shown := markers.feed(token):
                yield Token(shown)
        if tail := markers.flush():
            yield Token(tail)
        timings = Timings(round(retrieve_s, 4), round(first_token or 0, 4), round(time.perf_counter() - started, 4))
        answer = self._finish("".join(parts), passages, timings, base, focus or question)
        earlier = ""
        if retrieval.recency and self.verifier is not None and not answer.abstained:
            answer, earlier = self._prefer_newer(answer, passages)
        if retrieval.recency and (note := newest_report_note(answer)):
            note += earlier
            yield Token(note)  # a "latest" answer says how recent its evidence is
            answer = replace(answer, text=answer.text + note)
        yield Done(answer)

    def ask(self, question: str, **kwargs) -> Answer:
        """Run ``stream`` to the end and return the answer."""
        for event in self.stream(question, **kwargs):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the chain ended without an answer")  # pragma: no cover

    def _prefer_newer(self, answer: Answer, passages: list[Passage]) -> tuple[Answer, str]:
        """A "latest" answer that quoted an older report's figure gets the newer report's sentence.

        Returns the answer and a note that the model had quoted an earlier report ("" when nothing
        changed); the note is not a cited claim, so the answer cites only the report that states it.
        (The older figure is not repeated: the model's sentence holds other figures too.)
        """
        newer = newer_figure(answer.rewritten_question or answer.question, answer.text, answer.citations,
                             passages, self.aliases)
        if newer is None:
            return answer, ""
        quote = f"The newest report that gives this ({newer.passage.published[:10]}) says: “{newer.sentence.rstrip('.')}” [{newer.n}]."
        text, citations = resolve_citations(quote, passages)
        answer = replace(answer, text=text, citations=citations, sentences=(SentenceCheck(quote, (newer.n,), SUPPORTED),))
        return answer, f" The model had quoted an earlier report ({newer.older_date})."

    def _whole_report(self, passage: Passage) -> str:
        """The stored report a passage comes from ("" without a store)."""
        read = getattr(self.verifier, "documents", None)
        return read(passage.doc_id) if read else ""

    def _abstain(self, retrieval: Retrieval, base: dict, retrieve_s: float, started: float) -> Answer:
        reason = retrieval.empty_reason or "no relevant passage"
        total = round(time.perf_counter() - started, 4)
        return Answer(
            text=f"{NOT_COVERED} ({reason}.)",
            abstained=True,
            reason=reason,
            passages=retrieval.consulted,
            timings=Timings(round(retrieve_s, 4), None, total),
            **base,
        )

    def _finish(self, raw: str, passages: list[Passage], timings: Timings, base: dict, focus: str) -> Answer:
        text, citations = resolve_citations(raw, passages)
        checks: tuple[SentenceCheck, ...] = ()
        reason = "the model found no answer in the retrieved passages"
        if self.verifier is not None and not is_refusal(text):
            checks = tuple(self.verifier.check(focus, text, passages))
            text, citations = resolve_citations(rebuild(checks), passages)
            reason = "no sentence of the model's answer is stated in the passages it cites"
            if dropped := [c for c in checks if not c.kept]:
                missing = ", ".join(dict.fromkeys(m for c in dropped for m in c.missing)) or "—"
                said = " ".join(strip_markers(c.text) for c in dropped)
                reason += f" (the model said: “{said}”; not in them: {missing})"
            if text and not is_refusal(text) and (kind := missing_kind(focus, text)):
                # A faithful restatement that lacks the asked-for fact is a near miss, not an answer.
                reason = f"the passages give no {KIND_WORDS[kind]} for this (the model said: “{strip_markers(text)}”)"
                text = ""
            elif text and not is_refusal(text) and (gaps := not_about(focus, text, evidence_text([c.passage for c in citations]))):
                # The right kind of fact about the wrong thing: "9 killed" for "how many injured".
                said = ", ".join(f"“{w}”" for w in gaps)
                reason = (f"the passage sentence that gives the model's answer does not say {said} "
                          f"(the model said: “{strip_markers(text)}”)")
                text = ""
            elif text and not is_refusal(text) and (absent := unnamed_topic(focus, text, [c.passage for c in citations], self._whole_report, self.aliases)):
                # The fact comes from a report about another event: it never names the question's topic.
                names = ", ".join(absent)
                reason = (f"the report that gives the model's answer never mentions {names} "
                          f"(the model said: “{strip_markers(text)}”)")
                text = ""
        refused = not text or is_refusal(text)
        return Answer(
            text=NOT_COVERED if refused else text,
            abstained=refused,
            reason=reason if refused else None,
            citations=() if refused else citations,
            passages=tuple(passages),
            timings=timings,
            sentences=checks,
            **base,
        )
