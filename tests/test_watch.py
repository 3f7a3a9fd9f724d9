"""Watched folders and feeds: new items are ingested exactly once, across restarts."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from ingest.watch import Watcher, WatchState, parse_every, watch_file, watch_summary
from qa.cli import app
from qa.errors import ConflictQAError


def report(title: str, body: str, published: str = "2024-05-01") -> str:
    return f"---\ntitle: {title}\npublished: {published}\n---\n\n{body}\n"


def statuses(reports) -> list[tuple[str, str]]:
    return sorted((o.status, os.path.basename(o.source)) for r in reports.values() for o in r.outcomes)


@pytest.fixture
def inbox(tmp_path):
    """A folder holding one report, a.md."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.md").write_text(report("Report A", "Shelling hit Varno on Monday."))
    return folder


def watching(settings, store, folder) -> Watcher:
    watcher = Watcher(settings, store)
    watcher.add([str(folder)])
    return watcher


def test_a_watched_folder_ingests_new_and_changed_files_once_across_restarts(settings, store, tmp_path, inbox):
    folder = inbox
    watcher = watching(settings, store, folder)
    assert statuses(watcher.poll()) == [("added", "a.md")]
    assert statuses(watcher.poll()) == [], "an unchanged folder ingests nothing"

    (folder / "b.md").write_text(report("Report B", "Talks resumed in Nouadar on Friday."))
    restarted = Watcher(settings, store)  # a new process reads watch.json
    assert list(restarted.state.sources) == [str(folder.resolve())]
    assert statuses(restarted.poll()) == [("added", "b.md")]

    (folder / "a.md").write_text(report("Report A", "Shelling hit Varno on Monday and Tuesday."))
    assert statuses(Watcher(settings, store).poll()) == [("updated", "a.md")]
    assert sorted(r.title for r in store.records()) == ["Report A", "Report B"]
    summary = watch_summary(settings)
    assert summary[0]["last_checked"] and summary[0]["new"] == 1 and summary[0]["failures"] == 0


def test_a_file_that_fails_is_kept_as_a_failure_and_tried_again(settings, store, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "empty.txt").write_text("   \n")
    watcher = Watcher(settings, store)
    watcher.add([str(folder)])
    assert statuses(watcher.poll()) == [("failed", "empty.txt")]
    state = WatchState.load(watch_file(settings))
    assert state.sources[str(folder.resolve())].failures[0]["source"].endswith("empty.txt")
    assert statuses(watcher.poll()) == [("failed", "empty.txt")], "a failed file is tried again"


