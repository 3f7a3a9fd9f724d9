"""The commands: config, prepare, ingest, watch, ask, chat, docs list / docs remove."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from qa.cli.common import State, app, configure_logging, docs_app, err, out, settings
from qa.errors import ConflictQAError


@app.callback()
def main(
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where the store lives [CONFLICT_QA_DATA_DIR]."),
    chroma_url: Optional[str] = typer.Option(
        None, "--chroma-url", help="Use a Chroma server [CONFLICT_QA_CHROMA_URL]."
    ),
    collection: Optional[str] = typer.Option(None, "--collection", help="Collection name [CONFLICT_QA_COLLECTION]."),
    backend: Optional[str] = typer.Option(None, "--backend", help="llamacpp | openai [CONFLICT_QA_BACKEND]."),
    model_path: Optional[Path] = typer.Option(None, "--model-path", help="A GGUF file [CONFLICT_QA_MODEL_PATH]."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    debug: bool = typer.Option(False, "--debug", help="Library logs and tracebacks [CONFLICT_QA_DEBUG]."),
) -> None:
    State.overrides = {
        k: v
        for k, v in dict(
            data_dir=data_dir, chroma_url=chroma_url, collection=collection, backend=backend, model_path=model_path
        ).items()
        if v is not None
    }
    if debug:
        State.overrides["debug"] = True
    configure_logging(verbose=verbose, debug=settings().debug)


@app.command()
def config() -> None:
    """Print the effective settings (secrets redacted)."""
    out.print_json(json.dumps(settings().redacted()))


@app.command()
def prepare() -> None:
    """Prepare the default models: load the embedder, assemble and verify the bundled GGUF."""
    from qa.backends.chat import describe_model, resolve_model_path
    from qa.store.embeddings import load_embeddings

    s = settings()
    load_embeddings(s.embedding_model_path).embed_query("ready")
    err.print("embedder: all-MiniLM-L6-v2 ready")
    if s.backend == "llamacpp":
        err.print(f"model: {resolve_model_path(s)} (sha256 verified)")
    else:
        err.print(f"model: {describe_model(s)}")


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Files, directories, URLs or feed URLs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary object."),
    allow_private_urls: Optional[bool] = typer.Option(
        None, "--allow-private-urls", help="Allow loopback/private URLs [CONFLICT_QA_ALLOW_PRIVATE_URLS]."
    ),
) -> None:
    """Add documents to the store (unchanged ones are skipped, changed ones replaced)."""
    from ingest.progress import IngestProgress
    from ingest.service import run_ingest
    from qa.factory import make_store

    s = settings(allow_private_urls=allow_private_urls)
    store = make_store(s)
    with IngestProgress(enabled=not as_json and err.is_terminal, console=err) as progress:
        report = run_ingest(s, store, paths, on_outcome=progress.update if not as_json else None)
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        IngestProgress.print_summary(report, err)
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def watch(
    sources: Optional[list[str]] = typer.Argument(
        None, help="Folders and feed/page URLs to watch (added to those already watched)."
    ),
    every: str = typer.Option("15m", "--every", help="How often to check: 30s, 15m, 1h."),
    once: bool = typer.Option(False, "--once", help="Check every source once and exit (for cron)."),
    stop_watching: Optional[list[str]] = typer.Option(
        None, "--stop", help="Stop watching this folder or URL (its reports stay stored); repeatable."
    ),
    list_only: bool = typer.Option(False, "--list", help="List the watched sources and their last checks."),
    allow_private_urls: Optional[bool] = typer.Option(
        None, "--allow-private-urls", help="Allow loopback/private URLs [CONFLICT_QA_ALLOW_PRIVATE_URLS]."
    ),
) -> None:
    """Ingest new files of folders and new feed entries as they appear (kept in the data directory)."""
    from rich.markup import escape

    from ingest.indexer import ADDED, FAILED, UPDATED
    from ingest.watch import Watcher, parse_every
    from qa.factory import make_store

    interval = parse_every(every)
    s = settings(allow_private_urls=allow_private_urls)
    if stop_watching or list_only:
        _watch_manage(s, stop_watching or [], sources or [])
        return
    watcher = Watcher(s, make_store(s))
    for key in watcher.add(sources or []):
        err.print(f"watching {escape(key)}")
    if not watcher.state.sources:
        raise ConflictQAError("Nothing to watch: name folders or feed URLs, e.g. `conflict-qa watch reports/`.")

    def line(o) -> None:
        if o.status in (ADDED, UPDATED, FAILED):
            detail = o.message if o.status == FAILED else (o.title or "")
            out.print(f"{o.status:8} {escape(o.source)}  {escape(detail)}")

    names = ", ".join(watcher.state.sources)
    err.print(
        f"checking {len(watcher.state.sources)} source(s) "
        + ("once" if once else f"every {every}")
        + f": {escape(names)}"
    )
    try:
        watcher.run(interval, on_outcome=line, rounds=1 if once else None)
    except KeyboardInterrupt:
        err.print("stopped; `conflict-qa watch` resumes the same sources")


def _watch_manage(s, stop: list[str], sources: list[str]) -> None:
    """``watch --stop SRC`` / ``watch --list``: change or show ``watch.json`` without checking."""
    from rich.markup import escape

    from ingest.watch import Watcher, watch_key, watch_summary

    if sources:
        raise ConflictQAError("--stop and --list take no sources to watch: run them on their own.")
    if stop:
        watcher = Watcher(s, store=None)
        removed = watcher.remove(stop)
        for key in removed:
            err.print(f"stopped watching {escape(key)} (its reports stay in the store)")
        missing = [src for src in stop if watch_key(src) not in removed]
        if missing:
            known = ", ".join(watcher.state.sources) or "nothing"
            raise ConflictQAError(f"Not watched: {', '.join(missing)}. Watched now: {known}.")
        return
    watched = watch_summary(s)
    if not watched:
        err.print("Nothing is watched: `conflict-qa watch DIR|FEED_URL` starts.")
    for w in watched:
        failed = f", {w['failures']} failed" if w["failures"] else ""
        out.print(f"{escape(w['source'])}  last checked {w['last_checked'] or 'never'} ({w['new']} new{failed})")


@app.command()
def ask(
    question: str = typer.Argument(..., help="Your question."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="Passages to give the model [CONFLICT_QA_TOP_K]."),
    since: Optional[str] = typer.Option(None, "--since", help="Only reports published on/after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Only reports published on/before YYYY-MM-DD."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Ignore reports published after YYYY-MM-DD."),
    source: Optional[str] = typer.Option(None, "--source", help="Only sources containing this text."),
    app_url: Optional[str] = typer.Option(
        None, "--app", help="Ask the app running at this URL (default: the one `conflict-qa chat` serves, if up)."
    ),
    in_process: bool = typer.Option(False, "--in-process", help="Load the model here even when an app is up."),
) -> None:
    """Answer a question from the stored reports, citing passages by number."""
    from rich.markup import escape

    from qa.answer.chain import Done, Redraft, Retrieved, Token
    from qa.cli.render import print_answer_footer
    from qa.factory import make_chain
    from qa.text.dates import parse_date
    from qa.types import Filters

    s = settings(top_k=top_k)
    filters = Filters(
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        as_of=parse_date(as_of, "--as-of"),
        source=source,
    )
    if not in_process and (answer := _ask_running_app(s, app_url, question, filters, top_k)) is not None:
        if as_json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            if answer.redrafted:
                err.print(f"(a second answer: a check withheld the first, {escape(answer.redrafted)})")
            out.print(escape(answer.text) if not answer.abstained else "", end="")
            print_answer_footer(answer, out, answer.text if not answer.abstained else "")
        return
    chain = make_chain(s)
    answer, streamed = None, []
    for event in chain.stream(question, filters=filters):
        if isinstance(event, Token) and not as_json:
            out.print(event.text, end="")
            streamed.append(event.text)
        elif isinstance(event, Redraft) and not as_json:
            out.print(f"\n\n[bold]Withheld[/] ({escape(event.reason)}). [bold]A second answer:[/] ", end="")
            streamed = []
        elif isinstance(event, Retrieved) and not as_json and event.rewritten_question:
            err.print(f"(searching for: {event.rewritten_question})")
        elif isinstance(event, Done):
            answer = event.answer
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print_answer_footer(answer, out, "".join(streamed))


def _ask_running_app(s, url: Optional[str], question: str, filters, top_k: Optional[int]):
    """The answer of a running app (``--app URL``, or the one announced in the data directory), or
    None to answer in-process. Says which app answered; an explicit ``--app`` that does not answer
    is an error."""
    from qa.types import Answer
    from qa.ui.running import announced_url, ask_app, connect, loopback

    target = url or announced_url(s)
    if not target:
        return None
    client = connect(target, s, login=bool(url) or loopback(target))
    if client is None:
        if url:
            raise ConflictQAError(f"No conflict-qa app answers at {url}: start one with `conflict-qa chat`.")
        err.print(f"(the app at {target} did not answer: loading the model here)")
        return None
    err.print(f"(answered by the running app at {target}: its model is loaded and warm)")
    data = ask_app(
        client,
        question,
        since=filters.since,
        until=filters.until,
        as_of=filters.as_of,
        source=filters.source,
        top_k=top_k or 0,
    )
    return Answer.from_json(data)


@app.command()
def chat(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes the app."),
    port: int = typer.Option(7860, "--port"),
) -> None:
    """Open the Gradio chat."""
    from qa.ui.app import launch

    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"[bold yellow]Warning:[/] binding {host} exposes your reports to other machines; set CONFLICT_QA_AUTH=user:password to require a login."
        )
    launch(settings(), host=host, port=port)


@docs_app.command("list")
def docs_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List stored documents: doc_id, title, source, published, chunks."""
    from qa.cli.render import print_docs_table
    from qa.factory import make_store

    records = make_store(settings()).records()
    if as_json:
        print(json.dumps([r.to_json() for r in records], ensure_ascii=False))
    else:
        print_docs_table(records, out)


@docs_app.command("remove")
def docs_remove(targets: list[str] = typer.Argument(..., help="doc_ids or sources to remove.")) -> None:
    """Remove documents by doc_id or by source (path or URL as ingested)."""
    from qa.factory import make_store

    store = make_store(settings())
    missing = []
    for target in targets:
        records = [store.record(target)] if store.record(target) else store.records_for_source(target)
        for rec in records:
            store.delete_document(rec.doc_id)
            err.print(f"removed {rec.doc_id} {rec.title or rec.source}")
        if not records:
            missing.append(target)
    for target in missing:
        err.print(f"[red]not found:[/] {target} (see `conflict-qa docs list`)")
    raise typer.Exit(1 if missing else 0)
