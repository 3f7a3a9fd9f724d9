"""Keyword search: a BM25 index (bm25s) over the store's chunks, kept consistent with the store.

The index is built from ``store.iter_chunks()`` and cached on disk under the data directory, keyed
by the store's location; it is rebuilt whenever the store's *fingerprint* changes (the sorted ids
and chunk counts of its complete documents, plus the tokenizer and alias table versions). The
same code serves the embedded store and a Chroma server.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.retrieve.aliases import AliasTable
from qa.store.chroma import ReportStore
from qa.text.words import STOPWORDS
from qa.text.words import stem as _stem

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "2"
_WORD = re.compile(r"\w+(?:[-\u2010\u2011'\u2019.,]\w+)*")
_SPLIT = re.compile(r"[-\u2010\u2011'\u2019]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@functools.lru_cache(maxsize=200_000)
def _word_tokens(raw: str) -> tuple[str, ...]:
    """One compound like ``Tehrik-i-Taliban``, ``18,500`` or ``Emirate's`` -> its search tokens."""
    if raw[-2:] in ("'s", "\u2019s"):
        raw = raw[:-2]
    if _NUMBER.fullmatch(raw):
        return (raw.replace(",", ""),)
    lower = raw.lower()
    if lower in STOPWORDS:
        # "IS" (Islamic State), "US": capital acronyms that collide with stopwords stay distinct.
        return (raw,) if raw.isupper() and len(raw) >= 2 else ()
    parts = [p for p in _SPLIT.split(lower) if p]
    joined = "".join(parts).replace(".", "").replace(",", "")
    tokens = [_stem(joined)]
    if len(parts) > 1:
        tokens += [_stem(p) for p in parts if p not in STOPWORDS and len(p) > 1]
    return tuple(tokens)


def tokenize(text: str, aliases: AliasTable | None = None) -> list[str]:
    """Lower-cased words without stopwords, plurals folded, plus one token per actor mentioned."""
    tokens = [t for m in _WORD.finditer(text) for t in _word_tokens(m.group())]
    if aliases is not None:
        tokens += [match.group.token for match in aliases.find(text)]
    return tokens


def quiet_bm25s() -> None:
    """bm25s sets its own logger to DEBUG on import ("Building index from tokens" on every build):
    it follows ours instead, WARNING unless the root logger is at DEBUG (``--debug``)."""
    root = logging.getLogger().getEffectiveLevel()
    logging.getLogger("bm25s").setLevel(logging.DEBUG if root <= logging.DEBUG else logging.WARNING)


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float


