"""Passages built for the question: the best sentences of the candidate reports, with their neighbours.

Retrieval ranks stored chunks; a chunk is ~200 word pieces of which one or two sentences answer.
``SentenceWindows`` reads the candidate reports around their best chunks (each chunk with the
chunks either side of it, rebuilt from their character offsets so overlaps are not repeated),
splits them into sentences with the one splitter, and ranks every sentence by reciprocal-rank
fusion of three signals:

- its cosine similarity to the question (the MiniLM embedder the store already uses);
- how much of the question's rarity it carries (the keyword index's inverse chunk frequency of
  each question token the sentence contains, summed);
- the rank of the chunk it comes from in the retrieval (what the whole chunk says).

The best sentences are taken, each with ``neighbours`` sentences either side, windows of one
report merged when they touch, until ``budget`` word pieces of passage text are spent. No report
is capped: on the real dev split, stopping a report's further windows at half the budget while
others had sentences left lowered answer-in-context from 0.966 to 0.917 (the report that answers
usually needs the room). A report's
windows become one passage (joined by a line with ``…``), so the model reads each report once,
under its title and date; the passage's ``chunk_id`` is the stored chunk of its best sentence
(the citation opens it) and ``focus`` holds the sentences picked for the question (the reader sees
them highlighted). Reports keep the order retrieval gave them (newest first for a latest question).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qa.store.chroma import sentence_id
from qa.text.sentences import sentence_spans
from qa.types import Passage

GAP = "\n…\n"  # between two windows of one report


@dataclass(frozen=True)
class _Sentence:
    segment: int  # which report (its segment) it belongs to
    index: int  # its position in the report
    text: str
    chunk_ids: tuple[str, ...]  # the stored chunks holding it (two where chunks overlap)


@dataclass
class _Segment:
    """One report as one text, in sentences."""

    doc_id: str
    sentences: list[tuple[str, tuple[str, ...]]]  # (sentence, the chunks holding it) in order
    scored: list[int]  # the sentences of the candidate chunks (and their neighbours)


def rebuild(chunks: Sequence[tuple[str, str, dict[str, Any]]]) -> tuple[str, list[tuple[int, int]]]:
    """The text of a report's chunks (in order), each overlap written once, and where each chunk
    lies in it.

    Chunk metadata ``start``/``end`` are character offsets in the document: the text keeps them
    (the white space between two chunks that do not touch becomes a space, or line breaks when it
    was longer: a paragraph break still ends a sentence). Without offsets, chunks are joined by a
    line break (overlaps then repeat)."""
    offsets = all(isinstance(m.get("start"), int) and isinstance(m.get("end"), int) for _, _, m in chunks)
    out, spans = "", []
    for _, text, meta in chunks:
        if not offsets:
            out += "\n" if out else ""
            spans.append((len(out), len(out) + len(text)))
            out += text
            continue
        start = meta["start"] - chunks[0][2]["start"]
        if start > len(out):
            gap = start - len(out)
            out += " " if gap == 1 else "\n" * gap
        out += text[len(out) - start :]
        spans.append((start, start + len(text)))
    return out, spans


def report_sentences(chunks: Sequence[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Every sentence of one report, as ``SentenceWindows`` reads it (ingest stores their vectors)."""
    return [text for text, _ in _segment("", chunks, set()).sentences]


def _segment(doc_id: str, chunks: Sequence[tuple[str, str, dict[str, Any]]], wanted: set[int]) -> _Segment:
    """One report rebuilt from all its chunks and split into sentences, each mapped to the chunks
    that hold it whole (else the one holding most of it); the sentences of the ``wanted`` chunks
    are the ones scored."""
    rows = sorted(chunks, key=lambda r: int(r[2].get("chunk", 0)))
    text, spans = rebuild(rows)
    sentences, scored = [], []
    for s, e in sentence_spans(text):
        holders = [k for k, (a, b) in enumerate(spans) if a <= s and e <= b] or [
            max(range(len(spans)), key=lambda k: min(e, spans[k][1]) - max(s, spans[k][0]))
        ]
        sentences.append((text[s:e], tuple(rows[k][0] for k in holders)))
        if any(int(rows[k][2].get("chunk", k)) in wanted for k in holders):
            scored.append(len(sentences) - 1)
    return _Segment(doc_id, sentences, scored)


