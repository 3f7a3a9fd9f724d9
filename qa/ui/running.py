"""A running app, for the command line: ``conflict-qa chat`` leaves its address in the data
directory (``app.json``), and ``conflict-qa ask`` answers through it when it is up (the model is
loaded and its prompt cache warm there) instead of loading everything in-process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa.settings import Settings

APP_FILE = "app.json"


def app_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / APP_FILE


def _serves(settings: Settings) -> dict[str, str]:
    """What an app answers from: a command with other settings must not be answered by it."""
    return {
        "collection": settings.collection,
        "chroma_url": settings.chroma_url or "",
        "backend": settings.backend,
        "model": str(settings.model_path or settings.openai_model or ""),
    }


def announce(settings: Settings, url: str) -> Path:
    """Write where the app serves (its URL, process and what it answers from), for ``ask``."""
    path = app_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"url": url.rstrip("/"), "pid": os.getpid(), **_serves(settings)}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def withdraw(settings: Settings) -> None:
    """Remove the announcement, if it is this process's."""
    path = app_file(settings)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def announced_url(settings: Settings) -> str | None:
    """The URL of an app serving this data directory, if its process is alive."""
    try:
        data = json.loads(app_file(settings).read_text(encoding="utf-8"))
        pid, url = int(data["pid"]), str(data["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(data.get(k, v) != v for k, v in _serves(settings).items()):
        return None  # another collection, store or model than this command's settings
    if not loopback(url):
        return None  # the file is only trusted to name an app on this machine
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # the app ended without removing its file (killed)
    except PermissionError:
        pass  # alive, another user's
    return url


def loopback(url: str) -> bool:
    """Whether ``url`` names this machine (127.0.0.1, localhost, ::1)."""
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def connect(url: str, settings: Settings, timeout: float = 5.0, *, login: bool = True) -> Any | None:
    """A gradio_client ``Client`` for the app at ``url``, or None when it does not answer within
    ``timeout`` seconds (down, another program on the port, a wrong login). ``login``: send
    ``CONFLICT_QA_AUTH`` (only to an app the user named, or one on this machine)."""
    import urllib.error
    import urllib.request

    from qa.ui.app import auth_pairs

    try:  # a quick probe first: the client itself would wait much longer for a dead address
        urllib.request.urlopen(f"{url.rstrip('/')}/config", timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        if exc.code not in (401, 403):  # a login is asked for: the client logs in below
            return None
    except (OSError, ValueError):
        return None
    from gradio_client import Client

    pairs = auth_pairs(settings) if login else None
    try:
        return Client(
            url, auth=pairs[0] if pairs else None, verbose=False, download_files=False, analytics_enabled=False
        )
    except Exception:  # noqa: BLE001 - not our app, or the login was refused: ask in-process
        return None


def ask_app(
    client: Any, question: str, *, since="", until="", as_of="", source="", top_k=0, timeout: float = 900.0
) -> dict[str, Any]:
    """The app's ``/ask``: the ``conflict-qa ask --json`` object. Its refusals of a bad request
    (a date it cannot read) and a wait past ``timeout`` seconds are ``ConflictQAError``."""
    import concurrent.futures

    from qa.errors import ConflictQAError

    job = client.submit(
        question=question,
        history="[]",
        since=since or "",
        until=until or "",
        as_of=as_of or "",
        source=source or "",
        top_k=top_k or 0,
        api_name="/ask",
    )
    try:
        return job.result(timeout=timeout)
    except concurrent.futures.TimeoutError as exc:
        job.cancel()
        raise ConflictQAError(
            f"The running app gave no answer within {timeout:.0f} s: it may be busy; try again, or pass --in-process."
        ) from exc
    except Exception as exc:  # gradio_client's AppError: the app's own message
        raise ConflictQAError(f"The running app could not answer: {exc}") from exc
