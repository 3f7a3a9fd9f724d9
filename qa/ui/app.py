"""The Gradio app: a Chat tab (streaming answers, a sources panel, filters) and a Library tab.

``build_app(settings)`` makes the Blocks (tests inject a store, chain or chat model);
``launch(settings, host, port)`` serves it on loopback by default, with a login when
``CONFLICT_QA_AUTH`` / ``CONFLICT_QA_AUTH_FILE`` is set. The API endpoints ``ask``, ``ingest`` and
``documents`` are documented in the README (section "The chat app and its API").
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

import qa  # noqa: F401  (offline environment, GRADIO_ANALYTICS_ENABLED=False, before gradio)
from qa.errors import ConfigError
from qa.settings import Settings
from qa.ui import render
from qa.ui.handlers import DOC_HEADERS, Handlers, Services

log = logging.getLogger(__name__)

SYSTEM_FONTS = [
    "ui-sans-serif",
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

# Clicking a [n] marker (an <a href="#cq-tT-pN">) opens and highlights passage N of turn T.
CITATION_JS = r"""
if (!window.__cqCitations) {
  window.__cqCitations = true;
  document.addEventListener('click', function (ev) {
    const a = ev.target && ev.target.closest ? ev.target.closest('a') : null;
    if (!a) return;
    const m = (a.getAttribute('href') || '').match(/^#(cq-t\d+-p\d+)$/);
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    const target = document.getElementById(m[1]);
    if (!target) return;
    for (let d = target.closest('details'); d; d = d.parentElement ? d.parentElement.closest('details') : null) d.open = true;
    document.querySelectorAll('.cq-passage.cq-active').forEach(function (e) { e.classList.remove('cq-active'); });
    target.classList.add('cq-active');
    target.scrollIntoView({block: 'center'});
  }, true);
}
"""

CSS = """
.cq-cite { font-weight: 600; text-decoration: none; padding: 0 1px; border-radius: 3px; }
.cq-cite:hover { background: var(--color-accent-soft); }
.cq-status { color: var(--body-text-color-subdued); font-style: italic; }
.cq-filters { color: var(--body-text-color-subdued); font-size: 0.85em; margin-top: 4px; }
.cq-abstain { border-left: 3px solid #d97706; padding-left: 8px; }
.cq-error { border-left: 3px solid #dc2626; padding-left: 8px; }
.cq-hint { color: var(--body-text-color-subdued); font-size: 0.9em; }
.cq-sources { font-size: 0.92em; }
.cq-turn > summary { font-weight: 600; cursor: pointer; padding: 4px 0; }
.cq-section { margin: 10px 0 4px; font-size: 0.95em; text-transform: uppercase; letter-spacing: .03em; color: var(--body-text-color-subdued); }
.cq-passage { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px 10px; margin: 6px 0; scroll-margin: 40px; }
.cq-passage.cq-active { outline: 3px solid var(--color-accent); background: var(--color-accent-soft); }
.cq-passage header { margin-bottom: 2px; }
.cq-n { font-weight: 700; margin-right: 4px; }
.cq-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 4px; word-break: break-all; }
.cq-text { white-space: normal; line-height: 1.45; }
.cq-text mark { background: #fde68a; color: inherit; padding: 0 1px; }
.cq-status-line { color: var(--body-text-color-subdued); font-size: 0.88em; }
.cq-results { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.cq-results td, .cq-results th { border-bottom: 1px solid var(--border-color-primary); padding: 3px 6px; text-align: left; }
.cq-badge { padding: 1px 6px; border-radius: 8px; font-size: 0.85em; }
.cq-ok { background: #dcfce7; color: #166534; } .cq-skip { background: #e5e7eb; color: #374151; }
.cq-fail { background: #fee2e2; color: #991b1b; }
"""


def theme() -> gr.themes.Base:
    """System fonts only: nothing is fetched from a font CDN."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def build_app(settings: Settings, *, store=None, chain=None, chat_model=None) -> gr.Blocks:
    """The Blocks app over ``settings``' store; inject ``store``/``chain``/``chat_model`` in tests."""
    handlers = Handlers(Services(settings, store=store, chain=chain, chat_model=chat_model))
    with gr.Blocks(title="conflict-qa", analytics_enabled=False) as demo:
        status = gr.HTML(
            '<div class="cq-status-pending">Checking the library…</div>', elem_id="cq-status", padding=False
        )
        turns = gr.State([])
        with gr.Tab("Chat", id="chat"):
            chat = _chat_tab(handlers, turns, status)
        with gr.Tab("Library", id="library"):
            library = _library_tab(handlers, status, chat["source"], turns)
        _api(handlers, library)
        demo.load(
            handlers.on_refresh,
            [library["search"], turns],
            [library["table"], library["delete"], status, chat["source"]],
            api_visibility="private",
        )
        demo.load(
            handlers.watch_view,
            None,
            [library["watching"], library["unwatch"]],
            api_visibility="private",
            show_progress="hidden",
        )
    demo.handlers = handlers  # for tests and embedding
    return demo


def _chat_tab(handlers: Handlers, turns: gr.State, status: gr.HTML) -> dict[str, Any]:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Conversation",
                elem_id="cq-chat",
                height=560,
                latex_delimiters=[],
                sanitize_html=True,
                allow_tags=False,
                feedback_options=None,
                buttons=[],
                placeholder="Ask a question about the loaded reports. Answers cite passages as [n]; click one to see it.",
            )
            question = gr.Textbox(
                show_label=False,
                placeholder="Ask about the loaded reports, then press Enter…",
                elem_id="cq-question",
                lines=1,
                max_lines=6,
            )
            with gr.Row():
                ask = gr.Button("Ask", variant="primary", elem_id="cq-ask")
                stop = gr.Button("Stop", variant="stop", visible=False, elem_id="cq-stop")
                new_chat = gr.Button("New chat", elem_id="cq-new-chat")
        with gr.Column(scale=2):
            with gr.Accordion("Filters", open=True, elem_id="cq-filters"):
                with gr.Row():
                    since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", elem_id="cq-since", min_width=110)
                    until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", elem_id="cq-until", min_width=110)
                    as_of = gr.Textbox(label="As of", placeholder="YYYY-MM-DD", elem_id="cq-as-of", min_width=110)
                source = gr.Dropdown(
                    label="Source (pick one, or type part of a name or URL)",
                    choices=[],
                    value=None,
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="cq-source",
                )
                clear = gr.Button("Clear filters", size="sm")
            sources = gr.HTML(
                render.EMPTY_PANEL,
                label="Sources",
                elem_id="cq-sources",
                js_on_load=CITATION_JS,
                max_height=640,
                padding=True,
                container=True,
            )
    placeholder = question.placeholder

    def busy():  # one question at a time per tab: the box says why it waits, Stop ends the answer
        return (
            gr.Textbox(interactive=False, placeholder="Writing the answer… press Stop to end it"),
            gr.Button(interactive=False),
            gr.Button(visible=True),
        )

    def idle():
        return (
            gr.Textbox(interactive=True, placeholder=placeholder),
            gr.Button(interactive=True),
            gr.Button(visible=False),
        )

    controls = [question, ask, stop]
    answering = gr.on(
        [question.submit, ask.click], busy, None, controls, api_visibility="private", show_progress="hidden"
    ).then(
        handlers.on_ask,
        [question, turns, since, until, as_of, source],
        [chatbot, sources, turns, question],
        api_visibility="private",
        show_progress="hidden",
    )
    answering.then(idle, None, controls, api_visibility="private", show_progress="hidden").then(
        handlers.status_html, None, status, api_visibility="private", show_progress="hidden"
    )
    stop.click(handlers.on_stop, turns, [chatbot, sources, turns], cancels=[answering], api_visibility="private").then(
        idle, None, controls, api_visibility="private", show_progress="hidden"
    )
    for trigger in (new_chat.click, chatbot.clear):
        trigger(handlers.on_new_chat, None, [chatbot, sources, turns, question], api_visibility="private")
    clear.click(lambda: ("", "", "", None), None, [since, until, as_of, source], api_visibility="private")
    return {"source": source}


def _library_tab(handlers: Handlers, status: gr.HTML, source_filter: gr.Dropdown, turns: gr.State) -> dict[str, Any]:
    limit = handlers.settings.max_upload_mb
    with gr.Row():
        files = gr.File(
            label=f"Upload reports (PDF, DOCX, HTML, TXT, MD, JSONL, RSS/Atom; up to {limit} MB each)",
            file_count="multiple",
            type="filepath",
            elem_id="cq-files",
        )
        urls = gr.Textbox(
            label="Or paste URLs / feed URLs, one per line",
            lines=5,
            elem_id="cq-urls",
            placeholder="https://example.org/report.html\nhttps://example.org/feed.xml",
        )
    ingest = gr.Button("Ingest", variant="primary", elem_id="cq-ingest")
    results = gr.HTML(elem_id="cq-ingest-results")
    with gr.Accordion("Watch feeds and pages", open=False, elem_id="cq-watch"):
        with gr.Row():
            watch_urls = gr.Textbox(
                label="Feed or page URLs to check for new reports, one per line",
                lines=2,
                scale=3,
                elem_id="cq-watch-urls",
                placeholder="https://example.org/feed.xml",
            )
            watch_btn = gr.Button("Watch", scale=1, elem_id="cq-watch-btn")
        watching = gr.HTML(elem_id="cq-watching")
        with gr.Row():
            unwatch = gr.Dropdown(
                label="Stop watching (the reports they brought stay)",
                choices=[],
                multiselect=True,
                scale=3,
                elem_id="cq-unwatch",
            )
            unwatch_btn = gr.Button("Stop watching", scale=1, elem_id="cq-unwatch-btn")
    with gr.Row():
        search = gr.Textbox(
            label="Search documents", placeholder="title, source, URL or date", scale=3, elem_id="cq-search"
        )
        refresh = gr.Button("Refresh", scale=1)
    table = gr.Dataframe(
        headers=DOC_HEADERS,
        datatype=["str", "str", "str", "number", "str"],
        interactive=False,
        wrap=True,
        elem_id="cq-docs",
        label="Documents (“new ·” marks reports ingested since your last question; click a row to select it for deletion)",
    )
    with gr.Row():
        delete = gr.Dropdown(label="Documents to delete", choices=[], multiselect=True, scale=3, elem_id="cq-delete")
        delete_btn = gr.Button("Delete selected", variant="stop", scale=1, elem_id="cq-delete-btn")
    with gr.Row(visible=False, elem_id="cq-confirm") as confirm:  # deleting asks first, naming what goes
        confirm_text = gr.HTML(elem_id="cq-confirm-text")
        confirm_btn = gr.Button("Yes, delete them", variant="stop", scale=0, elem_id="cq-confirm-delete")
        cancel_btn = gr.Button("Cancel", scale=0, elem_id="cq-cancel-delete")
    deleted = gr.HTML(elem_id="cq-deleted")
    refreshed = [table, delete, status, source_filter]
    ingest.click(
        handlers.on_ingest,
        [files, urls, turns],
        [results, *refreshed, files, urls],
        api_visibility="private",
        show_progress_on=[results],  # one progress bar, where the result will appear
    )
    watch_btn.click(
        handlers.on_watch,
        watch_urls,
        [watching, unwatch, watch_urls],
        api_visibility="private",
        show_progress_on=[watching],
    )
    unwatch_btn.click(
        handlers.on_unwatch, unwatch, [watching, unwatch], api_visibility="private", show_progress="hidden"
    )
    search.change(handlers.on_search, [search, turns], table, api_visibility="private", show_progress="hidden")
    refresh.click(handlers.on_refresh, [search, turns], refreshed, api_visibility="private", show_progress_on=[table])
    table.select(handlers.on_select_row, delete, delete, api_visibility="private", show_progress="hidden")
    asked = gr.State([])  # the documents the confirmation names: exactly those are deleted
    delete_btn.click(
        handlers.on_delete_ask,
        delete,
        [confirm_text, confirm, deleted, asked],
        api_visibility="private",
        show_progress="hidden",
    )
    delete.change(lambda: gr.Row(visible=False), None, confirm, api_visibility="private", show_progress="hidden")
    confirm_btn.click(
        handlers.on_delete,
        [asked, search, turns],
        [deleted, *refreshed],
        api_visibility="private",
        show_progress_on=[deleted],
    ).then(lambda: gr.Row(visible=False), None, confirm, api_visibility="private", show_progress="hidden")
    cancel_btn.click(
        lambda: (gr.Row(visible=False), "<p>Nothing was deleted.</p>"),
        None,
        [confirm, deleted],
        api_visibility="private",
        show_progress="hidden",
    )
    return {
        "files": files,
        "urls": urls,
        "search": search,
        "table": table,
        "delete": delete,
        "watching": watching,
        "unwatch": unwatch,
    }


def _api(handlers: Handlers, library: dict[str, Any]) -> None:
    """The stable endpoints: /ask, /ingest, /documents (see the README)."""
    gr.api(handlers.api_ask, api_name="ask")
    gr.api(handlers.api_documents, api_name="documents")
    trigger = gr.Button(visible=False)
    report = gr.JSON(visible=False)
    trigger.click(
        handlers.api_ingest,
        [library["files"], library["urls"]],
        report,
        api_name="ingest",
        api_description="Ingest uploaded files and http(s) URLs; returns the `conflict-qa ingest --json` object.",
    )


def auth_pairs(settings: Settings) -> list[tuple[str, str]] | None:
    """``CONFLICT_QA_AUTH=user:password`` and/or ``CONFLICT_QA_AUTH_FILE`` (``user:password`` lines)."""
    lines: list[tuple[str, str]] = []
    if settings.auth:
        lines.append(("CONFLICT_QA_AUTH", settings.auth.get_secret_value()))
    if settings.auth_file:
        try:
            text = Path(settings.auth_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot read CONFLICT_QA_AUTH_FILE={settings.auth_file}: {exc.strerror}.") from exc
        lines += [
            (f"{settings.auth_file} line {i}", line.strip())
            for i, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")
        ]
    pairs = []
    for where, line in lines:
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"{where} must look like user:password (a non-empty user and password).")
        pairs.append((user.strip(), password))
    return pairs or None


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: theme, CSS, login, upload limit, clean errors."""
    return dict(
        theme=theme(),
        css=CSS,
        auth=auth_pairs(settings),
        auth_message="conflict-qa: log in with a user from CONFLICT_QA_AUTH / CONFLICT_QA_AUTH_FILE.",
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=True,
        footer_links=["api"],
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )


def start(demo: gr.Blocks, settings: Settings, host: str = "127.0.0.1", port: int = 7860, **extra: Any) -> str:
    """Serve ``demo`` without blocking; returns its URL."""
    demo.queue(default_concurrency_limit=1)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=True,
        **{"quiet": True, **launch_options(settings), **extra},
    )
    return url


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """``conflict-qa chat``: serve the app until interrupted."""
    demo = build_app(settings)
    # quiet: Gradio's own banner ends with a share=True hint a user of this app cannot act on
    url = start(demo, settings, host, port)
    print(f"conflict-qa is serving on {url} (Ctrl+C stops it)", flush=True)
    from qa.ui.running import announce, withdraw

    announce(settings, f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "::") else url)
    stop = start_watching(settings, demo.handlers.store)
    try:
        demo.block_thread()
    finally:
        stop.set()
        withdraw(settings)
        demo.close()


def start_watching(settings: Settings, store) -> Any:
    """Check the data directory's watched sources every ``watch_every`` in a thread (sources added
    from the Library tab or `conflict-qa watch`); returns the event that stops it."""
    import threading

    from ingest.watch import Watcher, parse_every

    stop = threading.Event()

    def loop() -> None:
        try:  # built here: a bad setting or an unreadable watch.json never stops the app
            Watcher(settings, store).run(parse_every(settings.watch_every), stop=stop)
        except Exception:
            log.exception("the watcher stopped; restart the app after fixing the message above")

    threading.Thread(target=loop, name="watcher", daemon=True).start()
    return stop