class FeedHandler(BaseHTTPRequestHandler):
    entries: list[tuple[str, str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        items = "".join(
            f"<item><title>{t}</title><link>https://example.org/{t.replace(' ', '-')}</link>"
            f"<pubDate>{d}</pubDate><description>{b}</description></item>"
            for t, d, b in self.entries
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Sitreps</title>{items}</channel></rss>'
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[str]:
    FeedHandler.entries = [("Convoy delayed", "Mon, 06 May 2024 08:00:00 GMT", "Aid convoys were delayed near Herat.")]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml"
    httpd.shutdown()
    httpd.server_close()


def test_a_watched_feed_ingests_each_entry_once_with_its_own_date(settings, store, feed):
    settings = settings.model_copy(update={"allow_private_urls": True})
    watcher = Watcher(settings, store)
    watcher.add([feed])
    assert [o.status for r in watcher.poll().values() for o in r.outcomes] == ["added"]
    FeedHandler.entries.insert(
        0, ("Clinic reopened", "Wed, 08 May 2024 09:00:00 GMT", "The clinic in Herat reopened on Wednesday.")
    )
    again = Watcher(settings, store).poll()  # restarted
    assert sorted(o.status for r in again.values() for o in r.outcomes) == ["added", "skipped"]
    assert sorted((r.title, r.published) for r in store.records()) == [
        ("Clinic reopened", "2024-05-08"),
        ("Convoy delayed", "2024-05-06"),
    ]
    assert [o.status for r in Watcher(settings, store).poll().values() for o in r.outcomes] == ["skipped"] * 2


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("15m", 900), ("1h", 3600)])
def test_every_reads_intervals(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["soon", "0s", "-5m"])
def test_a_bad_interval_is_a_clear_error(text):
    with pytest.raises(ConflictQAError, match="--every"):
        parse_every(text)


def test_watch_once_from_the_command_line_logs_each_document(settings, inbox, monkeypatch):
    folder = inbox
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, ["watch", str(folder), "--once"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "added" in result.stdout and "a.md" in result.stdout and "Report A" in result.stdout
    assert json.loads(watch_file(settings).read_text())["sources"]
    again = CliRunner().invoke(app, ["watch", "--once"])  # the persisted sources, nothing new
    assert again.exit_code == 0 and "added" not in again.stdout


def test_watching_nothing_or_a_missing_folder_is_a_clear_error(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 1 and "Nothing to watch" in str(result.exception)
    result = CliRunner().invoke(app, ["watch", str(tmp_path / "nope"), "--once"])
    assert result.exit_code == 1 and "not a folder or a URL" in str(result.exception)


def test_the_app_s_status_line_says_when_each_watched_source_was_checked(settings, store, inbox):
    from qa.ui.handlers import Handlers, Services
    from tests.fakes import RecordingChatModel

    folder = inbox
    watcher = watching(settings, store, folder)
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    assert "watching: inbox checked never" in handlers.status_html()
    watcher.poll()
    status = handlers.status_html()
    assert "watching: inbox checked" in status and "1 new" in status and "UTC" in status


def test_a_source_that_cannot_be_checked_is_a_failure_and_the_rest_go_on(settings, store, tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    (good / "a.md").write_text(report("Report A", "Shelling hit Varno on Monday."))
    (bad / "b.md").write_text(report("Report B", "Talks resumed in Nouadar."))
    from ingest.service import run_ingest

    def flaky(inputs):
        if any("bad" in i for i in inputs):
            raise OSError("disk unplugged")
        return run_ingest(settings, store, inputs)

    watcher = Watcher(settings, store, ingest=flaky)
    watcher.add([str(bad), str(good)])
    reports = watcher.poll()
    assert [o.status for o in reports[str(good.resolve())].outcomes] == ["added"]
    assert "disk unplugged" in reports[str(bad.resolve())].outcomes[0].message
    assert [s["failures"] for s in watch_summary(settings)] == [1, 0]


def test_the_library_watches_pasted_feed_urls_and_the_app_checks_them(settings, store, feed):
    import gradio as gr

    from qa.ui.app import start_watching
    from qa.ui.handlers import Handlers, Services
    from tests.fakes import RecordingChatModel

    settings = settings.model_copy(update={"allow_private_urls": True, "watch_every": "1s"})
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    assert "Nothing is watched yet" in handlers.watch_html()
    with pytest.raises(gr.Error, match="conflict-qa watch DIR"):
        handlers.on_watch("/srv/reports")  # never a folder of the server from the web page
    html, choices, box = handlers.on_watch(feed)
    assert box == "" and "feed.xml" in html and [r.title for r in store.records()] == ["Convoy delayed"]
    assert choices.choices == [(feed, feed)], "the feed can be stopped from the page"
    FeedHandler.entries.append(("Road reopened", "Thu, 09 May 2024 10:00:00 GMT", "The Herat road reopened."))
    stop = start_watching(settings, store)
    try:
        for _ in range(100):
            if len(store.records()) == 2:
                break
            time.sleep(0.2)
    finally:
        stop.set()
    assert sorted(r.title for r in store.records()) == ["Convoy delayed", "Road reopened"]


def test_a_round_that_fails_does_not_stop_the_watching(settings, store, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    watcher = Watcher(settings, store)
    watcher.add([str(folder)])
    watch_file(settings).write_text("{not json")  # unreadable for one round
    seen = []

    class Stop:
        rounds = 0

        def is_set(self):
            return self.rounds >= 2

        def wait(self, seconds):
            self.rounds += 1
            if self.rounds == 1:  # fixed before the second round
                WatchState().save(watch_file(settings))
                Watcher(settings, store).add([str(folder)])
                (folder / "a.md").write_text(report("Report A", "Shelling hit Varno on Monday."))

    watcher.run(0.01, on_outcome=seen.append, stop=Stop())
    assert [o.status for o in seen] == ["failed", "added"]
    assert "watch round failed" in seen[0].message


def test_the_app_watches_a_bounded_number_of_sources(settings, store, monkeypatch):
    import gradio as gr

    from qa.ui import handlers as ui_handlers
    from qa.ui.handlers import Handlers, Services
    from tests.fakes import RecordingChatModel

    monkeypatch.setattr(ui_handlers, "MAX_WATCHED", 2)
    Watcher(settings, store).add(["https://example.org/a.xml", "https://example.org/b.xml"])
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    with pytest.raises(gr.Error, match="at most 2 sources"):
        handlers.on_watch("https://example.org/c.xml")
    assert len(WatchState.load(watch_file(settings)).sources) == 2


def test_stopping_a_source_keeps_its_reports_and_forgets_its_files(settings, store, inbox, monkeypatch):
    watcher = watching(settings, store, inbox)
    watcher.poll()
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(settings.data_dir))
    listed = CliRunner().invoke(app, ["watch", "--list"])
    assert listed.exit_code == 0 and str(inbox.resolve()) in listed.stdout and "1 new" in listed.stdout
    result = CliRunner().invoke(app, ["watch", "--stop", str(inbox)])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "stopped watching" in result.stderr
    state = WatchState.load(watch_file(settings))
    assert state.sources == {} and state.files == {}
    assert [r.title for r in store.records()] == ["Report A"], "its reports stay"
    again = CliRunner().invoke(app, ["watch", "--stop", str(inbox)])
    assert again.exit_code == 1 and "Not watched" in str(again.exception)
    watching(settings, store, inbox)  # watched again: its files are read again (and skipped as known)
    assert statuses(Watcher(settings, store).poll()) == [("skipped", "a.md")]


def test_a_source_stopped_during_its_check_is_not_watched_again(settings, store, inbox):
    from ingest.service import run_ingest

    def stopped_meanwhile(inputs):
        Watcher(settings, store).remove([str(inbox)])  # another process stops it mid-check
        return run_ingest(settings, store, inputs)

    watcher = Watcher(settings, store, ingest=stopped_meanwhile)
    watcher.add([str(inbox)])
    watcher.poll()
    assert WatchState.load(watch_file(settings)).sources == {}


def test_the_library_stops_watching_a_feed(settings, store, feed):
    import gradio as gr

    from qa.ui.handlers import Handlers, Services
    from tests.fakes import RecordingChatModel

    settings = settings.model_copy(update={"allow_private_urls": True})
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    folder = settings.data_dir / "server-folder"
    folder.mkdir(parents=True)
    Watcher(settings, store).add([str(folder)])
    handlers.on_watch(feed)
    _, choices = handlers.watch_view()
    assert choices.choices == [(feed, feed)], "a folder of the server is not offered (its path stays off the page)"
    with pytest.raises(gr.Error, match="Choose"):
        handlers.on_unwatch([])
    html, choices = handlers.on_unwatch([feed])
    assert choices.choices == [] and "feed.xml" not in html
    assert list(WatchState.load(watch_file(settings)).sources) == [str(folder.resolve())]
    assert [r.title for r in store.records()] == ["Convoy delayed"]
