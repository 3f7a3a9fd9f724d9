"""The one sentence splitter, for answers and passages alike.

A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets, and any citation
markers right after it: "... in 2015. [1]" is one sentence) when the next one starts with a
capital, a digit or an opening quote; a line break always ends one (list items, paragraphs).
Abbreviations are not special-cased ("U.S. Army" splits).
"""

from __future__ import annotations

import re

_END = re.compile(
    r"[.!?]+[\"'”’)]*(?:[ \t]*\[\d{1,3}(?:\s*(?:,|-|–)\s*\d{1,3})*\])*(?=\s+[\"'“‘(]?[A-Z0-9]|\s*$)"
    r"|\s*\n\s*"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, surrounding white space left out."""
    spans, start = [], 0
    for match in _END.finditer(text):
        end = match.start() if match.group()[:1] not in ".!?" else match.end()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((s + lead, s + len(piece.rstrip())))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, trailing markers kept with theirs."""
    return [text[s:e] for s, e in sentence_spans(text)]
