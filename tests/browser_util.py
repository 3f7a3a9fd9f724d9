"""Helpers for the browser tests: Chromium via Playwright, the app on a free loopback port, a slow fake model."""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def require_chromium() -> None:
    """Skip (or, with CONFLICT_QA_REQUIRE_BROWSER=1, fail) when Chromium or Playwright is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found: install it with `apt-get install -y chromium` to run the browser tests"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed: `pip install playwright==1.65.0`"
    if missing:
        if os.environ.get("CONFLICT_QA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CONFLICT_QA_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowFakeChat(GenericFakeChatModel):
    """Replies from a cycle of answers, one word every ``delay`` seconds, so streaming is visible."""

    delay: float = 0.12

    @classmethod
    def cycling(cls, *replies: str, delay: float = 0.12) -> SlowFakeChat:
        return cls(messages=itertools.cycle(replies), delay=delay)

    def _stream(self, *args: Any, **kwargs: Any):
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(self.delay)
            yield chunk


@contextmanager
def serve(settings, **inject: Any) -> Iterator[tuple[str, Any]]:
    """The app on ``127.0.0.1:<free port>`` in this process; yields ``(url, demo)``."""
    from qa.ui.app import build_app, start

    demo = build_app(settings, **inject)
    url = start(demo, settings, "127.0.0.1", free_port())
    try:
        yield url.rstrip("/"), demo
    finally:
        demo.close()


@contextmanager
def browser_page(artifacts: Path = ARTIFACTS) -> Iterator[Any]:
    """A fresh Chromium page; records dialogs in ``page.dialogs`` and off-loopback requests in
    ``page.external_requests``."""
    from playwright.sync_api import sync_playwright

    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            page.dialogs, page.external_requests = [], []
            page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: None if _local(r.url) else page.external_requests.append(r.url))
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def _local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:"))


# -- a document built to attack the renderer ------------------------------------------------
EVIL_MARKUP = (
    '<script>window.__pwned = "script"</script>'
    "<img src=x onerror=\"window.__pwned = 'img'; alert(1)\">"
    "<a href=\"javascript:window.__pwned='link'\">click me</a>"
)


def add_hostile_document(settings, store) -> str:
    """Index a document whose title, text and URL carry script, onerror and javascript: payloads."""
    from ingest.document import Document
    from ingest.service import make_indexer

    document = Document(
        text=f"Hostile bulletin. The Khorasan cell was founded in 2015 near Jalalabad {EVIL_MARKUP} "
        "and ${alert(4)} {{constructor}} [link](javascript:alert(5)).",
        source="hostile-bulletin.txt",
        title=f"Bulletin {EVIL_MARKUP}",
        url="javascript:window.__pwned='url'",
        published="2024-03-22",
    )
    report = make_indexer(settings, store).ingest(["hostile"], lambda _: [document])
    assert not report.failed, report.to_json()
    return report.outcomes[0].doc_id
