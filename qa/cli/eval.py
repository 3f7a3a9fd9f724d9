"""``conflict-qa eval``: run the gold questions, write report.json / report.md / plots, compare runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Optional

import typer

from qa.errors import ConflictQAError


def eval_command(
    questions: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Gold questions, one JSON object per line."
    ),
    corpus: Optional[Path] = typer.Option(
        None, "--corpus", exists=True, help="Ingest this directory into a fresh store under --out first (reproducible)."
    ),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="Passages to give the model [CONFLICT_QA_TOP_K]."),
    retrieval_only: bool = typer.Option(False, "--retrieval-only", help="Score retrieval only; never load the model."),
    out_dir: Path = typer.Option(Path("eval-report"), "--out", help="Where report.json, report.md and plots go."),
    as_json: bool = typer.Option(False, "--json", help="Print only the aggregate JSON object."),
    compare: Optional[Path] = typer.Option(
        None,
        "--compare",
        exists=True,
        dir_okay=False,
        help="An earlier report.json: print the change of each aggregate.",
    ),
    limit: Optional[int] = typer.Option(
        None, "--limit", help="Evaluate N questions: a seeded sample drawn in turn from each question type."
    ),
    first: Optional[int] = typer.Option(None, "--first", help="Evaluate only the first N questions of the file."),
    split: Optional[str] = typer.Option(None, "--split", help="Only the questions of this split: dev or test."),
    judge: bool = typer.Option(False, "--judge", help="Also ask the chat model to grade each answer (slower)."),
) -> None:
    """Evaluate retrieval, answers, citations and refusals against a gold question set."""
    from qa.cli.common import err, out, settings
    from qa.eval.dataset import load_questions
    from qa.eval.report import answer_changes, load_aggregates
    from qa.eval.report import compare as compare_aggregates

    if judge and retrieval_only:
        raise ConflictQAError("--judge grades answers, so it cannot run with --retrieval-only: drop one of them.")
    if limit is not None and first is not None:
        raise ConflictQAError("--limit samples and --first takes the head of the file: give one of them.")
    gold = load_questions(questions, first, split, sample=limit)
    old = load_aggregates(compare) if compare else None
    out_dir.mkdir(parents=True, exist_ok=True)
    s = settings(top_k=top_k)
    s, store = _open_store(s, corpus, out_dir, err if not as_json else None)
    chain, grader = _answerer(s, store, retrieval_only, judge)
    extra = {
        "questions": str(questions),
        "corpus": str(corpus) if corpus else None,
        "limit": limit,
        "first": first,
        "split": split,
    }
    report = _run(gold, s, store, chain, grader, retrieval_only, extra, err if not as_json else None)
    deltas = compare_aggregates(old, report.aggregates) if old is not None else None
    paths = _write(report, out_dir, deltas)
    changed = answer_changes(compare, report) if compare and not retrieval_only else None
    if as_json:
        print(json.dumps(report.summary()))
        if deltas is not None:
            _print_deltas(deltas, err, changed)
        return
    _print_summary(report, out)
    if deltas is not None:
        _print_deltas(deltas, out, changed)
    err.print(f"wrote {', '.join(p.name for p in paths)} to {out_dir}")


def _open_store(s, corpus: Optional[Path], out_dir: Path, console) -> tuple[Any, Any]:
    """The configured store, or a fresh embedded one under ``out_dir/store`` holding ``corpus``."""
    from qa.factory import make_store

    if corpus is None:
        store = make_store(s)
        if store.count_chunks() == 0:
            raise ConflictQAError(
                f"Collection {s.collection!r} is empty: run `conflict-qa ingest PATH` first, or pass --corpus DIR."
            )
        return s, store
    fresh = out_dir / "store"
    shutil.rmtree(fresh, ignore_errors=True)
    s = s.model_copy(update={"data_dir": fresh, "chroma_url": None})
    store = make_store(s)
    _ingest(s, store, corpus, console)
    return s, store


def _ingest(s, store, corpus: Path, console) -> None:
    from ingest.service import run_ingest

    if console is not None:
        with console.status(f"ingesting {corpus} …"):
            report = run_ingest(s, store, [str(corpus)])
        console.print(f"ingested {len(report.ids('added'))} documents, {report.chunks_added} chunks from {corpus}")
    else:
        report = run_ingest(s, store, [str(corpus)])
    if report.failed:
        names = "; ".join(f"{o.source}: {o.message}" for o in report.failed)
        raise ConflictQAError(f"Could not ingest the whole corpus ({names}): fix or remove those files.")
    if store.count_chunks() == 0:
        raise ConflictQAError(f"{corpus} holds no readable documents: add .md, .txt, .html, .pdf or .docx files.")


def _answerer(s, store, retrieval_only: bool, judge: bool):
    if retrieval_only:
        return None, None
    from qa.eval.judge import Judge
    from qa.factory import make_chain

    chain = make_chain(s, store)
    return chain, Judge(chain.chat_model) if judge else None


def _run(gold, s, store, chain, grader, retrieval_only: bool, extra: dict, console):
    from qa.eval.runner import run_eval

    if console is None:
        return run_eval(
            gold, settings=s, store=store, chain=chain, retrieval_only=retrieval_only, judge=grader, extra_config=extra
        )
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("evaluating", total=len(gold))
        return run_eval(
            gold,
            settings=s,
            store=store,
            chain=chain,
            retrieval_only=retrieval_only,
            judge=grader,
            extra_config=extra,
            on_question=lambda row: progress.advance(task),
        )


def _write(report, out_dir: Path, deltas) -> list[Path]:
    from qa.eval.plots import write_plots
    from qa.eval.report import write_json, write_markdown

    data = write_json(report, out_dir)  # first: hours of answers are never lost to a plotting error
    plots = write_plots(report, out_dir)
    return [data, write_markdown(report, out_dir, plots, deltas), *plots]


def _print_summary(report, console) -> None:
    from rich.table import Table

    from qa.eval.report import fmt

    agg = report.aggregates
    table = Table(title=f"conflict-qa eval: {agg['n']} questions")
    table.add_column("metric")
    table.add_column("value", justify="right")
    extra = [k for k in ("cited_sentence_share", "false_refusal_rate", "accuracy", "judge") if k in agg]
    for key in [*report.summary(), *extra, "retrieve_s_p50", "retrieve_s_p95", "total_s_p50", "total_s_p95"]:
        table.add_row(key, fmt(agg.get(key)))
    console.print(table)


def _print_deltas(deltas, console, changed=None) -> None:
    from rich.table import Table

    from qa.eval.report import fmt, fmt_delta

    table = Table(title="change against the earlier report")
    for name in ("metric", "old", "new", "Δ"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for d in deltas:
        table.add_row(d.key, fmt(d.old), fmt(d.new), fmt_delta(d.change))
    console.print(table)
    if changed is not None:
        same, diff = changed
        console.print(f"answers: {same} the same, {len(diff)} changed" + (f" ({', '.join(diff[:30])})" if diff else ""))
