"""Shared fixtures. Every test runs offline: a socket guard refuses non-loopback connections."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import qa  # noqa: F401  (offline environment before any ML import)
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "isis-k-taliban.txt"


class NetworkBlocked(RuntimeError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
ATTEMPTS: list[object] = []


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = address[0] if isinstance(address, tuple) else None
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except (TypeError, ValueError):
        return False


def _guarded(real):
    def connect(self, address):
        if not _is_local(address):
            ATTEMPTS.append(address)
            raise NetworkBlocked(f"test tried to reach the network: {address!r}")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """No code path may contact the network (loopback servers started by tests are fine)."""
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=Path(Settings().cache_dir), _env_file=None)


@pytest.fixture
def store(settings: Settings):
    from qa.factory import make_store

    return make_store(settings)


@pytest.fixture
def sample_store(settings: Settings, store):
    """A store holding the bundled sample report."""
    from ingest.service import run_ingest

    report = run_ingest(settings, store, [str(SAMPLE)])
    assert not report.failed, report.to_json()
    return store


CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """``chroma run`` on loopback, serving ``path/db``; returns once it answers."""
    if not CHROMA.exists():
        pytest.skip(f"the chroma CLI is not installed next to {sys.executable}")
    import chromadb

    log = (path / "server.log").open("ab")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            return proc
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start: {(path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)


def stop_chroma(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server for this test session; stopped afterwards."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = start_chroma(path, port)
    yield f"http://127.0.0.1:{port}"
    stop_chroma(proc)
