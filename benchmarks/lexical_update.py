"""The first question after an ingest: keyword index rebuilt before it (small stores) or in the
background (large ones), at 1k / 10k / 100k chunks.

For each size a synthetic store (``benchmarks/retrieval.py``'s: made-up words, random vectors
written straight into Chroma) gets 50 new documents (500 chunks), then one question is timed
with three retrievers over the same store: the index rebuilt before the question (the rule below
``BACKGROUND_CHUNKS``), rebuilt in the background (the rule at and above it), and, as the baseline
of the same run, a question with no change to catch up on. The figure is the extra time of the
first question, and how long the background rebuild took to make the new documents searchable.

    .venv/bin/python benchmarks/lexical_update.py [--sizes 1000 10000 100000]

Writes benchmarks/results/lexical_update.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, offline, write_result  # noqa: E402
from benchmarks.retrieval import CHUNKS_PER_DOC, DIM, build, words  # noqa: E402

NEW_DOCS = 50


def add_documents(store, first_doc: int, n_docs: int, seed: int = 5) -> None:
    """``n_docs`` new documents through ``write_documents`` (pending, chunks, complete), as ingest writes."""
    from qa.store.chroma import DocRecord

    rng = np.random.default_rng(seed)
    rows = []
    for d in range(first_doc, first_doc + n_docs):
        doc_id = f"n{d:07d}"
        rec = DocRecord(doc_id=doc_id, source=f"new-{d}.md", title=f"New report {d}", published="2025-01-01")
        ids = [f"{doc_id}:{c:05d}" for c in range(CHUNKS_PER_DOC)]
        texts = [" ".join(words(rng, 120)) + (" Zorbakh dam" if c == 0 else "") for c in range(CHUNKS_PER_DOC)]
        metas = [
            {"doc_id": doc_id, "title": rec.title, "source": rec.source, "published": "2025-01-01", "chunk": c}
            for c in range(CHUNKS_PER_DOC)
        ]
        vecs = rng.standard_normal((CHUNKS_PER_DOC, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        rows.append((rec, ids, texts, metas, vecs.tolist()))
    store.write_documents(rows)


def run_size(n_chunks: int, tmp: Path) -> dict:
    from qa.factory import make_store
    from qa.retrieve.hybrid import HybridRetriever
    from qa.retrieve.lexical import LexicalSearch
    from qa.settings import Settings

    settings = Settings(data_dir=tmp / f"s{n_chunks}", chroma_url=None, _env_file=None)
    store = make_store(settings)
    build(store, n_chunks)
    cache = settings.data_dir / "lexical"
    # each its own disk cache: one must not load the index another just built
    before = LexicalSearch(store, cache / "before", None, background=10**12)  # rebuilt before the question
    behind = LexicalSearch(store, cache / "behind", None, background=0)  # rebuilt in the background
    unchanged = LexicalSearch(store, cache / "unchanged", None)
    retrievers = {
        name: HybridRetriever(store, top_k=4, min_relevance=-1.0, lexical=lexical)
        for name, lexical in (("before", before), ("background", behind), ("unchanged", unchanged))
    }
    question = "Where was the Zorbakh dam breached?"
    for r in retrievers.values():
        r.retrieve(question)  # indexes built (or loaded), embedder warm
    baseline = []
    for _ in range(5):
        started = time.perf_counter()
        retrievers["unchanged"].retrieve(question)
        baseline.append(time.perf_counter() - started)
    add_documents(store, 0, NEW_DOCS)
    first = {}
    for name in ("before", "background"):
        started = time.perf_counter()
        retrievers[name].retrieve(question)
        first[name] = time.perf_counter() - started
    started = time.perf_counter()
    behind.wait()
    caught_up = time.perf_counter() - started
    hit = behind.index().search(behind.tokens("Zorbakh"), 5)
    base = statistics.median(baseline)
    return {
        "chunks": n_chunks,
        "question_s_unchanged": round(base, 3),
        "first_question_s_rebuilt_before": round(first["before"], 3),
        "first_question_s_background": round(first["background"], 3),
        "extra_s_rebuilt_before": round(first["before"] - base, 3),
        "extra_s_background": round(first["background"] - base, 3),
        "background_searchable_after_s": round(first["background"] + caught_up, 2),
        "new_documents_found_after_rebuild": bool(hit),
    }


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = ap.parse_args()
    info = machine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rows.append(run_size(n, Path(tmp)))
            r = rows[-1]
            print(
                f"{n:>7} chunks: first question +{r['extra_s_rebuilt_before']:.2f} s rebuilt before it, "
                f"+{r['extra_s_background']:.2f} s with the background rebuild (new documents searchable "
                f"after {r['background_searchable_after_s']:.1f} s)",
                flush=True,
            )
    print(f"wrote {write_result('lexical_update.json', {'new_documents': NEW_DOCS, 'sizes': rows}, info)}")


if __name__ == "__main__":
    main()
