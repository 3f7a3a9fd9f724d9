"""Query latency of dense vs hybrid retrieval on synthetic stores of 1k / 10k / 100k chunks.

    python benchmarks/retrieval.py [--sizes 1000 10000 100000] [--queries 60]

Each store holds synthetic reports (Zipf-distributed made-up words, 10 chunks per document, random
publication dates) with random unit vectors written straight into Chroma, so building 100k chunks
does not mean embedding them. Query embedding is real MiniLM and is included in the "full"
latency; the "search" columns reuse each query's vector, isolating the search itself (the
embedder's time depends on what else the CPU is doing). Prints a table and writes
``benchmarks/results/retrieval.json``. Timings on a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402,F401  (offline environment first)
from qa.settings import Settings  # noqa: E402

CHUNKS_PER_DOC = 10
WORDS_PER_CHUNK = 120
VOCAB = 20_000
DIM = 384
QUESTIONS = [
    "What is the latest reported death toll of the bombing?",
    "Who claimed the attack on the border post?",
    "How many people were displaced by the siege?",
    "When did ISKP attack the market?",
]


def words(rng: np.random.Generator, n: int) -> list[str]:
    ranks = np.minimum(rng.zipf(1.3, n), VOCAB) - 1
    return [f"w{r}" for r in ranks]


def build(store, n_chunks: int, seed: int = 7) -> float:
    """Write ``n_chunks`` synthetic chunks (and their document records) straight into Chroma."""
    from qa.store.chroma import COMPLETE, DocRecord, clean_metadata

    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    n_docs = n_chunks // CHUNKS_PER_DOC
    batch = 5000
    records = []
    for start in range(0, n_chunks, batch):
        ids, texts, metas, vecs = [], [], [], []
        for i in range(start, min(start + batch, n_chunks)):
            doc = i // CHUNKS_PER_DOC
            day = int(rng.integers(0, 1000))
            published = np.datetime64("2022-01-01") + np.timedelta64(doc % 1000, "D")
            iso = str(published)
            ids.append(f"d{doc:07d}:{i % CHUNKS_PER_DOC:05d}")
            text = " ".join(words(rng, WORDS_PER_CHUNK))
            if i % 997 == 0:
                text += f" Tawila{day} bombing"
            texts.append(text)
            metas.append(
                clean_metadata(
                    {
                        "doc_id": f"d{doc:07d}",
                        "title": f"Report {doc}",
                        "source": f"source-{doc % 50}",
                        "published": iso,
                        "published_ts": int(iso.replace("-", "")),
                        "chunk": i % CHUNKS_PER_DOC,
                    }
                )
            )
            vec = rng.standard_normal(DIM).astype(np.float32)
            vecs.append((vec / np.linalg.norm(vec)).tolist())
            if i % CHUNKS_PER_DOC == 0:
                records.append(
                    DocRecord(
                        doc_id=f"d{doc:07d}",
                        source=f"source-{doc % 50}",
                        title=f"Report {doc}",
                        published=iso,
                        chunks=CHUNKS_PER_DOC,
                        status=COMPLETE,
                    )
                )
        store.chunks.upsert(ids=ids, documents=texts, metadatas=metas, embeddings=vecs)
    for start in range(0, n_docs, batch):
        part = records[start : start + batch]
        store.put_records(part)
    return time.perf_counter() - started


def queries(n: int, seed: int = 11) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        base = QUESTIONS[i % len(QUESTIONS)]
        out.append(f"{base} {' '.join(words(rng, 3))}")
    return out


class FixedVectors:
    """The real embedder, but each query embedded once (for the search-only timings)."""

    def __init__(self, inner) -> None:
        self.inner, self.memo = inner, {}

    def embed_query(self, text):
        if text not in self.memo:
            self.memo[text] = self.inner.embed_query(text)
        return self.memo[text]

    def embed_documents(self, texts):
        return [self.embed_query(t) for t in texts]


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def timed(retriever, qs: list[str]) -> list[float]:
    out = []
    for q in qs:
        started = time.perf_counter()
        retriever.retrieve(q)
        out.append(time.perf_counter() - started)
    return out


def run_size(n_chunks: int, n_queries: int, tmp: Path) -> dict:
    from qa.factory import make_store
    from qa.retrieve.aliases import load_aliases
    from qa.retrieve.dense import Retriever
    from qa.retrieve.hybrid import HybridRetriever
    from qa.retrieve.lexical import LexicalSearch, store_fingerprint

    settings = Settings(data_dir=tmp / f"s{n_chunks}", _env_file=None)
    store = make_store(settings)
    build_s = build(store, n_chunks)
    aliases = load_aliases()
    cache = settings.data_dir / "lexical"

    started = time.perf_counter()
    lexical = LexicalSearch(store, cache, aliases)
    lexical.index()
    index_build_s = time.perf_counter() - started
    started = time.perf_counter()
    LexicalSearch(store, cache, aliases).index()
    index_load_s = time.perf_counter() - started
    fp = []
    for _ in range(10):
        started = time.perf_counter()
        store_fingerprint(store, aliases)
        fp.append(time.perf_counter() - started)

    dense = Retriever(store, top_k=4, min_relevance=-1.0)
    hybrid = HybridRetriever(store, top_k=4, min_relevance=-1.0, lexical=lexical, aliases=aliases)
    qs = queries(n_queries)
    timed(dense, qs[:3]), timed(hybrid, qs[:3])  # warm up
    result = {
        "chunks": n_chunks,
        "build_store_s": round(build_s, 1),
        "lexical_index_build_s": round(index_build_s, 2),
        "lexical_index_load_s": round(index_load_s, 3),
        "fingerprint": percentiles(fp),
        "dense_full": percentiles(timed(dense, qs)),
        "hybrid_full": percentiles(timed(hybrid, qs)),
    }
    store.embeddings = FixedVectors(store.embeddings)
    for q in qs:
        store.embeddings.embed_query(q)
        store.embeddings.embed_query(hybrid.aliases.expand(q) or q)
    result["dense_search"] = percentiles(timed(dense, qs))
    result["hybrid_search"] = percentiles(timed(hybrid, qs))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval.json")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            print(f"building {n} chunks ...", file=sys.stderr, flush=True)
            results.append(run_size(n, args.queries, Path(tmp)))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)

    cols = ["dense_full", "hybrid_full", "dense_search", "hybrid_search"]
    print(
        f"{'chunks':>8} "
        + " ".join(f"{c + ' p50/p95 ms':>26}" for c in cols)
        + f" {'fingerprint p50':>16} {'bm25 build s':>12}"
    )
    for r in results:
        cells = " ".join(f"{r[c]['p50_ms']:>12.1f} / {r[c]['p95_ms']:>9.1f}" for c in cols)
        print(f"{r['chunks']:>8} {cells} {r['fingerprint']['p50_ms']:>16.1f} {r['lexical_index_build_s']:>12.1f}")
    growth = {}
    by_size = {r["chunks"]: r for r in results}
    if 10_000 in by_size and 100_000 in by_size:
        for c in cols:
            growth[c] = round(by_size[100_000][c]["p95_ms"] / by_size[10_000][c]["p95_ms"], 2)
        print("p95 growth 10k -> 100k: " + ", ".join(f"{c} x{v}" for c, v in growth.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
                "results": results,
                "p95_growth_10k_to_100k": growth,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
