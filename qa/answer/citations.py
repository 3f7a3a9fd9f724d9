"""Deterministic ``[n]`` citations: parse the markers, keep those that point at a given passage."""

from __future__ import annotations

import re

from qa.text.markers import MARKER, marker_numbers
from qa.types import Citation, Passage

_REFUSALS = ("i don't know", "i do not know", "don't cover this", "do not cover this")


def resolve_citations(text: str, passages: list[Passage]) -> tuple[str, tuple[Citation, ...]]:
    """Rewrite ``text`` keeping only markers that name a passage (1..len(passages)).

    A marker that points nowhere is removed from the text, never shown as a citation. Valid
    numbers come back as one ``[n]`` each; the citations are listed in order of first use.
    """
    cited: dict[int, Citation] = {}

    def keep(match: re.Match[str]) -> str:
        valid = [n for n in marker_numbers(match.group(1)) if 1 <= n <= len(passages)]
        for n in valid:
            cited.setdefault(n, Citation(n=n, passage=passages[n - 1]))
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned = MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return cleaned, tuple(cited.values())


def is_refusal(text: str) -> bool:
    """The model said it doesn't know (our prompt's refusal sentence, or close to it)."""
    lowered = text.strip().lower().replace("’", "'")
    return not lowered or any(phrase in lowered[:120] for phrase in _REFUSALS)


class MarkerStream:
    """Filters streamed tokens so only valid ``[n]`` markers reach the reader.

    Text after an unclosed ``[`` is held back until the bracket closes (then the marker is kept or
    dropped) or until it clearly is not a marker.
    """

    def __init__(self, n_passages: int) -> None:
        self.n_passages = n_passages
        self._held = ""

    def feed(self, token: str) -> str:
        out, self._held = "", self._held + token
        while self._held:
            start = self._held.find("[")
            if start < 0:
                out, self._held = out + self._held, ""
                break
            out, self._held = out + self._held[:start], self._held[start:]
            end = self._held.find("]")
            if end < 0:
                if len(self._held) > 16 or not re.fullmatch(r"\[[\d,\s\-–]*", self._held):
                    out, self._held = out + self._held[0], self._held[1:]
                    continue
                break
            out += self._closed(self._held[: end + 1])
            self._held = self._held[end + 1 :]
        return out

    def _closed(self, piece: str) -> str:
        match = MARKER.fullmatch(piece)
        if not match:
            return piece
        valid = [n for n in marker_numbers(match.group(1)) if 1 <= n <= self.n_passages]
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    def flush(self) -> str:
        out, self._held = self._held, ""
        return out
