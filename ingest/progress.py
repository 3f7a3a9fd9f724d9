"""Ingest progress on a terminal (rich): documents, chunks, chunks/s; and the final summary."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ingest.indexer import ADDED, FAILED, SKIPPED, UPDATED, IngestReport, Outcome

_STYLE = {ADDED: "green", UPDATED: "cyan", SKIPPED: "dim", FAILED: "red"}


class IngestProgress:
    """A live line while ingesting; each failure is printed as one line naming the input."""

    def __init__(self, *, enabled: bool, console: Console) -> None:
        self.enabled = enabled
        self.console = console
        self.docs = self.chunks = 0
        self.started = time.perf_counter()
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        )
        self._task = None

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            self._progress.start()
            self._task = self._progress.add_task("starting…")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._progress.stop()

    def update(self, outcome: Outcome) -> None:
        self.docs += 1
        self.chunks += outcome.chunks if outcome.status in (ADDED, UPDATED) else 0
        if outcome.status == FAILED:
            self.console.print(f"[red]failed[/] {escape(outcome.source)}: {escape(outcome.message)}")
        if self._task is not None:
            rate = self.chunks / max(time.perf_counter() - self.started, 1e-6)
            self._progress.update(
                self._task, description=f"{self.docs} documents, {self.chunks} chunks, {rate:.1f} chunks/s"
            )

    @staticmethod
    def print_summary(report: IngestReport, console: Console) -> None:
        for o in report.outcomes:
            if o.status != FAILED:
                detail = f" ({escape(o.message)})" if o.message else f" ({o.chunks} chunks)"
                console.print(f"[{_STYLE[o.status]}]{o.status}[/] {escape(o.source)}{detail}")
        counts = {s: sum(o.status == s for o in report.outcomes) for s in (ADDED, UPDATED, SKIPPED, FAILED)}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        console.print(f"{summary}; {report.chunks_added} chunks in {report.seconds:.1f} s")
