"""``run_eval``: ask every gold question, score retrieval (and the answer), aggregate the run.

Retrieval is scored on its own ranking: ``retriever.retrieve(query, filters, k=10)``, all ten
closest passages (even those under the relevance bar), documents ranked by their best chunk. The
query is the one the chain searched with: its rewrite of a follow-up, else the question. Without
the model (``retrieval_only``) a follow-up is searched as its earlier user turns plus the question.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qa.eval import scoring
from qa.eval.dataset import GoldQuestion
from qa.eval.tradeoff import GateSignal, gate_signal, sweep
from qa.retrieve.dense import Retriever
from qa.retrieve.hybrid import HybridRetriever
from qa.settings import Settings
from qa.types import Answer, Filters, Passage

Judge = Callable[[str, Sequence[str], str], "float | None"]


@dataclass(frozen=True)
class QuestionResult:
    """One question's outcome: what was retrieved, the answer (unless retrieval-only), the scores."""

    gold: GoldQuestion
    query: str
    ranked: tuple[scoring.RankedDoc, ...]
    scores: dict[str, Any]
    timings: dict[str, float | None]
    answer: Answer | None = None
    gate: GateSignal | None = None

    def to_json(self) -> dict[str, Any]:
        g = self.gold
        return {
            "id": g.id,
            "type": g.type,
            "question": g.question,
            "as_of": g.as_of,
            "history_turns": len(g.history),
            "gold_answers": list(g.answers),
            "gold_sources": list(g.sources),
            "unanswerable": g.unanswerable,
            "retrieval_query": self.query,
            "retrieved": [d.to_json() for d in self.ranked],
            "scores": self.scores,
            "timings": self.timings,
            "answer": None if self.answer is None else _answer_json(self.answer, g.sources),
            "gate": None if self.gate is None else self.gate.to_json(),
        }


def _answer_json(answer: Answer, refs: Sequence[str]) -> dict[str, Any]:
    return {
        "text": answer.text,
        "abstained": answer.abstained,
        "reason": answer.reason,
        "refused_by": answer.refused_by,
        "withheld": answer.withheld,
        "redrafted": answer.redrafted,
        "rewritten_question": answer.rewritten_question,
        "citations": [
            {
                "n": c.n,
                "doc": scoring.doc_name(c.passage),
                "gold": not scoring.doc_key(c.passage, refs).startswith("doc:"),
            }
            for c in answer.citations
        ],
        # what the model was given, so the checks can be replayed on this run without the model
        "passages": [{"n": n, **p.to_json()} for n, p in enumerate(answer.passages, start=1)],
        "sentences": [c.to_json() for c in answer.sentences],
    }


@dataclass
class EvalReport:
    """A whole run: the configuration, one row per question, the aggregates."""

    config: dict[str, Any]
    rows: list[QuestionResult]
    aggregates: dict[str, Any]
    by_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_stage: dict[str, dict[str, Any]] = field(default_factory=dict)
    second_drafts: dict[str, int] = field(default_factory=dict)

    @property
    def tradeoff(self) -> list[dict[str, Any]]:
        """Gate-only refusal precision/recall for each relevance bar, with and without the names check."""
        signals = [(r.gold.unanswerable, r.gate) for r in self.rows if r.gate is not None]
        return sweep(signals, use_names=True) + sweep(signals, use_names=False)

    def summary(self) -> dict[str, Any]:
        """The ``--json`` object (exactly ``scoring.SUMMARY_KEYS``)."""
        return scoring.summary(self.aggregates)

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "aggregates": self.aggregates,
            "by_type": self.by_type,
            "refusals_by_stage": self.by_stage,
            "second_drafts": self.second_drafts,
            "refusal_tradeoff": self.tradeoff,
            "questions": [r.to_json() for r in self.rows],
        }