class LexicalIndex:
    """BM25 over chunk texts, with each chunk's doc and date for filtering in numpy."""

    def __init__(
        self, ids: np.ndarray, doc_codes: np.ndarray, doc_ids: list[str], dates: np.ndarray, bm25: Any
    ) -> None:
        self.ids = ids
        self.doc_codes = doc_codes
        self.doc_ids = doc_ids
        self.dates = dates
        self.bm25 = bm25
        self._doc_index = {d: i for i, d in enumerate(doc_ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def rarity(self, token: str) -> float:
        """Inverse chunk frequency of a search token: log((N + 1) / (df + 1)), 0 for an empty index."""
        if self.bm25 is None:
            return 0.0
        column = self.bm25.vocab_dict.get(token)
        n = len(self.ids)
        if column is None:
            return math.log(n + 1)
        indptr = self.bm25.scores["indptr"]
        end = indptr[column + 1] if column + 1 < len(indptr) else len(self.bm25.scores["data"])
        return math.log((n + 1) / (int(end - indptr[column]) + 1))

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, str, dict[str, Any]]], aliases: AliasTable | None) -> LexicalIndex:
        import bm25s

        quiet_bm25s()
        ids, corpus, doc_codes, dates, doc_index = [], [], [], [], {}
        for chunk_id, text, meta in chunks:
            meta = meta or {}
            doc_id = str(meta.get("doc_id", chunk_id.split(":")[0]))
            ids.append(chunk_id)
            corpus.append(tokenize(f"{meta.get('title') or ''}\n{text or ''}", aliases) or ["@empty"])
            doc_codes.append(doc_index.setdefault(doc_id, len(doc_index)))
            dates.append(int(meta.get("published_ts") or 0))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        return cls(
            np.array(ids, dtype=str),
            np.array(doc_codes, dtype=np.int32),
            list(doc_index),
            np.array(dates, dtype=np.int32),
            bm25,
        )

    def mask(self, since: int | None, until: int | None, doc_ids: Sequence[str] | None) -> np.ndarray | None:
        """1.0 for chunks that pass the filters, else 0.0; None when nothing is filtered.

        Undated chunks never pass a date filter, as in the store's ``where``."""
        if since is None and until is None and doc_ids is None:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if since is not None or until is not None:
            keep &= self.dates > 0
        if since is not None:
            keep &= self.dates >= since
        if until is not None:
            keep &= self.dates <= until
        if doc_ids is not None:
            codes = [self._doc_index[d] for d in doc_ids if d in self._doc_index]
            keep &= np.isin(self.doc_codes, np.array(codes, dtype=np.int32))
        return keep.astype(np.float32)

    def search(self, tokens: Sequence[str], k: int, mask: np.ndarray | None = None) -> list[LexicalHit]:
        """The ``k`` best chunks for ``tokens`` (only those with a positive score), best first."""
        if self.bm25 is None or not tokens:
            return []
        token_ids = self.bm25.get_tokens_ids(list(dict.fromkeys(tokens)))
        if not token_ids:
            return []
        scores = self.bm25.get_scores_from_ids(token_ids, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [LexicalHit(str(self.ids[i]), float(scores[i])) for i in top if scores[i] > 0]

    # -- disk cache ---------------------------------------------------------------------------
    def save(self, directory: Path, fingerprint: str) -> None:
        """Write to a temporary sibling, then swap it in: readers never see half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=directory.parent))
        try:
            np.save(tmp / "ids.npy", self.ids)
            np.save(tmp / "doc_codes.npy", self.doc_codes)
            np.save(tmp / "dates.npy", self.dates)
            (tmp / "doc_ids.json").write_text(json.dumps(self.doc_ids))
            if self.bm25 is not None:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            (tmp / "fingerprint").write_text(fingerprint)
            old = directory.with_name(directory.name + f".old-{os.getpid()}-{time.monotonic_ns()}")
            if directory.exists():
                directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, fingerprint: str) -> LexicalIndex | None:
        """The cached index in ``directory`` if it was built for ``fingerprint``, else None."""
        import bm25s

        try:
            if (directory / "fingerprint").read_text() != fingerprint:
                return None
            bm25 = None
            if (directory / "bm25").is_dir():
                bm25 = bm25s.BM25.load(str(directory / "bm25"), mmap=False, show_progress=False, verbosity=0)
            return cls(
                np.load(directory / "ids.npy"),
                np.load(directory / "doc_codes.npy"),
                json.loads((directory / "doc_ids.json").read_text()),
                np.load(directory / "dates.npy"),
                bm25,
            )
        except (OSError, ValueError, KeyError) as exc:
            log.info("lexical cache in %s unreadable (%s): rebuilding", directory, exc)
            return None


def store_fingerprint(store: ReportStore, aliases: AliasTable | None) -> str:
    """Sorted complete doc ids with their chunk counts, plus tokenizer and alias versions."""
    pairs = sorted(f"{i}:{n}" for i, n in store.chunk_counts().items())
    digest = hashlib.sha256("\n".join(pairs).encode("utf-8"))
    digest.update(f"|tok{TOKENIZER_VERSION}|aliases:{aliases.digest() if aliases else '-'}".encode())
    return digest.hexdigest()[:24]


def cache_key(location: str, collection: str) -> str:
    """A directory name for one store: embedded path or server URL, plus the collection."""
    slug = re.sub(r"\W+", "-", collection).strip("-")[:40] or "collection"
    return f"{slug}-{hashlib.sha256(f'{location}|{collection}'.encode()).hexdigest()[:12]}"


BACKGROUND_CHUNKS = 5_000  # from this size a changed store's index is rebuilt in the background


class LexicalSearch:
    """The store's BM25 index, loaded from the disk cache or rebuilt when the store changes.

    Before every query the store's change token (one lookup, written by every document write or
    removal) and its document count are compared with those the index was checked against; the
    full fingerprint (which reads every document record: a quarter of a second at 10k documents)
    is recomputed only when one of them moved. A replaced chunk that is still in a stale index
    can be *scored* but never returned: hits are read back from the store by id.

    A store of ``background`` chunks or more (a rebuild takes seconds there: 31 s at 100k) is
    rebuilt in a background thread when it changes: questions keep the previous index (dense
    retrieval already sees the new documents) and the keyword side sees them once the new index is
    swapped in. A smaller store is rebuilt before the question, as it takes under a second."""

    def __init__(
        self,
        store: ReportStore,
        cache_dir: Path | None,
        aliases: AliasTable | None = None,
        *,
        background: int = BACKGROUND_CHUNKS,
    ) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self.aliases = aliases
        self.background = background
        self._index: LexicalIndex | None = None
        self._fingerprint: str | None = None
        self._seen: tuple[str, int] | None = None
        self._wanted: str | None = None  # the fingerprint a background rebuild is working towards
        self._builder: threading.Thread | None = None
        self._lock = threading.Lock()

    def tokens(self, query: str) -> list[str]:
        return tokenize(query, self.aliases)

    def rarity(self, text: str) -> float:
        """How rare a word or name is in the store: the highest rarity of its search tokens."""
        index = self._index or self.index()  # the index the question was just searched with
        return max((index.rarity(t) for t in tokenize(text)), default=0.0)

    def token_rarity(self, token: str) -> float:
        """The rarity of one search token (from :meth:`tokens`) in the index last searched."""
        return (self._index or self.index()).rarity(token)

    def index(self) -> LexicalIndex:
        """The current index (checked against the store; rebuilt if it changed, in the background
        for a large store)."""
        with self._lock:
            seen = (self.store.generation(), self.store.document_count())
            if self._index is not None and seen == self._seen:
                return self._index
            fingerprint = store_fingerprint(self.store, self.aliases)
            self._seen = seen
            if self._index is not None and fingerprint == self._fingerprint:
                return self._index
            if self._index is not None and len(self._index) >= self.background:
                self._wanted = fingerprint
                if self._builder is None:
                    self._builder = threading.Thread(target=self._rebuild, name="lexical-rebuild", daemon=True)
                    self._builder.start()
                return self._index  # the previous index until the new one is ready
            self._index = self._load_or_build(fingerprint)
            self._fingerprint = fingerprint
            return self._index

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild to finish (tests, benchmarks, shutdown)."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    def _rebuild(self) -> None:
        while True:
            with self._lock:
                fingerprint = self._wanted
            try:
                index = self._load_or_build(fingerprint, verify=True)
            except Exception:  # the store went away: keep the previous index, try at the next change
                log.warning("background rebuild of the lexical index failed", exc_info=True)
                with self._lock:
                    self._builder, self._seen = None, None
                return
            with self._lock:
                self._index, self._fingerprint = index, fingerprint
                if self._wanted == fingerprint:
                    self._builder = None
                    return

    def _load_or_build(self, fingerprint: str, verify: bool = False) -> LexicalIndex:
        """The index for ``fingerprint``: from the disk cache, else built (and cached). ``verify``
        (a background build, seconds long): cache it only if the store did not change meanwhile."""
        if self.cache_dir is not None:
            cached = LexicalIndex.load(self.cache_dir, fingerprint)
            if cached is not None:
                log.info("lexical index: %d chunks from %s", len(cached), self.cache_dir)
                return cached
        started = time.perf_counter()
        index = LexicalIndex.build(self.store.iter_chunks(), self.aliases)
        log.info("lexical index: built over %d chunks in %.2fs", len(index), time.perf_counter() - started)
        if verify and store_fingerprint(self.store, self.aliases) != fingerprint:
            # the store changed while it was read: this index is not the one the fingerprint names,
            # so it is used but never cached under it (the next question sees the change and rebuilds)
            self._seen = None
            return index
        if self.cache_dir is not None:
            try:
                index.save(self.cache_dir, fingerprint)
            except OSError as exc:  # a read-only data dir still answers, just rebuilds next time
                log.warning("could not cache the lexical index in %s: %s", self.cache_dir, exc)
        return index
