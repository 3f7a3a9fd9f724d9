"""URL fetching against a local http.server: scheme and address rules, redirects, limits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import ingest.fetch
from ingest.errors import LoadError
from ingest.fetch import ALLOW_PRIVATE_HINT, Fetched, Fetcher, non_public_kind
from ingest.loaders import load, sniff
from qa.errors import ConfigError
from tests.hostile import PROSE, pdf_bytes
from tests.test_loaders import RSS

PAGE = (
    b"<html><head><title>Local page</title></head><body><article><p>" + PROSE.encode() + b"</p></article></body></html>"
)
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/page.html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
    "/feed": (200, {"Content-Type": "text/xml"}, RSS.encode()),
    "/report": (200, {"Content-Type": "application/octet-stream"}, pdf_bytes(["Page one.", "Page two."])),
    "/moved": (302, {"Location": "/page.html"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/to-private": (301, {"Location": "http://10.1.2.3/admin"}, b""),
    "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
    "/missing": (404, {}, b"not here"),
    "/big": (200, {"Content-Type": "text/html"}, b"x" * 300_000),
}


class Handler(BaseHTTPRequestHandler):
    """Serves ROUTES; /slow answers late, /trickle and /big-chunked never say their length."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/slow":
            time.sleep(2.0)
        if self.path in ("/trickle", "/big-chunked"):
            return self._unbounded(0.1 if self.path == "/trickle" else 0.0)
        status, headers, body = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client stopped reading (size cap)

    def _unbounded(self, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b"y" * 10_000)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local() -> Fetcher:
    return Fetcher(timeout=2.0, allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.txt", "gopher://x/"])
def test_only_http_schemes(url: str) -> None:
    with pytest.raises(LoadError, match="only http:// and https:// URLs"):
        Fetcher(allow_private=True).get(url)


def test_file_url_refused_through_load() -> None:
    with pytest.raises(LoadError, match="only http:// and https://"):
        load("file:///etc/passwd")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://[::1]:9/",
        "http://0.0.0.0:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://169.254.169.254/",
        "http://192.168.1.1/",
        "http://10.0.0.1/",
    ],
)
def test_private_addresses_refused_with_hint(url: str) -> None:
    with pytest.raises(LoadError) as caught:
        Fetcher().get(url)
    assert "refusing to fetch" in caught.value.reason
    assert ALLOW_PRIVATE_HINT in caught.value.reason


def test_local_server_refused_by_default(server: str) -> None:
    with pytest.raises(LoadError, match="loopback address"):
        load(f"{server}/page.html")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.2.3.4", "private"),
        ("169.254.1.1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:192.168.0.1", "private"),
        ("100.64.0.1", "non-public"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_non_public_kind(address: str, kind: str | None) -> None:
    assert non_public_kind(address) == kind


def test_html_page_allowed_when_private_allowed(server: str, local: Fetcher) -> None:
    [doc] = load(f"{server}/page.html", fetcher=local)
    assert (doc.source, doc.url, doc.title) == (f"{server}/page.html",) * 2 + ("Local page",)
    assert "Shelling resumed" in doc.text


def test_feed_by_leading_bytes(server: str, local: Fetcher) -> None:
    docs = load(f"{server}/feed", fetcher=local)
    assert [d.source for d in docs] == ["https://example.org/talks", "https://example.org/summary"]


def test_pdf_by_leading_bytes(server: str, local: Fetcher) -> None:
    [doc] = load(f"{server}/report", fetcher=local)
    assert [span.page for span in doc.pages] == [1, 2]
    assert doc.url == f"{server}/report"


def test_redirect_followed_and_recorded(server: str, local: Fetcher) -> None:
    fetched = local.get(f"{server}/moved")
    assert (fetched.url, fetched.final_url) == (f"{server}/moved", f"{server}/page.html")
    [doc] = load(f"{server}/moved", fetcher=local)
    assert doc.source == f"{server}/moved" and doc.metadata["final_url"] == f"{server}/page.html"


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.1 is public, so a redirect's own target is what gets checked."""
    real = ingest.fetch.non_public_kind
    monkeypatch.setattr(
        ingest.fetch, "non_public_kind", lambda address: None if address == "127.0.0.1" else real(address)
    )


@pytest.mark.parametrize(("path", "kind"), [("/to-metadata", "link-local"), ("/to-private", "private")])
def test_redirect_to_private_address_refused(server: str, loopback_is_public: None, path: str, kind: str) -> None:
    with pytest.raises(LoadError) as caught:
        Fetcher(timeout=2.0).get(f"{server}{path}")
    assert "redirected to http://" in caught.value.reason and f"{kind} address" in caught.value.reason
    assert ALLOW_PRIVATE_HINT in caught.value.reason


def test_redirect_to_file_refused(server: str, local: Fetcher) -> None:
    with pytest.raises(LoadError, match="only http:// and https://"):
        local.get(f"{server}/to-file")


def test_redirect_loop_stops(server: str, local: Fetcher) -> None:
    with pytest.raises(LoadError, match="more than 5 redirects"):
        local.get(f"{server}/loop")


def test_http_error_status(server: str, local: Fetcher) -> None:
    with pytest.raises(LoadError, match="HTTP 404"):
        local.get(f"{server}/missing")


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_size_cap(server: str, path: str) -> None:
    with pytest.raises(LoadError, match="larger than the 100,000-byte limit"):
        Fetcher(max_bytes=100_000, allow_private=True).get(f"{server}{path}")


def test_timeout_waiting_for_response(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(LoadError, match=r"timed out after 0\.3 s"):
        Fetcher(timeout=0.3, allow_private=True).get(f"{server}/slow")
    assert time.monotonic() - started < 1.5


def test_timeout_for_a_trickling_download(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(LoadError, match="timed out"):
        Fetcher(timeout=0.25, max_bytes=10**9, allow_private=True).get(f"{server}/trickle")
    assert time.monotonic() - started < 2.0


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # no real DNS query from a test
    with pytest.raises(LoadError, match="cannot resolve host 'no-such-host.invalid'"):
        Fetcher().get("http://no-such-host.invalid/")


def test_settings_validated() -> None:
    with pytest.raises(ConfigError, match="timeout must be greater than 0"):
        Fetcher(timeout=0)
    with pytest.raises(ConfigError, match="max_bytes is -1"):
        Fetcher(max_bytes=-1)


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/pdf", b"", "pdf"),
        ("application/octet-stream", b"%PDF-1.7", "pdf"),
        ("application/rss+xml", b"", "feed"),
        ("text/xml", b"\xef\xbb\xbf<?xml version='1.0'?><feed", "feed"),
        ("text/html", b"<!doctype html><html>", "html"),
        ("text/plain; charset=utf-8", b"hi", "text"),
        ("", b"<html>", "html"),
    ],
)
def test_sniff(content_type: str, body: bytes, kind: str) -> None:
    assert sniff(Fetched("u", "u", content_type, body)) == kind
