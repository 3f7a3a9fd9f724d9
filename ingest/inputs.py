"""Expanding the user's inputs (files, directories, URLs) into loadable sources."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence

from ingest.errors import SkippedInput

logger = logging.getLogger(__name__)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
DirKey = tuple[int, int]


def is_url(source: str) -> bool:
    """True for anything written as ``scheme://...`` (only http(s) will be fetched)."""
    return bool(_URL.match(source))


def expand_inputs(inputs: Sequence[str]) -> Iterator[str | SkippedInput]:
    """Each input as a loadable source; directories walked recursively in sorted order.

    Hidden files and directories (``.git``) inside a walked directory are skipped. A symlink
    back to a directory being walked (a loop), or a directory already walked, is yielded as a
    SkippedInput. Files, missing paths and URLs pass through unchanged; :func:`load` judges them.
    """
    seen: set[DirKey] = set()
    for item in inputs:
        if not is_url(item) and os.path.isdir(item):
            yield from _walk(item, seen)
        else:
            yield item


def _walk(root: str, seen: set[DirKey]) -> Iterator[str | SkippedInput]:
    """Depth-first over sorted entries; iterative, so a very deep tree cannot overflow."""
    stack: list[tuple[dict[DirKey, str], Iterator[os.DirEntry[str]]]] = []
    yield from _enter(root, {}, seen, stack)
    while stack:
        ancestors, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
        elif entry.name.startswith("."):
            logger.debug("skipping hidden %s", entry.path)
        elif _is_dir(entry):
            yield from _enter(entry.path, ancestors, seen, stack)
        else:
            yield entry.path


def _enter(
    path: str,
    ancestors: dict[DirKey, str],
    seen: set[DirKey],
    stack: list[tuple[dict[DirKey, str], Iterator[os.DirEntry[str]]]],
) -> Iterator[SkippedInput]:
    """Push directory ``path`` onto ``stack``, or yield why it is not walked."""
    try:
        stat = os.stat(path)
        key = (stat.st_dev, stat.st_ino)
        if key in ancestors:
            yield SkippedInput(path, f"symlink loop: it leads back to {ancestors[key]}; not followed")
            return
        if key in seen:
            yield SkippedInput(path, "directory already included (through another path); not walked twice")
            return
        with os.scandir(path) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield SkippedInput(path, f"cannot read directory ({exc.strerror or exc}); check its permissions")
        return
    seen.add(key)
    stack.append(({**ancestors, key: path}, iter(entries)))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False