def run_eval(
    questions: Sequence[GoldQuestion],
    *,
    settings: Settings,
    store: Any,
    retriever: Retriever | None = None,
    chain: Any = None,
    chat_model: Any = None,
    retrieval_only: bool = False,
    judge: Judge | None = None,
    on_question: Callable[[QuestionResult], None] | None = None,
    extra_config: dict[str, Any] | None = None,
) -> EvalReport:
    """Evaluate ``questions``. Without ``chain`` (and not ``retrieval_only``) one is built with
    ``make_chain(settings, store, chat_model)``; ``retrieval_only`` never touches a model."""
    from qa.factory import make_chain, make_retriever

    retriever = retriever or make_retriever(settings, store)
    if retrieval_only:
        chain, judge = None, None
    elif chain is None:
        chain = make_chain(settings, store, chat_model)
    rows = []
    for q in questions:
        rows.append(evaluate_question(q, retriever, chain, top_k=settings.top_k, judge=judge))
        if on_question:
            on_question(rows[-1])
    config = describe_run(settings, chain, retrieval_only=retrieval_only, judge=judge, extra=extra_config)
    aggregates = scoring.aggregate(rows, retrieval_only=retrieval_only, top_k=settings.top_k)
    return EvalReport(
        config, rows, aggregates, scoring.by_type(rows), scoring.by_stage(rows), scoring.second_drafts(rows)
    )


def evaluate_question(
    q: GoldQuestion, retriever: Retriever, chain: Any, *, top_k: int, judge: Judge | None = None
) -> QuestionResult:
    filters = Filters(as_of=q.as_of, exclude=q.leave_out)
    answer = chain.ask(q.question, history=list(q.history), filters=filters, top_k=top_k) if chain else None
    query = retrieval_query(q, answer)
    started = time.perf_counter()
    retrieval = retriever.retrieve(query, filters, k=scoring.RANK_DEPTH)
    retrieve_s = round(time.perf_counter() - started, 4)
    passages: Sequence[Passage] = retrieval.consulted or retrieval.passages
    scores = scoring.retrieval_scores(q, passages, top_k)
    if answer is not None:
        scores.update(scoring.answer_scores(q, answer))
        if judge is not None and not q.unanswerable:
            scores["judge"] = 0.0 if answer.abstained else judge(q.question, q.answers, answer.text)
    scores["correct"] = scoring.is_correct(q, answer, scores)
    timings = _timings(answer, retrieve_s)
    aliases = retriever.aliases if isinstance(retriever, HybridRetriever) else None
    signal = gate_signal(query, retriever.retrieve(query, filters, k=top_k), aliases)
    ranked = tuple(scoring.rank_documents(passages, q.sources))
    return QuestionResult(q, query, ranked, scores, timings, answer, signal)


def retrieval_query(q: GoldQuestion, answer: Answer | None) -> str:
    """What the system searched for: the chain's rewrite, or the question (with earlier user turns
    prepended when there is history but no model to rewrite it)."""
    if answer is not None:
        return answer.rewritten_question or q.question
    earlier = [text for role, text in q.history if role == "user"]
    return " ".join([*earlier, q.question])


def _timings(answer: Answer | None, retrieve_s: float) -> dict[str, float | None]:
    if answer is None:
        return {"retrieve_s": retrieve_s, "first_token_s": None, "total_s": None}
    t = answer.timings
    return {"retrieve_s": t.retrieve_s, "first_token_s": t.first_token_s, "total_s": t.total_s}


def describe_run(
    settings: Settings, chain: Any, *, retrieval_only: bool, judge: Any = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The configuration a report was produced with, so two reports can be told apart."""
    from qa.answer.chain import answer_prompt
    from qa.backends.chat import describe_model

    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "retrieval_only": retrieval_only,
        "model": describe_model(settings),
        "prompt_hash": chain.prompt_hash if chain is not None else answer_prompt()[1],
        "judge": None if judge is None else {"prompt_hash": getattr(judge, "prompt_hash", None)},
        "top_k": settings.top_k,
        "rank_depth": scoring.RANK_DEPTH,
        "min_relevance": settings.min_relevance,
        "retrieval_mode": getattr(settings, "retrieval", None) or "dense",
        "use_aliases": getattr(settings, "use_aliases", None),
        "recency": getattr(settings, "recency", None),
        "gate": settings.gate and settings.gate_kind,
        "gate_bar": settings.gate_bar if settings.gate_kind == "coverage" else None,
        "verify": settings.verify,
        "verify_with_model": settings.verify_with_model,
        "checks": settings.checks if settings.verify else "",
        "evidence_first": settings.evidence_first,
        "second_draft": settings.second_draft,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "embedding_model": str(settings.embedding_model_path or "all-MiniLM-L6-v2 (bundled)"),
        "collection": settings.collection,
        "store": settings.chroma_url or str(settings.chroma_dir),
        **(extra or {}),
    }
