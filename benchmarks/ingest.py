"""Ingest throughput: end to end (load, chunk, embed, store) against raw MiniLM encoding of the
same texts, and the speed-up of re-ingesting an unchanged corpus.

With sentence windows on (the default ``context_tokens``), ingest embeds every sentence of each
document as well as its chunks, so the raw baseline encodes both (the chunks and the sentences the
store ended up holding); ``chunks_only`` repeats the measurement with ``context_tokens=0``.

    .venv/bin/python benchmarks/ingest.py [--docs 200] [--seed 7]

Targets: end-to-end >= 0.9x raw encode throughput; unchanged re-ingest >= 20x faster than the
first ingest. Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python benchmarks/<script>.py`

from benchmarks._common import machine, offline, rss_mb, write_result  # noqa: E402

PLACES = ["Tawila", "Pashtak", "Sabzqala", "Vorzan Pass", "Ghazband", "Bir Assaka", "Kel Amadal", "Nouadar"]
ACTORS = ["ISIS-K", "the Taliban", "TTP", "Katibat al-Ramla", "local militia", "government forces"]
VERBS = ["attacked", "besieged", "raided", "shelled", "negotiated with", "withdrew from", "ambushed"]
NOUNS = ["convoy", "market", "checkpoint", "district centre", "aid warehouse", "border post", "village"]
TAIL = [
    "officials said on condition of anonymity",
    "according to a local aid agency",
    "witnesses told reporters",
    "the provincial spokesman confirmed",
    "a statement from the ministry claimed",
]


def sentence(rng: random.Random) -> str:
    n = rng.randint(2, 900)
    return (
        f"{rng.choice(ACTORS).capitalize()} {rng.choice(VERBS)} a {rng.choice(NOUNS)} near "
        f"{rng.choice(PLACES)} on {rng.randint(1, 28)} {rng.choice(['March', 'April', 'May', 'June'])} "
        f"{rng.choice([2023, 2024, 2025])}, and at least {n} people were affected, {rng.choice(TAIL)}."
    )


def write_corpus(folder: Path, docs: int, seed: int) -> list[Path]:
    """``docs`` reports of three paragraphs (~1,800 characters each), the same for the same seed."""
    rng = random.Random(seed)
    paths = []
    for i in range(docs):
        paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(4, 6))) for _ in range(3)]
        path = folder / f"report-{i:04d}.txt"
        path.write_text(f"Title: Synthetic report {i}\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def chunk_texts(indexer, paths: list[Path]) -> list[str]:
    from ingest.chunking import chunk_document
    from ingest.loaders import load

    return [c.text for p in paths for d in load(str(p)) for c in chunk_document(d, indexer.splitter)]


def clock() -> tuple[float, float]:
    """(wall, process CPU) seconds: CPU time is steadier than wall time on shared cores."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def raw_encode(embeddings, texts: list[str]) -> tuple[float, float]:
    started = clock()
    embeddings.embed_documents(texts)
    return since(started)


def run(docs: int, seed: int, context_tokens: int | None = None) -> dict:
    from ingest.service import make_indexer, run_ingest
    from qa.factory import make_store
    from qa.settings import Settings
    from qa.store.embeddings import count_tokens

    with tempfile.TemporaryDirectory(prefix="cqa-bench-ingest-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        paths = write_corpus(corpus, docs, seed)
        settings = Settings(data_dir=Path(tmp) / "data", _env_file=None)
        if context_tokens is not None:
            settings = settings.model_copy(update={"context_tokens": context_tokens})
        store = make_store(settings)
        indexer = make_indexer(settings, store)
        count_tokens("warm up")
        store.embeddings.embed_documents(["warm up"])  # load MiniLM outside every timing
        chunks_text = chunk_texts(indexer, paths)

        started = clock()
        first = run_ingest(settings, store, [str(corpus)])
        first_s, first_cpu = since(started)
        # what ingest embedded besides the chunks: the sentences it stored (none without windows)
        sentences = []
        if settings.context_tokens:  # as the indexer splits them (ingest/indexer.py)
            from qa.retrieve.windows import report_sentences

            for chunks in store.document_chunks(first.ids("added")).values():
                sentences += dict.fromkeys(report_sentences(chunks))
        texts = chunks_text + list(sentences)
        raw_first = raw_encode(store.embeddings, texts)
        started = clock()
        again = run_ingest(settings, store, [str(corpus)])
        again_s = since(started)[0]
        raw_after = raw_encode(store.embeddings, texts)

    assert not first.failed, first.to_json()["failed"]
    raw_s = (raw_first[0] + raw_after[0]) / 2
    raw_cpu = (raw_first[1] + raw_after[1]) / 2
    chunks = first.chunks_added
    embedded = len(texts)  # chunks and sentences
    return {
        "documents": docs,
        "context_tokens": settings.context_tokens,
        "chunks": chunks,
        "sentences": len(sentences),
        "chars_per_chunk": round(sum(map(len, chunks_text)) / len(chunks_text)),
        "raw_encode_s": [round(raw_first[0], 2), round(raw_after[0], 2)],
        "raw_encode_cpu_s": [round(raw_first[1], 2), round(raw_after[1], 2)],
        "ingest_cpu_s": round(first_cpu, 2),
        "ingest_vs_raw_cpu": round(raw_cpu / first_cpu, 3),
        "raw_encode_texts_per_s": round(embedded / raw_s, 1),
        "ingest_s": round(first_s, 2),
        "ingest_chunks_per_s": round(chunks / first_s, 1),
        "ingest_texts_per_s": round(embedded / first_s, 1),
        "ingest_vs_raw": round(raw_s / first_s, 3),
        "reingest_s": round(again_s, 3),
        "reingest_skipped": len(again.ids("skipped")),
        "reingest_speedup": round(first_s / again_s, 1),
        "peak_rss_mb": round(rss_mb()[1]),
        "targets": {"ingest_vs_raw": 0.9, "reingest_speedup": 20},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    offline()
    host = machine()
    result = run(args.docs, args.seed)
    result["chunks_only"] = run(args.docs, args.seed, context_tokens=0)
    path = write_result("ingest.json", result, host)
    for r in (result, result["chunks_only"]):
        print(
            f"context_tokens={r['context_tokens']}: {r['chunks']} chunks and {r['sentences']} sentences "
            f"from {r['documents']} documents\n"
            f"raw MiniLM encode : {r['raw_encode_texts_per_s']:7.1f} texts/s\n"
            f"end-to-end ingest : {r['ingest_texts_per_s']:7.1f} texts/s ({r['ingest_chunks_per_s']:.1f} chunks/s) "
            f"= {r['ingest_vs_raw']:.2f}x raw (target >= 0.9x); by CPU time {r['ingest_vs_raw_cpu']:.2f}x\n"
            f"unchanged re-ingest: {r['reingest_s']:.2f} s = {r['reingest_speedup']:.0f}x faster (target >= 20x)"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
