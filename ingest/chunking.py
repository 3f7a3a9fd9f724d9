"""Sentence-aware recursive splitting, sized in the embedder's own word pieces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.document import Document

# Paragraphs, lines, sentence ends, clause breaks, words, characters: the first that fits wins.
SEPARATORS = ["\n\n", "\n", r"(?<=[.!?])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: ``text == document.text[start:end]``."""

    index: int
    text: str
    start: int
    end: int
    page: int | None


def make_splitter(count_tokens: Callable[[str], int], chunk_size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=chunk_size,
        chunk_overlap=overlap,
        length_function=count_tokens,
        strip_whitespace=True,
    )


def chunk_document(document: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Split ``document.text``; each chunk knows its character offsets and its page."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(document.text):
        start = document.text.find(piece, max(0, cursor - len(piece)))
        if start < 0:  # pragma: no cover - split_text returns substrings of the text
            start = document.text.find(piece)
        end = start + len(piece)
        chunks.append(Chunk(len(chunks), piece, start, end, document.page_at(start)))
        cursor = start + 1
    return chunks
