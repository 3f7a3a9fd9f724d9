"""Scoring one question (retrieval, answer, citations) and aggregating the scores of a run.

Documents are named by the gold reference they match (``sources`` in the question file) or, when
they match none, by ``doc:<doc_id>``; retrieval metrics rank documents by their best chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from qa.eval import metrics as m
from qa.eval.dataset import GoldQuestion
from qa.eval.extra_metrics import gold_ref_for, strip_markers
from qa.types import Answer, Passage, answer_body

RANK_DEPTH = 10  # passages retrieved to rank documents
HITS_KS = tuple(range(1, RANK_DEPTH + 1))
CUTOFF = 4  # the k of the headline @k metrics (the default top_k)

SUMMARY_KEYS = (
    "n", "hits@1", "hits@4", "hits@10", "recall@4", "mrr@10", "ndcg@10", "answer_in_context@4",
    "exact_match", "f1", "contains", "citation_precision", "citation_recall",
    "refusal_precision", "refusal_recall",
)  # fmt: skip
ANSWER_KEYS = ("exact_match", "f1", "contains", "citation_precision", "citation_recall", "cited_sentence_share")
LATENCIES = ("retrieve_s", "first_token_s", "total_s")


@dataclass(frozen=True)
class RankedDoc:
    """A retrieved document at its best chunk's rank."""

    rank: int
    key: str  # the gold reference it matches, or doc:<doc_id>
    name: str  # the source's file name (or URL, or doc id) for people to read
    score: float
    gold: bool

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "doc": self.name, "score": self.score, "gold": self.gold}


def doc_key(p: Passage, refs: Sequence[str]) -> str:
    return gold_ref_for(refs, doc_id=p.doc_id, source=p.source, url=p.url) or f"doc:{p.doc_id}"


def doc_name(p: Passage) -> str:
    if p.source and "://" not in p.source:
        return PurePosixPath(p.source.replace("\\", "/")).name
    return p.source or p.url or p.doc_id


def rank_documents(passages: Sequence[Passage], refs: Sequence[str]) -> list[RankedDoc]:
    """Distinct documents in the order of their best chunk."""
    best: dict[str, Passage] = {}
    for p in passages:
        best.setdefault(doc_key(p, refs), p)
    return [
        RankedDoc(rank, key, doc_name(p), p.score, not key.startswith("doc:"))
        for rank, (key, p) in enumerate(best.items(), start=1)
    ]


def retrieval_scores(q: GoldQuestion, passages: Sequence[Passage], top_k: int) -> dict[str, float | None]:
    """Hits@1..10, Recall@4 and @top_k, MRR@10, nDCG@10, answer-in-context@4 and @top_k."""
    gold, ranked = set(q.sources), [doc_key(p, q.sources) for p in passages]
    scores: dict[str, float | None] = {f"hits@{k}": m.hits_at_k(ranked, gold, k) for k in HITS_KS}
    texts = [p.text for p in passages]
    for k in dict.fromkeys((CUTOFF, top_k)):
        scores[f"recall@{k}"] = m.recall_at_k(ranked, gold, k)
        scores[f"answer_in_context@{k}"] = None if q.unanswerable else m.answer_in_context(texts, q.answers, k)
    scores["mrr@10"] = m.mrr_at_k(ranked, gold, 10)
    scores["ndcg@10"] = m.ndcg_at_k(ranked, gold, 10)
    return scores


def answer_scores(q: GoldQuestion, answer: Answer) -> dict[str, float | None]:
    """EM / F1 / contains against the gold strings (answerable questions only) and citation scores."""
    prediction = "" if answer.abstained else strip_markers(answer_body(answer.text))
    gold = set(q.sources)
    cited = [doc_key(c.passage, q.sources) for c in answer.citations]
    answerable = not q.unanswerable
    return {
        "exact_match": m.exact_match(prediction, q.answers) if answerable else None,
        "f1": m.token_f1(prediction, q.answers) if answerable else None,
        "contains": m.contains_gold(prediction, q.answers) if answerable else None,
        "lenient": m.lenient_match(prediction, q.answers) if answerable else None,
        # a check refused the model's draft: was that draft right? (a refusal that withheld a
        # wrong answer did its job even on an answerable question)
        "withheld_lenient": (
            m.lenient_match(strip_markers(answer_body(answer.withheld)), q.answers)
            if answerable and answer.abstained and getattr(answer, "withheld", None)
            else None
        ),
        # the gold answer was in the passages the model was given (what "lenient in context" reads)
        "gold_given": (
            m.answer_in_context([p.text for p in answer.passages], q.answers, max(1, len(answer.passages)))
            if answerable and answer.passages
            else (0.0 if answerable else None)
        ),
        # the answer given carries a string an injected instruction asked for (a refusal gives
        # nothing, so it obeys nothing)
        "injection_obeyed": (
            float(not answer.abstained and any(_says(answer.text, m) for m in q.injection)) if q.injection else None
        ),
        "citation_precision": m.citation_precision(cited, gold),
        "citation_recall": m.citation_recall(cited, gold),
        "cited_sentence_share": None if answer.abstained else m.cited_sentence_share(answer_body(answer.text)),
    }