class SentenceWindows:
    """Sentence windows for a question, from the reports of its best-ranked chunks."""

    def __init__(
        self,
        store: Any,
        *,
        count_tokens: Callable[[str], int],
        budget: int = 400,
        neighbours: int = 0,
        max_reports: int = 5,
        rarity: Callable[[str], float] | None = None,
        tokens: Callable[[str], list[str]] | None = None,
        rrf_k: int = 10,
    ) -> None:
        if budget < 1:
            raise ValueError(f"the context budget must be at least 1 token, got {budget}")
        self.store = store
        self.count_tokens = count_tokens
        self.budget = budget
        self.neighbours = neighbours
        self.max_reports = max_reports
        self.rarity = rarity
        self.tokens = tokens
        self.rrf_k = rrf_k
        self._vectors: dict[str, np.ndarray] = {}

    # -- reading the reports -------------------------------------------------------------------
    def embed(self, texts: Sequence[str], doc_ids: Sequence[str] | None = None) -> np.ndarray:
        """Sentence vectors, cached by text (a follow-up reads the same reports again): stored at
        ingest when the store has them (``doc_ids`` says whose sentences they are), else embedded."""
        cache = self._vectors
        todo = list(dict.fromkeys(t for t in texts if t not in cache))
        if todo and doc_ids is not None and hasattr(self.store, "sentence_vectors"):
            doc_of = dict(zip(texts, doc_ids))
            keys = {sentence_id(doc_of[t], t): t for t in todo}
            for key, vec in self.store.sentence_vectors(list(keys)).items():
                cache[keys[key]] = np.asarray(vec, dtype=np.float32)
            todo = [t for t in todo if t not in cache]
        if todo:
            for text, vec in zip(todo, self.store.embeddings.embed_documents(todo)):
                cache[text] = np.asarray(vec, dtype=np.float32)
            if len(cache) > 50_000:
                for key in list(cache)[: len(cache) - 50_000]:
                    del cache[key]
        return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def candidate_sentences(self, ranked: Sequence[Passage]) -> tuple[list[str], list[_Segment], dict[str, int]]:
        """The reports (in order, at most ``max_reports``), their segments, and each chunk's rank."""
        reports: list[str] = []
        wanted: dict[str, set[int]] = {}
        chunk_rank: dict[str, int] = {}
        for rank, p in enumerate(ranked, start=1):
            chunk_rank.setdefault(p.chunk_id, rank)
            if p.doc_id not in wanted:
                if len(reports) == self.max_reports:
                    continue
                reports.append(p.doc_id)
                wanted[p.doc_id] = set()
            index = _chunk_index(p.chunk_id)
            if index is not None:
                wanted[p.doc_id] |= set(range(max(0, index - 1), index + 2))
        chunks = self.store.document_chunks(reports)
        segments = [_segment(doc_id, chunks.get(doc_id, []), wanted[doc_id]) for doc_id in reports]
        return reports, segments, chunk_rank

    # -- choosing ------------------------------------------------------------------------------
    def select(self, question: str, vector: np.ndarray, ranked: Sequence[Passage]) -> list[Passage]:
        """Passages for ``question`` (its embedding ``vector``) from the ranked candidate chunks."""
        if not ranked:
            return []
        reports, segments, chunk_rank = self.candidate_sentences(ranked)
        sentences = [_Sentence(si, i, *seg.sentences[i]) for si, seg in enumerate(segments) for i in seg.scored]
        if not sentences:
            return list(ranked[:1])
        scores = self.scores(question, vector, sentences, chunk_rank, [seg.doc_id for seg in segments])
        picked = self.windows(sentences, segments, scores)
        return self.passages(picked, segments, sentences, scores, ranked, reports, chunk_rank)

    def scores(
        self,
        question: str,
        vector: np.ndarray,
        sentences: Sequence[_Sentence],
        chunk_rank: dict[str, int],
        doc_ids: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Reciprocal-rank fusion of cosine, question rarity carried, and the chunk's retrieval rank
        (``doc_ids``: each segment's report, to find the sentence vectors stored at ingest)."""
        k = self.rrf_k
        owners = [doc_ids[s.segment] for s in sentences] if doc_ids is not None else None
        cosine = self.embed([s.text for s in sentences], owners) @ np.asarray(vector, dtype=np.float32)
        ranks = [_rank(cosine)]
        if self.tokens is not None and self.rarity is not None:
            asked = {t: self.rarity(t) for t in set(self.tokens(question))}
            # fsum: exact, so the sum does not depend on the set's order (which varies per process
            # with string hashing) and ties rank the same in every run
            carried = np.array([math.fsum(asked.get(t, 0.0) for t in set(self.tokens(s.text))) for s in sentences])
            ranks.append(_rank(carried))
        unranked = len(chunk_rank) + 1
        prior = np.array([min(chunk_rank.get(c, unranked) for c in s.chunk_ids) for s in sentences], dtype=float)
        ranks.append(_rank(-prior))
        return sum(1.0 / (k + 1 + r) for r in ranks)

    def windows(
        self, sentences: Sequence[_Sentence], segments: Sequence[_Segment], scores: np.ndarray
    ) -> dict[int, list[tuple[int, int]]]:
        """Per segment, the ``[first, last]`` sentence ranges chosen, best sentences first, in budget."""
        sizes = _Sizes(segments, self.count_tokens)
        chosen: dict[int, list[tuple[int, int]]] = {}
        spent = 0
        for pos in np.argsort(-scores, kind="stable"):
            s = sentences[int(pos)]
            last = len(segments[s.segment].sentences) - 1
            lo, hi = max(0, s.index - self.neighbours), min(last, s.index + self.neighbours)
            ranges = chosen.get(s.segment, [])
            if any(a <= s.index <= b for a, b in ranges):
                continue
            merged = [(a, b) for a, b in ranges if b + 1 < lo or a > hi + 1]
            touching = [(a, b) for a, b in ranges if not (b + 1 < lo or a > hi + 1)]
            new = (min([lo] + [a for a, _ in touching]), max([hi] + [b for _, b in touching]))
            old_cost = sum(sizes[(s.segment, i)] for a, b in touching for i in range(a, b + 1))
            cost = sum(sizes[(s.segment, i)] for i in range(new[0], new[1] + 1)) - old_cost
            if spent + cost > self.budget:
                if not chosen:  # the best sentence always goes in, alone if need be
                    chosen[s.segment] = [(s.index, s.index)]
                    spent = sizes[(s.segment, s.index)]
                continue
            chosen[s.segment] = sorted(merged + [new])
            spent += cost
            if spent >= self.budget:
                break
        return chosen

    def passages(
        self,
        picked: dict[int, list[tuple[int, int]]],
        segments: Sequence[_Segment],
        sentences: Sequence[_Sentence],
        scores: np.ndarray,
        ranked: Sequence[Passage],
        reports: Sequence[str],
        chunk_rank: dict[str, int],
    ) -> list[Passage]:
        """One passage per report, its windows in reading order, in the retrieval's report order."""
        score_of = {(s.segment, s.index): float(scores[i]) for i, s in enumerate(sentences)}
        best_of_doc = {}
        for p in ranked:
            best_of_doc.setdefault(p.doc_id, p)
        out = []
        for doc_id in reports:
            parts, focus, best = [], [], None
            for si, seg in enumerate(segments):
                if seg.doc_id != doc_id or si not in picked:
                    continue
                for a, b in picked[si]:
                    parts.append(" ".join(seg.sentences[i][0] for i in range(a, b + 1)))
                    for i in range(a, b + 1):
                        score = score_of.get((si, i), float("-inf"))
                        if best is None or score > best[0]:
                            holders = seg.sentences[i][1]
                            best = (score, min(holders, key=lambda c: chunk_rank.get(c, len(chunk_rank) + 1)))
                    top = max(range(a, b + 1), key=lambda i: score_of.get((si, i), float("-inf")))
                    focus.append(seg.sentences[top][0])
            if not parts or best is None:
                continue
            head = best_of_doc[doc_id]
            chunk = next((p for p in ranked if p.chunk_id == best[1]), head)
            out.append(replace(head, text=GAP.join(parts), chunk_id=best[1], score=chunk.score, focus=tuple(focus)))
        return out


class _Sizes(dict):
    """Tokens of sentence ``(segment, index)``, counted when first asked for."""

    def __init__(self, segments: Sequence[_Segment], count: Callable[[str], int]) -> None:
        super().__init__()
        self.segments, self.count = segments, count

    def __missing__(self, key: tuple[int, int]) -> int:
        value = self[key] = self.count(self.segments[key[0]].sentences[key[1]][0])
        return value


def _rank(values: np.ndarray) -> np.ndarray:
    """0 for the highest value; ties share the best rank (how many values are strictly higher)."""
    ordered = np.sort(values)
    return len(values) - np.searchsorted(ordered, values, side="right")


def _chunk_index(chunk_id: str) -> int | None:
    tail = chunk_id.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None
