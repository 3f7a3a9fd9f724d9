"""The app in headless Chromium, on loopback, with the real embedder and a slow fake chat model.

Skipped when /usr/bin/chromium is missing, unless CONFLICT_QA_REQUIRE_BROWSER=1 (then they fail).
Screenshots go to test-artifacts/ (gitignored); `make screenshot` copies the chat one to docs/ on purpose.
"""

from __future__ import annotations

import io

import pytest

from tests.browser_util import ARTIFACTS, SlowFakeChat, add_hostile_document, browser_page, require_chromium, serve

pytestmark = pytest.mark.browser

QUESTION = "When was ISIS-K established?"
ANSWER = (
    "ISIS-K was established in 2015 by disaffected fighters of the Pakistani Taliban [1]. "
    "It has since carried out a terrorist attack in Moscow that claimed the lives of at least 133 people [2]."
)


@pytest.fixture
def settings(settings):
    """A fake chat model can't act as the yes/no verifier: keep the chain's cheap checks only."""
    return settings.model_copy(update={"verify_with_model": False})


@pytest.fixture(autouse=True)
def _chromium():
    require_chromium()


@pytest.fixture
def page():
    with browser_page() as page:
        yield page
    assert page.external_requests == [], f"the app fetched from the network: {page.external_requests}"


def open_app(page, url: str) -> None:
    """Load the app and wait until the page-load event (documents, status) has finished."""
    page.goto(url)
    page.wait_for_selector("#cq-status .cq-status-line")  # filled by the page-load event


def ask(page, question: str) -> None:
    page.fill("#cq-question textarea", question)
    page.keyboard.press("Enter")


def wait_answer_done(page) -> None:
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#cq-chat [data-testid=bot]');"
        " return m.length && !m[m.length - 1].querySelector('.cq-status'); }"
    )


def save_docs_screenshot(page) -> None:
    """A small PNG of the chat for the README (< 300 KB)."""
    from PIL import Image

    page.evaluate("window.scrollTo(0, 0)")
    image = Image.open(io.BytesIO(page.screenshot()))
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.LANCZOS)
    image = image.convert("P", palette=Image.ADAPTIVE, colors=128)
    target = ARTIFACTS / "screenshot-chat.png"  # `make screenshot` refreshes docs/ from here
    target.parent.mkdir(exist_ok=True)
    image.save(target, optimize=True)
    assert target.stat().st_size < 300_000


def test_streamed_answer_with_passages_first_and_clickable_citations(settings, sample_store, page):
    model = SlowFakeChat.cycling(ANSWER, delay=0.1)
    with serve(settings, store=sample_store, chat_model=model) as (url, _):
        open_app(page, url)
        ask(page, QUESTION)
        page.wait_for_selector("#cq-sources .cq-passage")
        assert "133 people" not in page.inner_text("#cq-chat"), "passages show before the answer is complete"
        page.wait_for_function(
            "() => { const t = document.querySelector('#cq-chat').innerText;"
            " return t.includes('established') && !t.includes('133 people'); }"
        )
        page.screenshot(path=str(ARTIFACTS / "chat-streaming.png"))
        wait_answer_done(page)
        assert "133 people" in page.inner_text("#cq-chat")
        assert page.locator("#cq-chat a.cq-cite").count() == 2

        # the Moscow sentence's citation (with sentence windows both sentences may rest on one
        # report's passage): it opens that passage with the sentence the answer rests on marked
        moscow = page.locator("#cq-chat a.cq-cite").nth(1)
        target = moscow.get_attribute("href").lstrip("#")
        moscow.click()
        active = page.locator("#cq-sources .cq-passage.cq-active")
        assert active.get_attribute("id") == target and target.startswith("cq-t0-p")
        assert active.is_visible() and any("Moscow" in t for t in active.locator("mark").all_inner_texts())
        assert page.url.rstrip("/") == url, "a citation click stays on the page"
        page.screenshot(path=str(ARTIFACTS / "chat-citation.png"))
        save_docs_screenshot(page)

        page.click("#cq-new-chat")
        page.wait_for_function("() => !document.querySelector('#cq-sources .cq-passage')")
        assert page.locator("#cq-chat a.cq-cite").count() == 0


def test_while_an_answer_streams_the_box_waits_and_stop_keeps_a_partial_answer_marked_unchecked(
    settings, sample_store, page
):
    model = SlowFakeChat.cycling(ANSWER, ANSWER, delay=0.25)
    with serve(settings, store=sample_store, chat_model=model) as (url, _):
        open_app(page, url)
        ask(page, QUESTION)
        page.wait_for_function("() => document.querySelector('#cq-chat').innerText.includes('disaffected')")
        box = page.locator("#cq-question textarea")
        assert box.is_disabled() and "press Stop" in (box.get_attribute("placeholder") or "")
        assert page.locator("#cq-ask").is_disabled()
        page.click("#cq-stop")
        page.wait_for_selector("#cq-chat .cq-stopped")
        text = page.inner_text("#cq-chat")
        assert "disaffected" in text and "133 people" not in text and "not checked" in text
        assert page.locator("#cq-sources .cq-passage").count() > 0, "the passages it drew on stay in the panel"
        assert "verified" not in text, "a stopped answer is never shown as checked"
        page.screenshot(path=str(ARTIFACTS / "chat-stopped.png"))
        page.wait_for_function("() => !document.querySelector('#cq-question textarea').disabled")
        assert not page.locator("#cq-stop").is_visible()
        ask(page, QUESTION)  # the next question works
        page.wait_for_function("() => document.querySelectorAll('#cq-chat [data-testid=bot]').length === 2")
        wait_answer_done(page)
        assert "133 people" in page.inner_text("#cq-chat")


