"""Loaded by subprocesses under test (PYTHONPATH): refuse and record any non-loopback connection."""

import ipaddress
import os
import socket

_LOG = os.environ.get("NETGUARD_LOG")
_real = socket.socket.connect


def _local(address):
    if isinstance(address, (str, bytes)):
        return True
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except (TypeError, ValueError, IndexError):
        return address[0] == "localhost"


def _connect(self, address):
    if not _local(address):
        if _LOG:
            with open(_LOG, "a") as fh:
                fh.write(f"{address!r}\n")
        raise OSError(f"network blocked by test guard: {address!r}")
    return _real(self, address)


socket.socket.connect = _connect
