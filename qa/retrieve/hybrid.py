"""Hybrid retrieval: dense plus BM25 keyword search fused by reciprocal rank, with actor aliases,
a preference for newer reports when the question asks for the latest (older ones when it asks what
the first report said), and per-document diversity.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qa.retrieve.aliases import AliasTable
from qa.retrieve.dense import Bounds, Retriever, nothing_found, passage_from, with_note
from qa.retrieve.lexical import LexicalSearch
from qa.retrieve.recency import as_of_in, asks_for_earliest, asks_for_latest
from qa.retrieve.windows import SentenceWindows
from qa.store.chroma import ReportStore, date_key
from qa.text.question import read_question
from qa.text.terms import name_found
from qa.types import Filters, Passage, Retrieval

log = logging.getLogger(__name__)


@dataclass
class _Candidate:
    chunk_id: str
    text: str
    meta: dict[str, Any]
    cosine: float
    lexical_rank: int | None = None
    fused: float = 0.0

    @property
    def doc_id(self) -> str:
        return str(self.meta.get("doc_id", self.chunk_id.split(":")[0]))

    @property
    def date(self) -> int:
        return int(self.meta.get("published_ts") or 0)

    def passage(self) -> Passage:
        return passage_from(self.chunk_id, self.text, self.meta, self.cosine)


class HybridRetriever(Retriever):
    """Dense and BM25 candidates fused by reciprocal rank (RRF), then gated and diversified.

    - Relevance: the question is answerable only if some candidate's cosine similarity reaches
      ``min_relevance`` (keyword matches alone never make an off-topic question answerable);
      a passage is kept if it reaches the bar itself or is among the ``lexical_keep`` best
      keyword hits (a rare place name or figure).
    - Aliases: a question naming one alias of an actor searches the keyword index for the actor
      (every alias maps to one token) and the dense index with the question plus other aliases.
    - Recency: for "latest / most recent / current..." questions, and any question bounded by an
      as-of date, the equally on-topic documents (fused score within ``recency_band`` of the
      best) are ordered newest first. For "according to the first report" questions, those of
      them that name every named entity of the question are ordered oldest first.
    - Diversity: at most ``per_doc`` passages from one document unless fewer documents match.
    """

    def __init__(
        self,
        store: ReportStore,
        *,
        top_k: int = 4,
        min_relevance: float = 0.25,
        lexical: LexicalSearch | None = None,
        aliases: AliasTable | None = None,
        recency: bool = True,
        per_doc: int = 2,
        pool: int = 30,
        rrf_k: int = 60,
        recency_band: float = 0.93,
        lexical_keep: int = 3,
        dense_expansion: str = "append",
        windows: SentenceWindows | None = None,
    ) -> None:
        super().__init__(store, top_k=top_k, min_relevance=min_relevance, windows=windows)
        if per_doc < 1:
            raise ValueError(f"per_doc must be at least 1, got {per_doc}")
        if dense_expansion not in ("none", "append", "average"):
            raise ValueError(f"dense_expansion must be none, append or average, got {dense_expansion!r}")
        self.lexical = lexical
        self.aliases = aliases
        self.recency = recency
        self.per_doc = per_doc
        self.pool = pool
        self.rrf_k = rrf_k
        self.recency_band = recency_band
        self.lexical_keep = lexical_keep
        self.dense_expansion = dense_expansion

    # -- the steps ------------------------------------------------------------------------------
    def effective_filters(self, query: str, filters: Filters) -> Filters:
        """An explicit "as of 6 April 2024" in the question bounds it like ``--as-of`` would."""
        if not self.recency or filters.as_of:
            return filters
        stated = as_of_in(query)
        return replace(filters, as_of=stated) if stated else filters

    def query_vector(self, query: str) -> np.ndarray:
        expanded = self.aliases.expand(query) if self.aliases is not None else None
        if not expanded or self.dense_expansion == "none":
            return np.asarray(self.store.embeddings.embed_query(query), dtype=np.float32)
        if self.dense_expansion == "append":
            return np.asarray(self.store.embeddings.embed_query(expanded), dtype=np.float32)
        both = np.asarray(self.store.embeddings.embed_documents([query, expanded]), dtype=np.float32)
        mean = both.mean(axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)

    def candidates(self, query: str, vector: np.ndarray, bounds: Bounds, n: int) -> list[_Candidate]:
        """Dense hits plus keyword hits (read back from the store, so deleted chunks never return)."""
        found = {
            cid: _Candidate(cid, text, meta, cos)
            for cid, text, meta, cos in self.store.search(vector.tolist(), n, bounds.where())
        }
        if self.lexical is None:
            return list(found.values())
        index = self.lexical.index()
        hits = index.search(self.lexical.tokens(query), n, index.mask(bounds.since, bounds.until, bounds.doc_ids))
        missing = [h.chunk_id for h in hits if h.chunk_id not in found]
        if missing:
            for cid, text, meta, emb in self.store.chunks_by_id(missing):
                if bounds.admits(meta or {}):
                    found[cid] = _Candidate(cid, text, meta or {}, float(np.dot(vector, np.asarray(emb))))
        for rank, hit in enumerate((h for h in hits if h.chunk_id in found), start=1):
            found[hit.chunk_id].lexical_rank = rank
        return list(found.values())

    def fuse(self, candidates: list[_Candidate], latest: bool, as_of: int | None = None) -> list[_Candidate]:
        """Reciprocal-rank fusion of the cosine ranking and the keyword ranking, best first.

        For a latest / as-of question, the documents whose best fused score is within
        ``recency_band`` of the top one (equally on-topic, by RRF's measure) come first, newest
        first; a newer report that is merely related stays in its fused place. Under an as-of date,
        the reports published by that date come before those of the grace days after it."""
        c = self.rrf_k
        by_cosine = sorted(candidates, key=lambda x: (-x.cosine, x.chunk_id))
        for rank, cand in enumerate(by_cosine, start=1):
            cand.fused = 1.0 / (c + rank) + (1.0 / (c + cand.lexical_rank) if cand.lexical_rank else 0.0)
        ranked = sorted(candidates, key=lambda x: (-x.fused, -x.cosine, x.chunk_id))
        band = self.band(ranked) if latest else set()
        if not band:
            return ranked

        def late(x: _Candidate) -> bool:
            return as_of is not None and x.date > as_of

        return sorted(
            ranked, key=lambda x: (x.doc_id not in band, late(x), -x.date if x.doc_id in band else 0, -x.fused)
        )

    def band(self, ranked: Sequence[_Candidate]) -> set[str]:
        """The equally on-topic documents: best fused score within ``recency_band`` of the top one."""
        eligible = [x for x in ranked if self.eligible(x)]
        if not eligible:
            return set()
        best: dict[str, float] = {}
        for cand in eligible:
            best.setdefault(cand.doc_id, cand.fused)
        bar = self.recency_band * eligible[0].fused
        return {doc for doc, score in best.items() if score >= bar}

    def oldest_first(self, ranked: list[_Candidate], names: Sequence[str]) -> list[_Candidate] | None:
        """For a "first report" question naming ``names`` (its named entities): the dated reports of
        the band that name every one of them (in a candidate passage or the title), oldest first,
        ahead of the rest; None when fewer than two such reports (or no names) leave nothing to
        order. An older report that is merely as close ("ISKP claims a checkpoint attack" for the
        first toll of a market bombing) stays in its fused place."""
        if not names:
            return None
        band = self.band(ranked)
        texts: dict[str, str] = {}
        dated: set[str] = set()
        for cand in ranked:
            if cand.doc_id in band:
                texts[cand.doc_id] = texts.get(cand.doc_id, str(cand.meta.get("title") or "")) + "\n" + cand.text
                if cand.date:
                    dated.add(cand.doc_id)
        first = {doc for doc in dated if all(name_found(n, texts[doc], self.aliases) for n in names)}
        if len(first) < 2:
            return None
        return sorted(ranked, key=lambda x: (x.doc_id not in first, x.date if x.doc_id in first else 0, -x.fused))

    def eligible(self, cand: _Candidate) -> bool:
        return cand.cosine >= self.min_relevance or (
            cand.lexical_rank is not None and cand.lexical_rank <= self.lexical_keep
        )

    def diversify(self, ranked: Sequence[_Candidate], k: int) -> list[_Candidate]:
        """The top ``k`` with at most ``per_doc`` per document, topped up if too few documents match."""
        chosen: list[_Candidate] = []
        per_doc: dict[str, int] = {}
        for cand in ranked:
            doc = cand.doc_id
            if per_doc.get(doc, 0) < self.per_doc:
                chosen.append(cand)
                per_doc[doc] = per_doc.get(doc, 0) + 1
                if len(chosen) == k:
                    return chosen
        taken = {x.chunk_id for x in chosen}
        chosen += [x for x in ranked if x.chunk_id not in taken][: k - len(chosen)]
        order = {id(x): i for i, x in enumerate(ranked)}
        return sorted(chosen, key=lambda x: order[id(x)])

    # -- the whole ------------------------------------------------------------------------------
    def retrieve(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        filters = self.effective_filters(query, filters or Filters())
        k = k or self.top_k
        latest = self.recency and (asks_for_latest(query) or bool(filters.as_of))
        earliest = None if latest or not self.recency or not asks_for_earliest(query) else read_question(query).entities
        actors = tuple(g.name for g in self.aliases.groups_in(query)) if self.aliases is not None else ()
        meta = dict(filters=filters, recency=latest, earliest=False, actors=actors)
        bounds, reason = self.bounds(filters)
        if reason:
            return Retrieval(query, (), empty_reason=reason, **meta)
        meta["date_note"] = note = self.date_note(filters, bounds.doc_ids)
        vector = self.query_vector(query)
        candidates = self.candidates(query, vector, bounds, max(self.pool, 4 * k))
        if not candidates:
            reason = with_note(nothing_found(bounds.where() is not None, filters), note)
            return Retrieval(query, (), empty_reason=reason, **meta)
        ranked = self.fuse(candidates, latest, date_key(filters.as_of))
        if earliest is not None:  # the model is told "oldest first" only when that order was made
            oldest = self.oldest_first(ranked, earliest)
            meta["earliest"] = oldest is not None
            ranked = oldest or ranked
        consulted = tuple(x.passage() for x in ranked[:k])
        meta["best_similarity"] = round(max(x.cosine for x in candidates), 4)
        if meta["best_similarity"] < self.min_relevance:
            reason = with_note("no passage is relevant enough to the question", note)
            return Retrieval(query, (), consulted=consulted, empty_reason=reason, **meta)
        eligible = [x for x in ranked if self.eligible(x)]
        if self.windows is not None:
            chunks = [x.passage() for x in eligible[: self.pool]]
            passages = tuple(self.windows.select(query, vector, chunks))
            return Retrieval(query, passages, consulted=consulted, **meta)
        chosen = self.diversify(eligible, k)
        return Retrieval(query, tuple(x.passage() for x in chosen), consulted=consulted, **meta)