def test_invalid_date_shows_what_to_type(settings, sample_store, page):
    with serve(settings, store=sample_store, chat_model=SlowFakeChat.cycling("x")) as (url, _):
        open_app(page, url)
        page.fill("#cq-since textarea, #cq-since input", "last spring")
        ask(page, QUESTION)
        toast = page.get_by_text("is not a date: use YYYY-MM-DD")
        toast.first.wait_for()
        assert "Traceback" not in page.content()
        page.screenshot(path=str(ARTIFACTS / "chat-invalid-date.png"))


def test_upload_appears_in_the_library_and_can_be_deleted(settings, store, page, tmp_path):
    report = tmp_path / "herat-update.md"
    report.write_text(
        "---\ntitle: Herat convoy update\npublished: 2024-04-02\n---\n"
        "Aid convoys were delayed near Herat for a second day.",
        encoding="utf-8",
    )
    with serve(settings, store=store, chat_model=SlowFakeChat.cycling("x")) as (url, _):
        open_app(page, url)
        page.get_by_role("tab", name="Library").click()
        page.set_input_files("#cq-files input[type=file]", str(report))
        page.wait_for_selector("#cq-files >> text=herat-update.md")
        page.click("#cq-ingest")
        page.wait_for_selector("#cq-ingest-results .cq-ok")
        assert "herat-update.md" in page.inner_text("#cq-ingest-results")
        table = page.locator("#cq-docs")
        page.wait_for_function("() => document.querySelector('#cq-docs').innerText.includes('Herat convoy update')")
        assert "1 documents" in page.inner_text("#cq-status")
        page.screenshot(path=str(ARTIFACTS / "library-uploaded.png"), full_page=True)

        page.fill("#cq-search input, #cq-search textarea", "no such report")
        page.wait_for_function("() => !document.querySelector('#cq-docs').innerText.includes('Herat convoy')")
        page.fill("#cq-search input, #cq-search textarea", "herat")
        page.wait_for_function("() => document.querySelector('#cq-docs').innerText.includes('Herat convoy update')")
        table.get_by_test_id("cell-0-0").click()
        page.locator("#cq-delete").get_by_text("Herat convoy update").first.wait_for()
        # no page of the app shows the server's path to the upload, only the file's name
        uploads = str(settings.data_dir / "uploads")
        assert store.records()[0].source.startswith(uploads)
        for tab in ("Library", "Chat"):
            page.get_by_role("tab", name=tab).click()
            assert uploads not in page.content(), f"the {tab} tab shows a server path"
        page.get_by_role("tab", name="Library").click()
        page.click("#cq-delete-btn")  # deleting asks first, naming what will go
        page.wait_for_selector("#cq-confirm-text >> text=Delete 1 document")
        assert "herat-update.md" in page.inner_text("#cq-confirm-text")
        page.screenshot(path=str(ARTIFACTS / "library-confirm-delete.png"), full_page=True)
        assert len(store.records()) == 1, "nothing is deleted before the confirmation"
        page.click("#cq-cancel-delete")
        page.wait_for_selector("#cq-deleted >> text=Nothing was deleted")
        assert len(store.records()) == 1
        page.click("#cq-delete-btn")
        page.click("#cq-confirm-delete")
        page.wait_for_selector("#cq-deleted >> text=Deleted 1 document")
        page.wait_for_function("() => !document.querySelector('#cq-docs').innerText.includes('Herat convoy')")
        assert store.records() == []
        page.screenshot(path=str(ARTIFACTS / "library-deleted.png"), full_page=True)


def test_hostile_document_renders_as_text_and_runs_nothing(settings, store, page):
    add_hostile_document(settings, store)
    echo = (
        "The Khorasan cell was founded in 2015 near Jalalabad [1] "
        "<script>window.__pwned='model'</script><img src=x onerror=\"window.__pwned='model-img'\">."
    )
    with serve(settings, store=store, chat_model=SlowFakeChat.cycling(echo, delay=0.02)) as (url, _):
        open_app(page, url)
        ask(page, "When was the Khorasan cell near Jalalabad founded?")
        wait_answer_done(page)
        page.locator("#cq-chat a.cq-cite").first.click()
        panel = page.inner_text("#cq-sources")
        assert "<script>window.__pwned" in panel and "Bulletin <script>" in panel, "shown as text"
        assert "<script>window.__pwned='model'</script>" in page.inner_text("#cq-chat")
        page.screenshot(path=str(ARTIFACTS / "hostile-chat.png"))
        page.get_by_role("tab", name="Library").click()
        page.wait_for_function("() => document.querySelector('#cq-docs').innerText.includes('Bulletin <script>')")
        page.screenshot(path=str(ARTIFACTS / "hostile-library.png"), full_page=True)
        page.wait_for_timeout(500)

        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []
        assert page.evaluate("document.querySelectorAll('img[onerror], [onerror], [onclick]').length") == 0
        hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
        assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
