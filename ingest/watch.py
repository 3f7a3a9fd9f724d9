"""Watched sources: folders and feeds ingested as new items appear, idempotently, across restarts.

``conflict-qa watch DIR… FEED_URL… [--every 15m]`` adds its sources to ``<data_dir>/watch.json``
and polls them all: a folder's new or changed files (by size and modification time, remembered
in the same file) and a feed's or page's current entries are ingested. Ingest itself is
idempotent (a document's id is its content), so an entry seen before is skipped, and a restart
picks up where the last run stopped: nothing is ingested twice. Each source keeps when it was last
checked, what came in then, and its failures (the app's status line reads them).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.indexer import ADDED, FAILED, UPDATED, IngestReport, Outcome
from ingest.inputs import expand_inputs, is_url
from qa.errors import ConflictQAError

log = logging.getLogger(__name__)

WATCH_FILE = "watch.json"
_LOCK = threading.Lock()  # one process's watchers (the app's thread, a Library click) update the file in turn
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """``"90"``, ``"30s"``, ``"15m"``, ``"1h"`` -> seconds (at least 1)."""
    match = _EVERY.match(text or "")
    if not match:
        raise ConflictQAError(f"--every {text!r} is not an interval: write e.g. 30s, 15m or 1h.")
    seconds = float(match.group(1)) * _UNIT[match.group(2).lower()]
    if seconds < 1:
        raise ConflictQAError(f"--every {text!r} is shorter than a second: write e.g. 30s, 15m or 1h.")
    return seconds


@dataclass
class SourceState:
    last_checked: str | None = None
    new: int = 0  # documents added or updated at the last check
    total_new: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)  # the last check's, {"source", "error"}


@dataclass
class WatchState:
    """What ``watch.json`` holds: the sources, their last checks, and the files already seen."""

    sources: dict[str, SourceState] = field(default_factory=dict)
    files: dict[str, list[int]] = field(default_factory=dict)  # path -> [size, mtime_ns] last ingested

    @classmethod
    def load(cls, path: Path) -> WatchState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise ConflictQAError(f"Cannot read {path} ({exc}): fix or delete it to start watching afresh.") from exc
        sources = {k: SourceState(**v) for k, v in (data.get("sources") or {}).items()}
        return cls(sources=sources, files={k: list(v) for k, v in (data.get("files") or {}).items()})

    def save(self, path: Path) -> None:
        """Written whole to a temporary file, then renamed: a crash never leaves half a file."""
        import tempfile

        data = {"sources": {k: vars(v) for k, v in self.sources.items()}, "files": self.files}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".watch-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=1, ensure_ascii=False))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@contextmanager
def _locked(path: Path):
    """``watch.json`` read, changed and written by one watcher at a time: the threads of this
    process (the app's watcher, a Library click) and other processes (`conflict-qa watch`)."""
    import fcntl

    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def watch_file(settings) -> Path:
    return Path(settings.data_dir) / WATCH_FILE


def watch_key(source: str) -> str:
    """How ``watch.json`` names a source: a URL as given, a folder by its absolute path."""
    return source if is_url(source) else str(Path(source).expanduser().resolve())


class Watcher:
    """Polls the watched sources of one data directory; ``poll()`` is one round over all of them."""

    def __init__(self, settings, store, ingest: Callable[[list[str]], IngestReport] | None = None) -> None:
        from ingest.service import run_ingest

        self.settings = settings
        self.store = store
        self.path = watch_file(settings)
        self.state = WatchState.load(self.path)
        self.ingest = ingest or (lambda inputs: run_ingest(settings, store, inputs))

    def add(self, sources: Iterable[str]) -> list[str]:
        """Watch these sources too (kept in ``watch.json``); a missing folder is an error."""
        keys = []
        for source in sources:
            if not is_url(source) and not Path(source).expanduser().is_dir():
                raise ConflictQAError(f"{source} is not a folder or a URL: watch folders and feed/page URLs.")
            keys.append(watch_key(source))
        added = []
        with _locked(self.path):
            self.state = WatchState.load(self.path)
            for key in keys:
                if key not in self.state.sources:
                    self.state.sources[key] = SourceState()
                    added.append(key)
            self.state.save(self.path)
        return added

    def remove(self, sources: Iterable[str]) -> list[str]:
        """Stop watching these sources (their reports stay in the store); returns those that were
        watched. A folder's files are forgotten with it, so watching it again re-reads them."""
        keys = {watch_key(source) for source in sources}
        with _locked(self.path):
            self.state = WatchState.load(self.path)
            removed = [key for key in self.state.sources if key in keys]
            for key in removed:
                del self.state.sources[key]
                if not is_url(key):
                    inside = key.rstrip(os.sep) + os.sep
                    self.state.files = {p: v for p, v in self.state.files.items() if not p.startswith(inside)}
            self.state.save(self.path)
        return removed

    def poll(self, on_outcome: Callable[[Outcome], None] | None = None) -> dict[str, IngestReport]:
        """Check every source once (as ``watch.json`` lists them now); returns each source's report."""
        with _locked(self.path):
            self.state = WatchState.load(self.path)
        reports = {}
        for source in list(self.state.sources):
            try:
                reports[source] = self._check(source, on_outcome)
            except Exception as exc:  # the store or the network down: say so, keep watching the rest
                log.warning("could not check %s: %s", source, exc)
                failure = Outcome(FAILED, source, message=f"could not check: {type(exc).__name__}: {exc}")
                self._record(source, IngestReport(outcomes=[failure]), {})
                if on_outcome is not None:
                    on_outcome(failure)
                reports[source] = IngestReport(outcomes=[failure])
        return reports

    def poll_one(self, source: str, on_outcome=None) -> IngestReport:
        """Check one watched source now (just added from the app, say)."""
        return self._check(watch_key(source), on_outcome)

    def _check(self, source: str, on_outcome) -> IngestReport:
        pending: dict[str, list[int]] = {}
        if is_url(source):
            inputs = [source]
        else:
            inputs = []
            for item in expand_inputs([source]):
                if not isinstance(item, str):
                    continue  # a loop or an unreadable folder: the ingest of the folder would say so
                try:
                    stat = os.stat(item)
                except OSError:
                    continue
                seen = [stat.st_size, stat.st_mtime_ns]
                if self.state.files.get(item) != seen:
                    inputs.append(item)
                    pending[item] = seen
        report = self.ingest(inputs) if inputs else IngestReport()
        for outcome in report.outcomes:
            if on_outcome is not None:
                on_outcome(outcome)
        self._record(source, report, pending)
        return report

    def _record(self, source: str, report: IngestReport, pending: dict[str, list[int]]) -> None:
        """Write one check's result into ``watch.json`` as it is now (a source added meanwhile stays)."""
        failed = {o.source for o in report.failed}
        new = sum(o.status in (ADDED, UPDATED) for o in report.outcomes)
        with _locked(self.path):
            self.state = WatchState.load(self.path)
            state = self.state.sources.get(source)
            if state is None:  # no longer watched (removed during its check): nothing to record
                return
            for path, seen in pending.items():
                if path not in failed:  # a failed file is tried again at the next check
                    self.state.files[path] = seen
            state.last_checked = datetime.now(UTC).isoformat(timespec="seconds")
            state.new = new
            state.total_new += new
            state.failures = [{"source": o.source, "error": o.message} for o in report.failed]
            self.state.save(self.path)

    def run(self, every: float, on_outcome=None, rounds: int | None = None, stop=None) -> None:
        """Poll every ``every`` seconds: ``rounds`` times, or until ``stop`` (a threading.Event)
        is set or the process is interrupted."""
        done = 0
        while (rounds is None or done < rounds) and not (stop is not None and stop.is_set()):
            started = time.monotonic()
            try:
                self.poll(on_outcome)
            except Exception as exc:  # the store or watch.json unreadable: say so, try next round
                log.warning("watch round failed: %s", exc)
                if on_outcome is not None:
                    on_outcome(Outcome(FAILED, str(self.path), message=f"watch round failed: {exc}"))
            done += 1
            if rounds is not None and done >= rounds:
                break
            wait = max(0.0, every - (time.monotonic() - started))
            if stop is not None:
                stop.wait(wait)
            else:
                time.sleep(wait)


def watch_summary(settings) -> list[dict[str, Any]]:
    """Each watched source with when it was last checked and what came in (for the app's status)."""
    try:
        state = WatchState.load(watch_file(settings))
    except ConflictQAError:
        return []
    return [
        {"source": k, "last_checked": v.last_checked, "new": v.new, "failures": len(v.failures)}
        for k, v in state.sources.items()
    ]
