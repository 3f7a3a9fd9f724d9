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


def announce(settings: Settings, url: str) -> Path:
    """Write where the app serves (its URL and process), for ``ask`` to find."""
    path = app_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url.rstrip("/"), "pid": os.getpid()}), encoding="utf-8")
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
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # the app ended without removing its file (killed)
    except PermissionError:
        pass  # alive, another user's
    return url


def connect(url: str, settings: Settings, timeout: float = 5.0) -> Any | None:
    """A gradio_client ``Client`` for the app at ``url``, or None when it does not answer within
    ``timeout`` seconds (down, another program on the port, a wrong login)."""
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

    pairs = auth_pairs(settings)
    try:
        return Client(
            url, auth=pairs[0] if pairs else None, verbose=False, download_files=False, analytics_enabled=False
        )
    except Exception:  # noqa: BLE001 - not our app, or the login was refused: ask in-process
        return None


def ask_app(client: Any, question: str, *, since="", until="", as_of="", source="", top_k=0) -> dict[str, Any]:
    """The app's ``/ask``: the ``conflict-qa ask --json`` object."""
    return client.predict(
        question=question,
        history="[]",
        since=since or "",
        until=until or "",
        as_of=as_of or "",
        source=source or "",
        top_k=top_k or 0,
        api_name="/ask",
    )
