"""The refusal trade-off of the gate: refusal precision and recall as its relevance bar varies.

For each question the harness records what the gate sees — the best passage's cosine similarity
and whether the question's names and figures occur in the top-k passages. Sweeping the bar
shows how many unanswerable questions the gate alone refuses (recall) and how many answerable
ones it wrongly refuses, without re-running the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.eval.metrics import refusal_scores

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(0, 13))  # 0.00 .. 0.60


@dataclass(frozen=True)
class GateSignal:
    best_similarity: float | None
    names_found: bool

    def refuses(self, bar: float, use_names: bool = True) -> bool:
        if self.best_similarity is None or self.best_similarity < bar:
            return True
        return use_names and not self.names_found

    def to_json(self) -> dict[str, Any]:
        return {"best_similarity": self.best_similarity, "names_found": self.names_found}


def gate_signal(question: str, retrieval, aliases=None) -> GateSignal:
    from qa.checks.gate import check_question

    shown = retrieval.passages or retrieval.consulted
    return GateSignal(retrieval.best_similarity, check_question(question, shown, aliases).allowed)


def sweep(rows: Sequence[tuple[bool, GateSignal]], use_names: bool = True) -> list[dict[str, Any]]:
    """For each bar: refusal precision, recall and false-refusal rate of the gate alone."""
    out = []
    for bar in THRESHOLDS:
        scores = refusal_scores([(unanswerable, sig.refuses(bar, use_names)) for unanswerable, sig in rows])
        out.append({"threshold": bar, "names_check": use_names, **scores})
    return out