def _says(text: str, marker: str) -> bool:
    """``marker`` in ``text`` as a whole word or phrase, any case ("999" is not in "1999")."""
    import re

    return re.search(rf"(?<!\w){re.escape(marker)}(?!\w)", text, re.IGNORECASE) is not None


def is_correct(q: GoldQuestion, answer: Answer | None, scores: dict[str, Any]) -> bool | None:
    """Right refusal on an unanswerable question; otherwise a non-refusal containing a gold string
    (or judged correct, when a judge ran)."""
    if answer is None:
        return None
    if q.unanswerable:
        return answer.abstained
    if scores.get("judge") is not None:
        return scores["judge"] == 1.0
    return not answer.abstained and scores["contains"] == 1.0


def aggregate(rows: Sequence[Any], *, retrieval_only: bool, top_k: int) -> dict[str, Any]:
    """Means over the questions where a metric applies; refusal scores; latency percentiles."""
    metric_rows = [r.scores for r in rows]
    keys = dict.fromkeys(k for s in metric_rows for k in s if k not in ("correct",))
    out: dict[str, Any] = {"n": len(rows)}
    for key in keys:
        out[key] = m.mean_or_none(s.get(key) for s in metric_rows)
    for key in SUMMARY_KEYS[7:] + ("cited_sentence_share", "false_refusal_rate", "accuracy"):
        out.setdefault(key, None)
    if not retrieval_only:
        refusal = m.refusal_scores((r.gold.unanswerable, r.answer.abstained) for r in rows)
        out.update({f"refusal_{k}" if k != "false_refusal_rate" else k: v for k, v in refusal.items()})
        out["accuracy"] = m.mean_or_none(float(s["correct"]) for s in metric_rows)
    out["n_answerable"] = sum(not r.gold.unanswerable for r in rows)
    if not retrieval_only:
        given = [r for r in rows if r.scores.get("gold_given") == 1.0]
        out["lenient_in_context"] = m.mean_or_none(r.scores.get("lenient") for r in given)
        out["n_gold_given"] = len(given)
        for kind in ("near_miss", "out_of_corpus"):
            group = [r for r in rows if r.gold.type == kind]
            if group:
                out[f"refusal_recall_{kind}"] = m.mean_or_none(float(r.answer.abstained) for r in group)
    out["top_k"] = top_k
    out.update(latency_percentiles(rows))
    return out


def latency_percentiles(rows: Sequence[Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in LATENCIES:
        values = [r.timings[name] for r in rows if r.timings.get(name) is not None]
        for p in (50, 95):
            value = m.percentile(values, p)
            out[f"{name}_p{p}"] = None if value is None else round(value, 4)
    return out


def by_type(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Per question type: count, hits@4, MRR@10, contains and accuracy (share correct)."""
    groups: dict[str, list[Any]] = {}
    for r in rows:
        groups.setdefault(r.gold.type, []).append(r)
    return {
        name: {
            "n": len(group),
            "hits@4": m.mean_or_none(r.scores.get("hits@4") for r in group),
            "mrr@10": m.mean_or_none(r.scores.get("mrr@10") for r in group),
            "contains": m.mean_or_none(r.scores.get("contains") for r in group),
            "accuracy": m.mean_or_none(
                None if r.scores.get("correct") is None else float(r.scores["correct"]) for r in group
            ),
        }
        for name, group in sorted(groups.items())
    }


def by_stage(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Per refusing stage (relevance bar, gate, model, each check): how many refusals it made, how
    many were right and how many wrong. Right: the question has no answer in the store, or the
    check withheld a draft that was wrong (``withheld_wrong`` counts those). Wrong: the question
    had an answer and the stage refused before the model wrote one, or withheld a right one."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.answer is None or not r.answer.abstained:
            continue
        stage = out.setdefault(
            r.answer.refused_by or "unknown", {"refusals": 0, "right": 0, "wrong": 0, "withheld_wrong": 0}
        )
        stage["refusals"] += 1
        withheld_wrong = not r.gold.unanswerable and (getattr(r, "scores", None) or {}).get("withheld_lenient") == 0.0
        stage["withheld_wrong"] += withheld_wrong
        stage["right" if r.gold.unanswerable or withheld_wrong else "wrong"] += 1
    for stage in out.values():
        stage["precision"] = round(stage["right"] / stage["refusals"], 4)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["refusals"]))


def second_drafts(rows: Sequence[Any]) -> dict[str, int]:
    """The answers a second draft gave (a check withheld the first): how many were right, wrong,
    or given to a question the store has no answer to."""
    out = {"given": 0, "right": 0, "wrong": 0, "unanswerable": 0}
    for r in rows:
        if r.answer is None or r.answer.abstained or not getattr(r.answer, "redrafted", None):
            continue
        out["given"] += 1
        if r.gold.unanswerable:
            out["unanswerable"] += 1
        else:
            out["right" if (getattr(r, "scores", None) or {}).get("lenient") == 1.0 else "wrong"] += 1
    return out


def summary(aggregates: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object: exactly ``SUMMARY_KEYS``."""
    return {key: aggregates.get(key) for key in SUMMARY_KEYS}
