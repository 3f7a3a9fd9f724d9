"""What the app's buttons do, as plain Python over a store and a chain (testable without a browser).

``Handlers`` methods named ``on_*`` are wired to Gradio events and return component values;
``api_*`` are the stable API endpoints (``ask``, ``ingest``, ``documents``). User errors become
``gr.Error`` with a message that says what to do; nothing shows a traceback.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.watch import watch_summary
from qa.answer.chain import Done, Redraft, Retrieved, Token
from qa.errors import ConflictQAError
from qa.settings import Settings
from qa.store.chroma import DocRecord, ReportStore
from qa.text.dates import parse_date
from qa.types import Filters
from qa.ui import render
from qa.ui.library import render_ingest_results, render_status, render_watched
from qa.ui.state import LOADING_MODEL, REDRAFTING, SEARCHING, WRITING, ChatTurn, history_of

log = logging.getLogger(__name__)

DOC_HEADERS = ["Title", "Published", "Source", "Chunks", "ID"]


@contextmanager
def user_errors(debug: bool = False) -> Iterator[None]:
    """Turn our errors into ``gr.Error`` toasts; anything unexpected is logged, shown in one line."""
    try:
        yield
    except gr.Error:
        raise
    except ConflictQAError as exc:
        raise gr.Error(str(exc)) from exc
    except Exception as exc:
        log.exception("unexpected error in the app")
        if debug:
            raise
        raise gr.Error(
            f"Something went wrong ({type(exc).__name__}: {exc}). The details are in the terminal "
            "running `conflict-qa chat`; set CONFLICT_QA_DEBUG=1 for the full traceback."
        ) from exc


def parse_filters(since: str | None, until: str | None, as_of: str | None, source: str | None) -> Filters:
    """The filter boxes as ``Filters``; a bad date is a ``ConflictQAError`` that says what to type."""
    filters = Filters(
        since=parse_date(since, "Since"),
        until=parse_date(until, "Until"),
        as_of=parse_date(as_of, "As of"),
        source=(source or "").strip() or None,
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise ConflictQAError(
            f"Since {filters.since} is after Until {filters.until}: swap them, or clear one of the two."
        )
    return filters


def parse_history(text: str | list | None) -> list[tuple[str, str]]:
    """API history: a JSON list of ``[role, text]`` pairs or ``{"role", "content"}`` objects."""
    try:
        items = json.loads(text) if isinstance(text, str) and text.strip() else (text or [])
        pairs = [(i["role"], i["content"]) if isinstance(i, dict) else (i[0], i[1]) for i in items]
        if all(role in ("user", "assistant") and isinstance(t, str) for role, t in pairs):
            return pairs
    except (ValueError, TypeError, KeyError, IndexError):
        pass
    raise ConflictQAError(
        'history must be a JSON list like [["user", "Who attacked?"], ["assistant", "ISIS-K [1]."]] '
        '(or objects {"role": ..., "content": ...}); roles are "user" and "assistant".'
    )


class Services:
    """The store (opened now) and the chain (built on the first question, so the model loads lazily)."""

    def __init__(self, settings: Settings, *, store: ReportStore | None = None, chain=None, chat_model=None) -> None:
        from qa.factory import make_store

        self.settings = settings
        self.store = store or make_store(settings)
        self._chain = chain
        self._chat_model = chat_model
        self._lock = threading.Lock()
        self.model_loaded = False

    def chain(self):
        from qa.factory import make_chain

        with self._lock:
            if self._chain is None:
                self._chain = make_chain(self.settings, self.store, self._chat_model)
            return self._chain

    def describe_model(self) -> str:
        from qa.backends.chat import describe_model

        model = getattr(self._chain, "chat_model", None) or self._chat_model
        if model is not None and type(model).__name__ != "LlamaCppChat" and not hasattr(model, "openai_api_base"):
            return f"{type(model).__name__} (injected)"
        return describe_model(self.settings)


def ask_stream(
    services: Services, question: str, turns: Sequence[ChatTurn], filters: Filters
) -> Iterator[list[ChatTurn]]:
    """The conversation after each step: the new turn waiting, its passages, each token, the answer."""
    turn = ChatTurn(question, filters, status=SEARCHING if services.model_loaded else LOADING_MODEL)
    current = [*turns, turn]
    yield current
    chain = services.chain()
    for event in chain.stream(question, history=history_of(list(turns)), filters=filters):
        if isinstance(event, Retrieved):
            turn.retrieved, turn.rewritten = True, event.rewritten_question
            turn.passages, turn.consulted = event.retrieval.passages, event.retrieval.consulted
            turn.status = WRITING if services.model_loaded else LOADING_MODEL
        elif isinstance(event, Token):
            services.model_loaded = True
            turn.text, turn.status = turn.text + event.text, REDRAFTING if turn.status == REDRAFTING else WRITING
        elif isinstance(event, Redraft):  # a check withheld what streamed: it goes, a second draft comes
            turn.text, turn.status = "", REDRAFTING
        elif isinstance(event, Done):
            turn.answer = event.answer
        yield current


class Handlers:
    """Every event handler of the app, bound to one ``Services``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.store = services.store
        self._live: dict[str, list[ChatTurn]] = {}  # per browser session: the answer being written

    # -- chat ------------------------------------------------------------------------------
    def on_ask(
        self,
        question: str,
        turns: list[ChatTurn] | None,
        since: str,
        until: str,
        as_of: str,
        source: str,
        request: gr.Request = None,
    ):
        """Stream ``(chat messages, sources panel, turns, question box)``; passages show before the first token."""
        turns = list(turns or [])
        question = (question or "").strip()
        with user_errors(self.settings.debug):
            if not question:
                raise ConflictQAError("Type a question in the box first.")
            filters = parse_filters(since, until, as_of, source)
        current = turns
        session = getattr(request, "session_hash", None)
        try:
            with user_errors(self.settings.debug):
                for current in ask_stream(self.services, question, turns, filters):
                    if session:
                        self._live[session] = current  # what Stop keeps, as far as it got
                    yield render.chat_messages(current), render.render_sources(current), current, ""
        except gr.Error as exc:
            if current is not turns:
                current[-1].error = exc.message
                yield render.chat_messages(current), render.render_sources(current), current, question
            raise
        finally:
            if session:
                self._live.pop(session, None)

    def on_stop(self, turns: list[ChatTurn] | None, request: gr.Request = None):
        """Stop pressed: the unfinished answer is kept as far as it got, marked stopped (never checked)."""
        session = getattr(request, "session_hash", None)
        turns = list((self._live.pop(session, None) if session else None) or turns or [])
        if turns and turns[-1].answer is None and not turns[-1].error:
            turns[-1].stopped = True
        return render.chat_messages(turns), render.render_sources(turns), turns

    def on_new_chat(self):
        return [], render.EMPTY_PANEL, [], ""

    # -- library ---------------------------------------------------------------------------
    def ingest(self, files: Sequence[str] | None, urls: str | None, progress=None):
        from ingest.indexer import IngestReport
        from ingest.service import run_ingest

        items = [self._stage_upload(Path(f)) for f in files or []] + [_check_url(u) for u in _lines(urls)]
        if not items:
            raise ConflictQAError("Nothing to ingest: choose files to upload or paste http(s) URLs, one per line.")
        report = IngestReport()
        for i, item in enumerate(items):
            if progress is not None:
                progress((i, len(items)), desc=f"Ingesting {_name(item)} ({i + 1} of {len(items)})")
            if isinstance(item, str):
                part = run_ingest(self.settings, self.store, [item])
                report.outcomes += part.outcomes
                report.seconds += part.seconds
            else:
                report.outcomes.append(item)
        return report

    def on_ingest(self, files, urls, turns=None, progress=gr.Progress()):
        """Returns (results, documents table, delete choices, status, source filter choices, files, urls)."""
        with user_errors(self.settings.debug):
            report = self.ingest(files, urls, progress)
        results = render_ingest_results(report, self.uploads_dir)
        return (results, *self.on_refresh("", turns), None, "")

    def on_refresh(self, search: str | None, turns=None):
        """(documents table, delete choices, status line, source filter choices)."""
        records = self.store.records()
        return (
            self.document_rows(search, records, last_asked(turns)),
            gr.Dropdown(choices=doc_choices(records), value=[], multiselect=True),
            self.status_html(records),
            gr.Dropdown(choices=source_choices(records)),
        )

    def on_search(self, search: str | None, turns=None):
        return self.document_rows(search, since=last_asked(turns))

    def on_select_row(self, selected: list[str] | None, evt: gr.SelectData):
        row = evt.row_value or []
        doc_id = row[-1] if row else None
        chosen = list(selected or [])
        if doc_id and doc_id not in chosen:
            chosen.append(doc_id)
        return gr.Dropdown(value=chosen, multiselect=True)

    def on_watch(self, urls: str | None):
        """Watch the pasted feed/page URLs (checked now, then every ``watch_every``); returns (the
        watched sources, a cleared box). Folders on the server are watched from the command line."""
        from ingest.watch import Watcher

        with user_errors(self.settings.debug):
            lines = [line.strip() for line in (urls or "").splitlines() if line.strip() and not line.startswith("#")]
            if not lines:
                raise ConflictQAError("Paste the feed or page URLs to watch, one per line.")
            bad = [line for line in lines if not render.safe_url(line)]
            if bad:
                raise ConflictQAError(
                    f"Not an http(s) URL: {bad[0]}. The app watches feeds and pages; "
                    "watch a folder on this machine with `conflict-qa watch DIR`."
                )
            watcher = Watcher(self.settings, self.store)
            known = set(watcher.state.sources)
            if len(known | set(lines)) > MAX_WATCHED:
                raise ConflictQAError(
                    f"The app watches at most {MAX_WATCHED} sources ({len(known)} already): "
                    "stop watching some first (below)."
                )
            watcher.add(lines)
            for line in lines:
                watcher.poll_one(line)
        return *self.watch_view(), ""

    def on_unwatch(self, sources: list[str] | None):
        """Stop watching the chosen feeds/pages; returns (the watched sources, the emptied choice)."""
        from ingest.watch import Watcher

        with user_errors(self.settings.debug):
            if not sources:
                raise ConflictQAError("Choose the feeds or pages to stop watching.")
            Watcher(self.settings, self.store).remove([s for s in sources if render.safe_url(s)])
        return self.watch_view()

    def watch_html(self) -> str:
        from ingest.watch import watch_summary

        return render_watched(watch_summary(self.settings), self.settings.watch_every)

    def watch_view(self):
        """The watched sources' table, and the feeds/pages that can be stopped from here (folders
        on the server are stopped with `conflict-qa watch --stop DIR`: their paths stay off the page)."""
        from ingest.watch import watch_summary

        urls = [w["source"] for w in watch_summary(self.settings) if render.safe_url(w["source"])]
        return self.watch_html(), gr.Dropdown(choices=urls, value=[], multiselect=True)

    def on_delete_ask(self, doc_ids: list[str] | None):
        """Returns (the question naming what will be deleted, the confirmation row shown, cleared
        message, the ids asked about: what Yes deletes, whatever the list shows by then)."""
        with user_errors(self.settings.debug):
            if not doc_ids:
                raise ConflictQAError("Choose the documents to delete first (click a row, or pick them in the list).")
            names = []
            for doc_id in doc_ids:
                record = self.store.record(doc_id)
                if record is None:
                    raise ConflictQAError(f"No document {doc_id!r}: refresh the table, it may already be deleted.")
                names.append(f"{record.title or 'untitled'} ({render.display_source(record.source, record.url)})")
        items = "".join(f"<li>{render.esc(n)}</li>" for n in names)
        question = (
            f"<p><strong>Delete {len(names)} document(s)?</strong> Their passages leave the store "
            f"for good (ingest the files again to bring them back):</p><ul>{items}</ul>"
        )
        return question, gr.Row(visible=True), "", list(doc_ids)

    def on_delete(self, doc_ids: list[str] | None, search: str | None, turns=None):
        """Returns (message, documents table, delete choices, status, source filter choices)."""
        with user_errors(self.settings.debug):
            if not doc_ids:
                raise ConflictQAError("Choose the documents to delete first (click a row, or pick them in the list).")
            removed = self.delete(doc_ids)
        message = f"<p>Deleted {len(removed)} document(s): {render.esc(', '.join(removed))}.</p>"
        records = self.store.records()
        return (
            message,
            self.document_rows(search, records, last_asked(turns)),
            gr.Dropdown(choices=doc_choices(records), value=[], multiselect=True),
            self.status_html(records),
            gr.Dropdown(choices=source_choices(records)),
        )

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        removed = []
        for doc_id in doc_ids:
            record = self.store.record(doc_id)
            if record is None:
                raise ConflictQAError(f"No document {doc_id!r}: refresh the table, it may already be deleted.")
            self.store.delete_document(doc_id)
            removed.append(record.title or render.display_source(record.source, record.url))
        return removed

    def document_rows(
        self, search: str | None, records: list[DocRecord] | None = None, since: str | None = None
    ) -> dict[str, Any]:
        """The documents table; with ``since`` (the user's last question), reports ingested after it
        are marked "new ·"."""
        records = self.store.records() if records is None else records
        needle = (search or "").strip().lower()

        def title(r: DocRecord) -> str:
            fresh = since and r.ingested_at and r.ingested_at >= since  # both to the second
            return ("new · " if fresh else "") + (r.title or "untitled")

        rows = [
            [title(r), r.published or "", render.display_source(r.source, r.url), r.chunks, r.doc_id]
            for r in records
            if not needle or any(needle in (v or "").lower() for v in (r.title, r.source, r.url, r.doc_id, r.published))
        ]
        return {"headers": DOC_HEADERS, "data": rows}

    def status_html(self, records: list[DocRecord] | None = None) -> str:
        records = self.store.records() if records is None else records
        return render_status(
            model=self.services.describe_model(),
            backend=self.settings.backend,
            loaded=self.services.model_loaded,
            collection=self.store.name,
            documents=len(records),
            chunks=self.store.count_chunks(),
            watched=watch_summary(self.settings),
        )

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    def _stage_upload(self, path: Path):
        """Copy an upload into ``<data_dir>/uploads/<name>``: a stable source, so re-uploading a
        changed file updates its document instead of adding a second one."""
        from ingest.indexer import FAILED, Outcome

        limit = self.settings.max_upload_mb
        if path.stat().st_size > limit * 1024 * 1024:
            return Outcome(
                FAILED, path.name, message=f"larger than the {limit} MB upload limit (CONFLICT_QA_MAX_UPLOAD_MB)"
            )
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        target = self.uploads_dir / path.name
        if path.name in ("", ".", "..") or target.resolve().parent != self.uploads_dir.resolve():
            # a name that would land outside the upload folder ("..", a link out of it)
            return Outcome(FAILED, path.name or str(path), message="not a file name the upload folder can hold")
        if path.resolve() != target.resolve():
            shutil.copyfile(path, target)
        return str(target)

    # -- API -------------------------------------------------------------------------------
    def api_ask(
        self,
        question: str,
        history: str = "[]",
        since: str = "",
        until: str = "",
        as_of: str = "",
        source: str = "",
        top_k: int = 0,
    ) -> dict:
        """Answer a question from the loaded reports; returns the `conflict-qa ask --json` object.

        history is a JSON list of [role, text] pairs (roles "user" / "assistant"); since, until and
        as_of are YYYY-MM-DD or empty; source keeps documents whose source or URL contains it;
        top_k 0 means the configured default.
        """
        with user_errors(self.settings.debug):
            if not (question or "").strip():
                raise ConflictQAError("question is empty: pass the question to answer.")
            filters = parse_filters(since, until, as_of, source)
            answer = self.services.chain().ask(
                question.strip(), history=parse_history(history), filters=filters, top_k=top_k or None
            )
            self.services.model_loaded = self.services.model_loaded or answer.timings.first_token_s is not None
            return answer.to_json()

    def api_ingest(self, files, urls):
        """Ingest uploaded files and http(s) URLs; returns the `conflict-qa ingest --json` object."""
        with user_errors(self.settings.debug):
            return self.ingest(files, urls).to_json()

    def api_documents(self, search: str = "") -> list:
        """The stored documents as `conflict-qa docs list --json` does, optionally filtered by a substring."""
        needle = (search or "").strip().lower()
        return [
            r.to_json()
            for r in self.store.records()
            if not needle or any(needle in (v or "").lower() for v in (r.title, r.source, r.url, r.doc_id))
        ]


MAX_WATCHED = 50  # sources a visitor of the app can add (each is fetched every watch_every)


def last_asked(turns) -> str | None:
    """When this browser session last asked a question (ISO, UTC), or None."""
    times = [t.asked_at for t in turns or () if getattr(t, "asked_at", None)]
    return max(times) if times else None


def doc_choices(records: Sequence[DocRecord]) -> list[tuple[str, str]]:
    return [
        (f"{r.title or 'untitled'} — {render.display_source(r.source, r.url)} ({r.doc_id})", r.doc_id) for r in records
    ]


def source_choices(records: Sequence[DocRecord]) -> list[str]:
    return sorted({render.display_source(r.source, r.url) for r in records})


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip() and not line.strip().startswith("#")]


def _check_url(line: str):
    """A pasted line is ingested only if it is an http(s) URL (never a path on the server)."""
    from ingest.indexer import FAILED, Outcome

    if render.safe_url(line):
        return line
    return Outcome(
        FAILED, line, message="not an http(s) URL: paste web addresses here, upload files with the file picker"
    )


def _name(item) -> str:
    return render.display_source(item) if isinstance(item, str) else render.display_source(item.source)
