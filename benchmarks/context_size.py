"""How much context the model needs: fixed chunks vs sentence windows at several token budgets.

    python benchmarks/context_size.py [--split dev] [--budgets 200 300 400 500] [--store DIR]

Over the answerable questions of a gold set (default: the real set, ``eval/real``; leave-out lists
and as-of dates honoured, a follow-up searched as "<earlier user turns> <question>"), for each
context it reports the share of questions whose gold answer occurs in the passages the model would
be given (``answer_in_context``: the ceiling on answer accuracy), the share whose source report is
among them, the mean passage text in tokens of the default model's tokenizer (when installed, else
characters / 4) and in the embedder's word pieces, and the mean time to build the context as a
ratio against fixed chunks in the same run. Prompt evaluation runs at ~70 tokens/s on 2 cores, so
every 100 tokens of context is ~1.4 s before the first token of a new question.

``--store`` reuses a store that already holds the corpus (e.g. an eval run's ``RUN/store``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import machine, offline, write_result  # noqa: E402

offline()

from qa.settings import Settings  # noqa: E402

REAL = ROOT / "eval" / "real"


def token_counter(settings: Settings):
    """Tokens as the default model counts them (its vocabulary only), else characters / 4."""
    try:
        from llama_cpp import Llama

        from qa.backends.chat import resolve_model_path

        llm = Llama(model_path=resolve_model_path(settings), vocab_only=True, verbose=False)
        return lambda text: len(llm.tokenize(text.encode(), add_bos=False)), "model tokens"
    except Exception:  # noqa: BLE001 - a missing model only changes the unit
        return lambda text: len(text) / 4, "characters / 4"


def measure(settings: Settings, store, questions, count, label: str) -> dict:
    from qa.eval.metrics import contains_gold
    from qa.eval.runner import retrieval_query
    from qa.eval.scoring import doc_key
    from qa.factory import make_retriever
    from qa.store.embeddings import count_tokens
    from qa.types import Filters

    retriever = make_retriever(settings, store)
    found, sourced, tokens, pieces, counts, seconds = [], [], [], [], [], []
    for q in questions:
        filters = Filters(as_of=q.as_of, exclude=q.leave_out)
        started = time.perf_counter()
        passages = retriever.retrieve(retrieval_query(q, None), filters).passages
        seconds.append(time.perf_counter() - started)
        found.append(any(contains_gold(p.text, q.answers) for p in passages))
        sourced.append(any(doc_key(p, q.sources) in q.sources for p in passages))
        tokens.append(sum(count(p.text) for p in passages))
        pieces.append(sum(count_tokens(p.text) - 2 for p in passages))
        counts.append(len(passages))
    n = len(questions) or 1
    return {
        "context": label,
        "answer_in_context": round(sum(found) / n, 3),
        "source_in_context": round(sum(sourced) / n, 3),
        "passage_tokens": round(statistics.mean(tokens or [0])),
        "passage_tokens_p90": round(sorted(tokens)[int(0.9 * (len(tokens) - 1))]) if tokens else 0,
        "word_pieces": round(statistics.mean(pieces or [0])),
        "passages": round(statistics.mean(counts or [0]), 2),
        "build_s": round(statistics.mean(seconds or [0]), 4),
        "missed": [q.id for q, hit in zip(questions, found) if not hit],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=REAL / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=REAL / "corpus")
    parser.add_argument("--split", default="dev", help="dev | test | all")
    parser.add_argument("--budgets", type=int, nargs="+", default=[200, 300, 400, 500])
    parser.add_argument("--top-k", type=int, default=4, help="fixed chunks: how many")
    parser.add_argument("--store", type=Path, default=None, help="a data dir that already holds the corpus")
    args = parser.parse_args()

    from qa.eval.dataset import load_questions
    from qa.factory import make_store

    info = machine()
    split = None if args.split == "all" else args.split
    questions = [q for q in load_questions(args.questions, split=split) if not q.unanswerable]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.store or Path(tmp)
        base = Settings(data_dir=data_dir, chroma_url=None, _env_file=None)
        store = make_store(base)
        if args.store is None:
            from ingest.service import run_ingest

            report = run_ingest(base, store, [str(args.corpus)])
            print(f"ingested {store.document_count()} documents ({len(report.failed)} failed)")
        count, unit = token_counter(base)
        rows = [measure(base.model_copy(update={"top_k": args.top_k}), store, questions, count, f"{args.top_k} chunks")]
        for budget in args.budgets:
            settings = base.model_copy(update={"context_tokens": budget})
            rows.append(measure(settings, store, questions, count, f"windows {budget}"))
    base_s = rows[0]["build_s"] or 1e-9
    print(f"{len(questions)} answerable questions ({args.split}); passage text in {unit}")
    print(f"{'context':<14} {'answer in':>9} {'source in':>9} {'tokens':>7} {'p90':>6} {'passages':>8} {'build':>7}")
    for r in rows:
        r["build_ratio"] = round(r["build_s"] / base_s, 2)
        print(
            f"{r['context']:<14} {r['answer_in_context']:9.3f} {r['source_in_context']:9.3f} "
            f"{r['passage_tokens']:7d} {r['passage_tokens_p90']:6d} {r['passages']:8.2f} {r['build_ratio']:6.2f}x"
        )
    name = f"context_size_{args.split}.json"
    path = write_result(name, {"unit": unit, "split": args.split, "questions": len(questions), "rows": rows}, info)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
