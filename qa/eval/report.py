"""Writing an eval run: ``report.json``, a readable ``report.md``, and comparing two reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ConflictQAError
from qa.eval.runner import EvalReport, QuestionResult
from qa.eval.scoring import SUMMARY_KEYS

WORST = 10


@dataclass(frozen=True)
class Delta:
    key: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


def write_json(report: EvalReport, out_dir: Path) -> Path:
    path = out_dir / "report.json"
    path.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_markdown(report: EvalReport, out_dir: Path, plots: list[Path], deltas: list[Delta] | None = None) -> Path:
    path = out_dir / "report.md"
    path.write_text(render_markdown(report, plots, deltas), encoding="utf-8")
    return path


def load_aggregates(path: Path) -> dict[str, Any]:
    """The aggregates of an earlier ``report.json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return dict(data["aggregates"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConflictQAError(
            f"Cannot read aggregates from {path} ({exc}): pass the report.json an earlier `conflict-qa eval` wrote."
        ) from exc


def answer_changes(path: Path, report: EvalReport) -> tuple[int, list[str]]:
    """``(questions answered the same, ids of those whose answer or refusal changed)`` against the
    questions of an earlier ``report.json`` that this run also asked."""
    try:
        old = {q["id"]: q.get("answer") for q in json.loads(Path(path).read_text(encoding="utf-8"))["questions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return 0, []
    same, changed = 0, []
    for r in report.rows:
        if r.gold.id not in old or r.answer is None:
            continue
        before = old[r.gold.id] or {}
        if (before.get("text"), before.get("abstained")) == (r.answer.text, r.answer.abstained):
            same += 1
        else:
            changed.append(r.gold.id)
    return same, changed


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Delta]:
    """One delta per numeric aggregate present in either report, headline metrics first."""
    keys = list(SUMMARY_KEYS) + sorted((set(old) | set(new)) - set(SUMMARY_KEYS))
    return [Delta(k, _num(old.get(k)), _num(new.get(k))) for k in keys if _is_num(old.get(k)) or _is_num(new.get(k))]


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(value: Any) -> float | None:
    return value if _is_num(value) else None


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_delta(change: float | None) -> str:
    if change is None:
        return "–"
    return f"{change:+d}" if isinstance(change, int) else f"{change:+.3f}"


# --- report.md -------------------------------------------------------------------------------


def render_markdown(report: EvalReport, plots: list[Path], deltas: list[Delta] | None = None) -> str:
    parts = [
        _header(report),
        _aggregates_table(report.aggregates),
        _latency_table(report.aggregates),
        _by_type_table(report.by_type),
        _by_stage_table(report.by_stage),
        _second_drafts_line(report.second_drafts),
        _plots_section(plots),
        _worst_section(report),
    ]
    if deltas is not None:
        parts.append(_deltas_section(deltas))
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(report: EvalReport) -> str:
    c = report.config
    mode = "retrieval only" if c.get("retrieval_only") else f"answers by {c.get('model')}"
    lines = [
        "# conflict-qa eval report",
        "",
        f"- questions: {report.aggregates['n']} from `{c.get('questions', '?')}` ({mode})",
        f"- corpus: `{c.get('corpus') or c.get('store')}`",
        f"- retrieval: {c.get('retrieval_mode')}, top_k {c.get('top_k')}, min relevance {c.get('min_relevance')}; "
        f"chunks {c.get('chunk_size')} word pieces, overlap {c.get('chunk_overlap')}",
        f"- prompt hash: `{c.get('prompt_hash')}`; created {c.get('created')}",
    ]
    return "\n".join(lines)


def _aggregates_table(agg: dict[str, Any]) -> str:
    rows = (
        [k for k in SUMMARY_KEYS if k != "n"]
        + [k for k in ("cited_sentence_share", "false_refusal_rate", "accuracy", "judge") if k in agg]
        + [k for k in ("injection_obeyed",) if agg.get(k) is not None]
    )
    body = "\n".join(f"| {k} | {fmt(agg.get(k))} |" for k in rows)
    return f"## Aggregates\n\n| metric | value |\n|---|---|\n{body}"


def _latency_table(agg: dict[str, Any]) -> str:
    names = ("retrieve_s", "first_token_s", "total_s")
    body = "\n".join(f"| {n} | {fmt(agg.get(n + '_p50'))} | {fmt(agg.get(n + '_p95'))} |" for n in names)
    return f"## Latency (seconds)\n\n| stage | p50 | p95 |\n|---|---|---|\n{body}"


def _by_type_table(by_type: dict[str, dict[str, Any]]) -> str:
    cols = ("n", "hits@4", "mrr@10", "contains", "accuracy")
    body = "\n".join(f"| {t} | " + " | ".join(fmt(v.get(c)) for c in cols) + " |" for t, v in by_type.items())
    return f"## By question type\n\n| type | {' | '.join(cols)} |\n|---|{'---|' * len(cols)}\n{body}"


def _by_stage_table(by_stage: dict[str, dict[str, Any]]) -> str:
    if not by_stage:
        return ""
    body = "\n".join(
        f"| {name} | {v['refusals']} | {v['right']} | {v.get('withheld_wrong', 0)} | {v['wrong']} | "
        f"{fmt(v['precision'])} |"
        for name, v in by_stage.items()
    )
    return (
        "## Refusals by stage\n\nWhich stage refused: right = the question has no answer in the store, or the "
        "check withheld a wrong draft (counted apart); wrong = it had an answer and the stage refused before "
        "the model wrote one, or withheld a right one.\n\n"
        "| stage | refusals | right | of which wrong drafts withheld | wrong | precision |\n"
        f"|---|---|---|---|---|---|\n{body}"
    )


def _second_drafts_line(counts: dict[str, int]) -> str:
    if not counts.get("given"):
        return ""
    return (
        f"Second drafts given (a check withheld the first, `CONFLICT_QA_SECOND_DRAFT`): {counts['given']}: "
        f"{counts['right']} right, {counts['wrong']} wrong, {counts['unanswerable']} to questions the store has "
        "no answer to."
    )


def _plots_section(plots: list[Path]) -> str:
    return "\n\n".join(["## Plots", *(f"![{p.stem}]({p.name})" for p in plots)]) if plots else ""


def _worst_section(report: EvalReport) -> str:
    worst = worst_questions(report.rows)
    if not worst:
        return "## Worst questions\n\nNone: every question was answered right and its gold document ranked first."
    lines = [
        "## Worst questions",
        "",
        "| id | type | problem | question | gold | answer | top documents |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in worst:
        answer = "" if r.answer is None else _cell(r.answer.text, 120)
        gold = _cell(" / ".join(r.gold.answers) or "(refuse)", 60)
        top = ", ".join(("**" + d.name + "**") if d.gold else d.name for d in r.ranked[:3])
        lines.append(
            f"| {r.gold.id} | {r.gold.type} | {problem(r)} | {_cell(r.gold.question, 100)} | {gold} | {answer} | {top} |"
        )
    return "\n".join(lines)


def _deltas_section(deltas: list[Delta]) -> str:
    body = "\n".join(f"| {d.key} | {fmt(d.old)} | {fmt(d.new)} | {fmt_delta(d.change)} |" for d in deltas)
    return f"## Compared with the earlier report\n\n| metric | old | new | Δ |\n|---|---|---|---|\n{body}"


def _cell(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- worst questions -------------------------------------------------------------------------


def badness(r: QuestionResult) -> tuple:
    """Sort key: wrong answers first, then low F1, then the gold document ranked low."""
    s = r.scores
    wrong = 0 if s.get("correct") is False else 1
    return (wrong, *(1.0 if s.get(k) is None else s[k] for k in ("f1", "mrr@10", "ndcg@10")))


def worst_questions(rows: list[QuestionResult], limit: int = WORST) -> list[QuestionResult]:
    """Up to ``limit`` questions with something wrong, worst first."""
    flawed = [r for r in rows if problem(r) != "ok"]
    return sorted(flawed, key=badness)[:limit]


def problem(r: QuestionResult) -> str:
    """A few words on what went wrong for this question."""
    s, gold_rank = r.scores, next((d.rank for d in r.ranked if d.gold), None)
    if r.answer is not None and s.get("correct") is False:
        if r.gold.unanswerable:
            return "answered an unanswerable question"
        return "refused an answerable question" if r.answer.abstained else "answer lacks the gold"
    if r.gold.sources and gold_rank is None:
        return "no gold document in the top 10"
    if gold_rank and gold_rank > 1:
        return f"gold document first at rank {gold_rank}"
    return "ok"
