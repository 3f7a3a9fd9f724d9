"""Sentence windows: what storing each sentence's vector at ingest buys a question, and costs ingest.

Two measurements, each a ratio against a baseline of the same run:

- **Retrieval** (questions of the real gold set, in the real store): the time to retrieve with
  sentence windows when the sentences' vectors were stored at ingest, against embedding them on
  the fly (a fresh cache for each: what a new question in a fresh app pays), and against fixed
  chunks. Both window paths must give the same passages.
- **Ingest** (a sample of the real corpus into fresh stores): ingest with sentence vectors
  (``context_tokens`` set) against ingest of the chunks alone.

    .venv/bin/python benchmarks/windows_build.py [--store DIR] [--questions 24] [--docs 40]

``--store`` is a data dir that holds the real corpus with sentence vectors (re-ingesting the
corpus with CONFLICT_QA_CONTEXT_TOKENS set fills them in); without it the corpus is ingested into
a temporary one first. Writes benchmarks/results/windows_build.json.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, offline, write_result  # noqa: E402

REAL = Path(__file__).resolve().parents[1] / "eval" / "real"


class _WithoutStoredVectors:
    """The store as one ingested without sentence vectors looks to the windows."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        if name == "sentence_vectors":
            raise AttributeError(name)
        return getattr(self._store, name)


def retrieval(store, settings, questions) -> dict:
    from qa.factory import make_retriever
    from qa.types import Filters

    chunks = make_retriever(settings.model_copy(update={"context_tokens": 0}), store)
    stored = make_retriever(settings, store)
    embedded = make_retriever(settings, store)
    embedded.windows.store = _WithoutStoredVectors(store)
    for r in (chunks, stored, embedded):  # load the indexes and the model once
        r.retrieve("warm-up question about the reports")
    seconds: dict[str, list[float]] = {"chunks": [], "stored": [], "embedded": []}
    same = 0
    for i, q in enumerate(questions):
        filters = Filters(as_of=q.as_of, exclude=q.leave_out)
        order = [("chunks", chunks), ("stored", stored), ("embedded", embedded)]
        got = {}
        for name, r in order if i % 2 else order[::-1]:  # interleaved: load changes hit all three
            started = time.perf_counter()
            got[name] = [p.text for p in r.retrieve(q.question, filters).passages]
            seconds[name].append(time.perf_counter() - started)
        same += got["stored"] == got["embedded"]
    mean = {k: statistics.mean(v) for k, v in seconds.items()}
    return {
        "questions": len(questions),
        "retrieve_s": {k: round(v, 3) for k, v in mean.items()},
        "embedded_vs_stored": round(mean["embedded"] / mean["stored"], 2),
        "stored_vs_chunks": round(mean["stored"] / mean["chunks"], 2),
        "same_passages": same,
    }


def ingest_cost(corpus: Path, docs: int, seed: int) -> dict:
    from ingest.service import run_ingest
    from qa.factory import make_store
    from qa.settings import Settings

    files = sorted(p for p in corpus.iterdir() if p.is_file() and not p.name.startswith("."))
    sample = random.Random(seed).sample(files, min(docs, len(files)))
    seconds: dict[str, float] = {}
    sentences = 0
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "docs"
        src.mkdir()
        for f in sample:
            shutil.copy(f, src / f.name)
        for name, budget in (("chunks", 0), ("chunks_and_sentences", 300)):
            settings = Settings(data_dir=Path(tmp) / name, chroma_url=None, context_tokens=budget, _env_file=None)
            store = make_store(settings)
            started = time.perf_counter()
            report = run_ingest(settings, store, [str(src)])
            seconds[name] = time.perf_counter() - started
            assert not report.failed, report.to_json()
            sentences = max(sentences, store.count_sentences())
        chunks = store.count_chunks()
    return {
        "documents": len(sample),
        "chunks": chunks,
        "sentences": sentences,
        "ingest_s": {k: round(v, 2) for k, v in seconds.items()},
        "with_sentences_vs_chunks": round(seconds["chunks_and_sentences"] / seconds["chunks"], 2),
    }


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="a data dir holding the real corpus with sentence vectors")
    ap.add_argument("--questions", type=int, default=24, help="dev questions, a stratified sample")
    ap.add_argument("--docs", type=int, default=40, help="real documents for the ingest cost")
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from ingest.service import run_ingest
    from qa.eval.dataset import load_questions
    from qa.factory import make_store
    from qa.settings import Settings

    info = machine()
    questions = load_questions(REAL / "questions.jsonl", split="dev", sample=args.questions, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=args.store or Path(tmp), chroma_url=None, context_tokens=args.budget, _env_file=None
        )
        store = make_store(settings)
        if args.store is None or store.count_sentences() == 0:
            run_ingest(settings, store, [str(REAL / "corpus")])  # fills in sentence vectors
        result = {"budget": args.budget, "retrieval": retrieval(store, settings, questions)}
    result["ingest"] = ingest_cost(REAL / "corpus", args.docs, args.seed)
    r, i = result["retrieval"], result["ingest"]
    print(
        f"retrieve ({r['questions']} dev questions): chunks {r['retrieve_s']['chunks']} s, windows with stored "
        f"sentence vectors {r['retrieve_s']['stored']} s, embedding them {r['retrieve_s']['embedded']} s "
        f"({r['embedded_vs_stored']}x slower); same passages {r['same_passages']}/{r['questions']}"
    )
    print(
        f"ingest ({i['documents']} real documents, {i['chunks']} chunks, {i['sentences']} sentences): "
        f"chunks {i['ingest_s']['chunks']} s, with sentence vectors {i['ingest_s']['chunks_and_sentences']} s "
        f"({i['with_sentences_vs_chunks']}x)"
    )
    print(f"wrote {write_result('windows_build.json', result, info)}")


if __name__ == "__main__":
    main()
