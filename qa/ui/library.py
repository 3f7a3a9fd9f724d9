"""HTML for the Library tab: the per-file ingest results and the status line (all text escaped)."""

from __future__ import annotations

from pathlib import Path

from qa.ui.render import display_source, esc

_BADGE = {"added": "cq-ok", "updated": "cq-ok", "skipped": "cq-skip", "failed": "cq-fail"}


def ingest_summary(report) -> str:
    counts = {s: sum(o.status == s for o in report.outcomes) for s in ("added", "updated", "skipped", "failed")}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    return f"{parts}; {report.chunks_added} chunks in {report.seconds:.1f} s"


def render_ingest_results(report, uploads_dir: Path | None = None) -> str:
    """One row per document or input: status, name, chunks, and the reason when not added."""
    rows = []
    for o in report.outcomes:
        detail = o.message or (f"{o.chunks} chunks" if o.chunks else "")
        rows.append(
            f'<tr><td><span class="cq-badge {_BADGE.get(o.status, "")}">{esc(o.status)}</span></td>'
            f"<td>{esc(display_source(o.source))}</td><td>{esc(detail)}</td></tr>"
        )
    table = '<table class="cq-results"><thead><tr><th>Result</th><th>Input</th><th>Details</th></tr></thead>'
    return f'<div class="cq-ingest"><p>{esc(ingest_summary(report))}</p>{table}<tbody>{"".join(rows)}</tbody></table></div>'


def render_status(
    *,
    model: str,
    backend: str,
    loaded: bool,
    collection: str,
    documents: int,
    chunks: int,
    watched: list[dict] | None = None,
) -> str:
    state = "loaded" if loaded else "loads on the first question"
    watching = ""
    if watched:
        parts = []
        for w in watched:
            when = (w["last_checked"] or "never").replace("T", " ").replace("+00:00", " UTC")
            failed = f", {w['failures']} failed" if w["failures"] else ""
            parts.append(f"{display_source(w['source'])} checked {when} ({w['new']} new{failed})")
        watching = " · watching: " + "; ".join(parts)
    return (
        f'<div class="cq-status-line">Model: {esc(model)} ({esc(state)}) · backend {esc(backend)} · '
        f"collection {esc(collection)} · {documents} documents · {chunks} chunks{esc(watching)}</div>"
    )


def render_watched(watched: list[dict], every: str) -> str:
    """The watched sources: when each was last checked, what came in, how many failed."""
    if not watched:
        return '<p class="cq-hint">Nothing is watched yet. Paste feed URLs above, or run `conflict-qa watch DIR`.</p>'
    rows = "".join(
        f"<tr><td>{esc(display_source(w['source']))}</td>"
        f"<td>{esc((w['last_checked'] or 'not yet').replace('T', ' ').replace('+00:00', ' UTC'))}</td>"
        f"<td>{w['new']}</td><td>{w['failures']}</td></tr>"
        for w in watched
    )
    return (
        f'<p class="cq-hint">Checked every {esc(every)} while the app runs (CONFLICT_QA_WATCH_EVERY).</p>'
        '<table class="cq-results"><thead><tr><th>Source</th><th>Last checked</th><th>New then</th>'
        f"<th>Failed</th></tr></thead><tbody>{rows}</tbody></table>"
    )
