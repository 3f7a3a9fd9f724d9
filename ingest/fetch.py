"""Fetching one URL safely: http(s) only, public addresses only, bounded size and time.

Every hop (the URL and each redirect, at most :data:`MAX_REDIRECTS`) is resolved and checked
before connecting, and the connection goes to the address that was checked (TLS still verifies
the host name), so DNS cannot swap in a private address between check and connect.
Environment proxies are not used.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from contextlib import closing
from dataclasses import dataclass

import httpx

from ingest.errors import LoadError
from qa.errors import ConfigError

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
ALLOW_PRIVATE_HINT = "pass --allow-private-urls / set CONFLICT_QA_ALLOW_PRIVATE_URLS=true"
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Most specific first: Python counts loopback, link-local and 0.0.0.0 as "private" too.
_ADDRESS_KINDS = ("loopback", "unspecified", "link_local", "multicast", "private", "reserved")


@dataclass(frozen=True)
class Fetched:
    """A fetched body: ``url`` as asked for, ``final_url`` after redirects."""

    url: str
    final_url: str
    content_type: str
    body: bytes


class Fetcher:
    """Downloads a URL. ``timeout`` bounds connecting and each read; the whole download must
    finish within four times ``timeout``."""

    def __init__(
        self,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        allow_private: bool = False,
        user_agent: str = "conflict-qa/0.1",
    ) -> None:
        if not timeout > 0:
            raise ConfigError(f"timeout must be greater than 0. Currently, timeout is {timeout}")
        if max_bytes <= 0:
            raise ConfigError(f"max_bytes must be greater than 0. Currently, max_bytes is {max_bytes}")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.user_agent = user_agent

    def get(self, url: str) -> Fetched:
        """The body at ``url``; raises LoadError saying why it could not be fetched."""
        try:
            return self._get(url, time.monotonic() + 4 * self.timeout)
        except httpx.TimeoutException as exc:
            raise LoadError(url, f"timed out after {self.timeout:g} s; try again later or raise the timeout") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise LoadError(url, f"could not fetch it ({exc}); check the URL and your connection") from exc

    def _get(self, url: str, deadline: float) -> Fetched:
        current = url
        with httpx.Client(
            timeout=self.timeout, follow_redirects=False, trust_env=False, headers={"User-Agent": self.user_agent}
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                with closing(self._send(client, url, current)) as response:
                    location = _redirect_target(response, current)
                    if location is None:
                        return self._read(url, current, response, deadline)
                current = location
        raise LoadError(url, f"more than {MAX_REDIRECTS} redirects; open it in a browser and use the final address")

    def _send(self, client: httpx.Client, url: str, current: str) -> httpx.Response:
        """Send a GET for ``current`` to the address :meth:`_check` approved."""
        target = _parse(url, current)
        address = self._check(url, current, target)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = client.build_request(
            "GET",
            target.copy_with(host=address),
            extensions=extensions,
            headers={"Host": target.netloc.decode("ascii")},
        )
        return client.send(request, stream=True)

    def _check(self, url: str, current: str, target: httpx.URL) -> str:
        """The address to connect to; LoadError for a non-public one unless allowed."""
        addresses = _resolve(url, target)
        if not self.allow_private:
            for address in addresses:
                kind = non_public_kind(address)
                if kind:
                    hop = "" if current == url else f"redirected to {current}: "
                    raise LoadError(
                        url,
                        f"refusing to fetch: {hop}'{target.host}' is a {kind} "
                        f"address ({address}); to allow it, {ALLOW_PRIVATE_HINT}",
                    )
        return addresses[0]

    def _read(self, url: str, current: str, response: httpx.Response, deadline: float) -> Fetched:
        if not 200 <= response.status_code < 300:
            raise LoadError(url, f"HTTP {response.status_code} {response.reason_phrase} from {current}; check the URL")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(url)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("download too slow", request=response.request)
        return Fetched(url, current, response.headers.get("content-type", ""), bytes(body))

    def _too_large(self, url: str) -> LoadError:
        return LoadError(
            url,
            f"response larger than the {self.max_bytes:,}-byte limit; "
            "download it and ingest the file, or raise the limit",
        )


def non_public_kind(address: str) -> str | None:
    """Why ``address`` is not a public Internet address ("loopback", ...), or None if it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind in _ADDRESS_KINDS:
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "non-public"


def _parse(url: str, current: str) -> httpx.URL:
    target = httpx.URL(current)
    if target.scheme not in ("http", "https"):
        scheme = target.scheme or "(none)"
        raise LoadError(
            url, f"only http:// and https:// URLs can be fetched, not {scheme}:; to ingest a local file, pass its path"
        )
    if not target.host:
        raise LoadError(url, "the URL has no host name; check it")
    return target


def _resolve(url: str, target: httpx.URL) -> list[str]:
    try:
        infos = socket.getaddrinfo(target.host, target.port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise LoadError(url, f"cannot resolve host '{target.host}' ({exc}); check the URL and your network") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise LoadError(url, f"host '{target.host}' has no address; check the URL")
    return addresses


def _redirect_target(response: httpx.Response, current: str) -> str | None:
    """The absolute URL a redirect points to, or None if ``response`` is not a redirect."""
    location = response.headers.get("location")
    if response.status_code not in _REDIRECT_CODES or not location:
        return None
    return str(httpx.URL(current).join(location))
