"""The retrieval chain: retrieve -> numbered context -> prompt -> chat model -> checked [n] citations.

``AnswerChain.stream`` yields events in order: ``Retrieved`` (as soon as retrieval finishes, before
the model's first token), ``Token`` (streamed text, only valid markers), then one ``Done``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Union

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from qa.answer.citations import MarkerStream, is_refusal, resolve_citations
from qa.answer.context import format_context, format_history
from qa.answer.evidence import EvidenceStream, answer_part
from qa.answer.followup import rewrite_problem, with_previous
from qa.answer.prompts import load_examples, load_text, prompt_hash
from qa.checks.base import Check, Draft, run_checks
from qa.checks.gate import Gate
from qa.errors import ConflictQAError, ModelError
from qa.retrieve.dense import Retriever, with_note
from qa.types import Answer, Filters, Retrieval, Timings, Turn

log = logging.getLogger(__name__)

NOT_COVERED = "The loaded reports don't cover this."


@dataclass(frozen=True)
class Retrieved:
    retrieval: Retrieval
    rewritten_question: str | None = None


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Redraft:
    """A check withheld the draft just streamed (``reason``): a second one streams next, and the
    text shown so far is to be dropped."""

    reason: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Union[Retrieved, Token, Redraft, Done]


def answer_prompt(evidence_first: bool = False) -> tuple[ChatPromptTemplate, str]:
    """System rules and few-shot turns first (a byte-identical, cacheable prefix), then the question.
    ``evidence_first``: the prompt that has the model copy the answering sentence first
    (:mod:`qa.answer.evidence`)."""
    variant = "_evidence" if evidence_first else ""
    system = load_text(f"answer_system{variant}.txt")
    user = load_text("answer_user.txt", frozenset({"context", "question"}))
    examples = load_examples(f"answer_examples{variant}.json")
    messages: list = [SystemMessage(content=system.text)]
    for asked, answered in examples:
        messages += [HumanMessage(content=asked), AIMessage(content=answered)]
    messages.append(("human", user.text))
    digest = prompt_hash(
        system.text,
        user.text,
        load_text("latest_note.txt").text,
        load_text("earliest_note.txt").text,
        *(a + b for a, b in examples),
    )
    return ChatPromptTemplate.from_messages(messages), digest


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
        gate: Gate | None = None,
        checks: Sequence[Check] = (),
        evidence_first: bool = False,
        second_draft: bool = False,
    ) -> None:
        """``gate`` runs before generation; ``checks`` after it, in order (see :mod:`qa.factory`);
        ``evidence_first``: the model copies the answering sentence before it answers;
        ``second_draft``: when a check refuses the draft, the model writes another with the other
        prompt (evidence first, or not) and that one is given if it passes every check."""
        self.retriever = retriever
        self.chat_model = chat_model
        self.gate = gate
        self.checks = tuple(checks)
        self.evidence_first = evidence_first
        prompt, self.prompt_hash = answer_prompt(evidence_first)
        self.second = None
        if second_draft:
            other, other_hash = answer_prompt(not evidence_first)
            self.second = other | chat_model | StrOutputParser()
            self.prompt_hash = prompt_hash(self.prompt_hash, other_hash)  # the eval tells the set-ups apart
        self.latest_note = load_text("latest_note.txt").text.strip()
        self.earliest_note = load_text("earliest_note.txt").text.strip()
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
            yield Done(self._abstain(retrieval, base, retrieve_s, started, "relevance"))
            return
        decision = self.gate(rewritten or question, retrieval.passages) if self.gate else None
        if decision is not None and not decision.allowed:
            reason = with_note(decision.reason or "", retrieval.date_note)
            blocked = replace(retrieval, passages=(), consulted=retrieval.passages, empty_reason=reason)
            yield Done(self._abstain(blocked, base, retrieve_s, started, "gate"))
            return
        passages = list(retrieval.passages)
        asked = rewritten or question
        if retrieval.recency:  # passages are newest first: say so, or a small model takes the best-matching one
            asked = f"{asked}\n{self.latest_note}"
        elif retrieval.earliest:  # the story's oldest report first: say so, as for "latest"
            asked = f"{asked}\n{self.earliest_note}"
        inputs = {"context": format_context(passages), "question": asked}
        first: list[float] = []
        reply = yield from self._written(self.generate, inputs, len(passages), self.evidence_first, started, first)
        timings = Timings(
            round(retrieve_s, 4), round(first[0] if first else 0, 4), round(time.perf_counter() - started, 4)
        )

        def drafted(reply: str, evidence_first: bool) -> Draft:
            return Draft(
                question,
                focus or question,
                rewritten or question,
                *resolve_citations(answer_part(reply) if evidence_first else reply, passages),
                tuple(passages),
                recency=retrieval.recency,
                as_of=retrieval.filters.as_of,
            )

        answer, earlier = self._finish(drafted(reply, self.evidence_first), timings, base)
        if self.second is not None and answer.withheld is not None:
            # A check withheld the draft: one more, written with the other prompt, checked the same way.
            why = f"{answer.refused_by}: {answer.reason}"
            yield Redraft(why)
            try:
                reply = yield from self._written(self.second, inputs, len(passages), not self.evidence_first, started)
            except ModelError as exc:  # the first refusal stands
                log.warning("no second draft: %s", exc)
                reply = None
            timings = replace(timings, total_s=round(time.perf_counter() - started, 4))
            answer = replace(answer, timings=timings)
            if reply is not None:
                again, notes = self._finish(drafted(reply, not self.evidence_first), timings, base)
                if not again.abstained:
                    log.info("second draft given; the first was refused by %s", why)
                    answer, earlier = replace(again, redrafted=why, withheld=answer.withheld), notes
        if retrieval.recency and (note := newest_report_note(answer)):
            note += earlier
            yield Token(note)  # a "latest" answer says how recent its evidence is
            answer = replace(answer, text=answer.text + note)
        if retrieval.date_note:  # an as-of date left reports out: say which, never filter silently
            if answer.abstained:
                answer = replace(answer, reason=with_note(answer.reason or "", retrieval.date_note))
            else:
                yield Token(f"\n\n{retrieval.date_note}")
                answer = replace(answer, text=f"{answer.text}\n\n{retrieval.date_note}")
        yield Done(answer)

    def _written(
        self, runnable, inputs: dict, n_passages: int, evidence_first: bool, started: float, first: list | None = None
    ) -> Iterator[Event]:
        """Stream one draft as ``Token`` events (valid markers only; with ``evidence_first`` the
        copied sentence held back); return the model's whole reply. ``first`` gets the seconds
        to the first token."""
        markers, parts = MarkerStream(n_passages), []
        evidence = EvidenceStream() if evidence_first else None
        for token in _model_errors(runnable.stream(inputs), self.chat_model):
            if first is not None and not first:
                first.append(time.perf_counter() - started)
            parts.append(token)
            if evidence is not None:
                token = evidence.feed(token)
            if shown := markers.feed(token):
                yield Token(shown)
        if evidence is not None and (rest := evidence.flush()) and (shown := markers.feed(rest)):
            yield Token(shown)
        if tail := markers.flush():
            yield Token(tail)
        return "".join(parts)

    def ask(self, question: str, **kwargs) -> Answer:
        """Run ``stream`` to the end and return the answer."""
        for event in self.stream(question, **kwargs):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the chain ended without an answer")  # pragma: no cover

    def _abstain(self, retrieval: Retrieval, base: dict, retrieve_s: float, started: float, stage: str) -> Answer:
        reason = retrieval.empty_reason or "no relevant passage"
        total = round(time.perf_counter() - started, 4)
        return Answer(
            text=f"{NOT_COVERED} ({reason}.)",
            abstained=True,
            reason=reason,
            refused_by=stage,
            passages=retrieval.consulted,
            timings=Timings(round(retrieve_s, 4), None, total),
            **base,
        )

    def _finish(self, draft: Draft, timings: Timings, base: dict) -> tuple[Answer, str]:
        """The checked answer (or the refusal) and the notes the checks left for after it."""
        reason, notes, stage = "the model found no answer in the retrieved passages", "", "model"
        withheld = None
        if not is_refusal(draft.text):
            written = draft.text  # as the model wrote it, before any check changed it
            draft, refusal, check, notes = run_checks(self.checks, draft)
            if refusal is not None:
                log.info("%s check refused: %s", check, refusal)
                reason, stage, withheld, draft = refusal, check, written, replace(draft, text="")
        refused = not draft.text or is_refusal(draft.text)
        answer = Answer(
            text=NOT_COVERED if refused else draft.text,
            abstained=refused,
            reason=reason if refused else None,
            refused_by=stage if refused else None,
            citations=() if refused else draft.citations,
            passages=draft.passages,
            timings=timings,
            sentences=draft.sentences,
            withheld=withheld,
            **base,
        )
        return answer, "" if refused else notes


_CLIENT_PACKAGES = ("openai", "langchain_openai", "httpx", "httpx2", "httpcore", "httpcore2")


def _unreachable(exc: BaseException) -> bool:
    """A failure to reach the model: the network (refused, reset, timed out) or the client of an
    OpenAI-compatible server (its connection, timeout and API errors)."""
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in _CLIENT_PACKAGES


def _model_errors(tokens: Iterator[str], chat_model) -> Iterator[str]:
    """The model's tokens; a failure to reach or run it (a server down, a timeout, a garbled
    reply) becomes one ``ModelError`` that says what happened and where, not a traceback."""
    try:
        yield from tokens
    except ConflictQAError:
        raise
    except Exception as exc:
        where = getattr(chat_model, "openai_api_base", None)
        if where and not _unreachable(exc):  # it answered, but not with a chat reply
            detail = " ".join(str(exc).split())[:200].rstrip(".") or type(exc).__name__
            raise ModelError(
                f"The model server at {where} sent something that is not a chat answer "
                f"({type(exc).__name__}: {detail}). Is CONFLICT_QA_OPENAI_BASE_URL an OpenAI-compatible /v1 address?"
            ) from exc
        if not _unreachable(exc):
            raise  # a bug, not a fault of the model's server: the app says so and logs the traceback
        target = f"the model server at {where}" if where else "the local model"
        detail = " ".join(str(exc).split())[:200].rstrip(".") or type(exc).__name__
        hint = " Is it running? Check CONFLICT_QA_OPENAI_BASE_URL." if where else ""
        raise ModelError(f"Could not get an answer from {target}: {type(exc).__name__}: {detail}.{hint}") from exc
