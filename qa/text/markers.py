"""Citation markers: ``[1]``, ``[1, 2]``, ``[1][2]`` (two markers), ``[1-3]`` (a range)."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,3}(?:\s*(?:,|-|–)\s*\d{1,3})*)\]")


def marker_numbers(group: str) -> list[int]:
    """``"1, 3-4"`` -> ``[1, 3, 4]``."""
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def markers_of(text: str) -> list[int]:
    """Every passage number ``text`` cites, in order (repeats kept)."""
    return [n for m in MARKER.finditer(text) for n in marker_numbers(m.group(1))]


def strip_markers(text: str) -> str:
    """``text`` without its markers: "Hanafi [1]." -> "Hanafi."."""
    plain = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text))
    return re.sub(r"[ \t]{2,}", " ", plain).strip()
