"""How much context the model needs: answer-in-context vs chunk size and top_k, with context tokens.

    python benchmarks/context_size.py [--chunk-sizes 100 150 200 250]

For each chunk size, ingests ``eval/corpus`` into a temporary store with the default retrieval
(hybrid + aliases + dates) and asks every answerable gold question (``as_of`` as the filter, a
follow-up as "<previous user turn> <question>"). For top_k 1..4 it reports the share of questions
whose gold answer string occurs in the first k passages — the ceiling on answer accuracy — and the
mean context the model must read, in tokens of the default model's tokenizer when it is installed
(else characters / 4). Prompt evaluation runs at ~70 tokens/s on 2 cores, so every 100 tokens of
context is ~1.4 s before the first token of a new question. Pair with ``conflict-qa eval --top-k``
for accuracy with the real model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine, write_result  # noqa: E402
from retrieval_quality import asked, load_questions  # noqa: E402

import qa  # noqa: E402,F401  (offline environment first)
from qa.settings import Settings  # noqa: E402

KS = (1, 2, 3, 4)


def token_counter(settings: Settings):
    """Tokens as the default model counts them (its vocabulary only), else characters / 4."""
    try:
        from llama_cpp import Llama

        from qa.backends.chat import resolve_model_path

        llm = Llama(model_path=resolve_model_path(settings), vocab_only=True, verbose=False)
        return lambda text: len(llm.tokenize(text.encode(), add_bos=False)), "model tokenizer"
    except Exception:  # noqa: BLE001 - a missing model only changes the unit
        return lambda text: len(text) / 4, "characters / 4"


def measure(chunk_size: int, questions: list[dict], corpus: Path, count) -> dict:
    from ingest.service import run_ingest
    from qa.eval.metrics import contains_gold
    from qa.factory import make_retriever, make_store
    from qa.types import Filters

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), chunk_size=chunk_size, chunk_overlap=min(30, chunk_size // 4), _env_file=None
        )
        store = make_store(settings)
        report = run_ingest(settings, store, [str(corpus)])
        if report.failed:
            raise SystemExit(f"ingest failed: {report.to_json()['failed']}")
        retriever = make_retriever(settings, store)
        found = {k: 0 for k in KS}
        tokens = {k: 0.0 for k in KS}
        for q in questions:
            passages = retriever.retrieve(asked(q), Filters(as_of=q.get("as_of")), max(KS)).passages
            for k in KS:
                found[k] += any(contains_gold(p.text, q["answer"]) for p in passages[:k])
                tokens[k] += sum(count(p.text) for p in passages[:k])
        n = len(questions)
        return {
            "chunks": store.count_chunks(),
            **{
                f"k={k}": {"answer_in_context": round(found[k] / n, 3), "context_tokens": round(tokens[k] / n)}
                for k in KS
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-sizes", type=int, nargs="+", default=[100, 150, 200, 250])
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "eval" / "corpus")
    args = parser.parse_args()

    info = machine()
    questions = [q for q in load_questions(args.questions) if q.get("answer")]
    count, unit = token_counter(Settings(_env_file=None))
    results = {size: measure(size, questions, args.corpus, count) for size in args.chunk_sizes}
    print(f"answer in context / mean context tokens ({unit}), {len(questions)} answerable questions")
    print(f"{'chunk':>6} {'chunks':>6} " + " ".join(f"{f'k={k}':>14}" for k in KS))
    for size, r in results.items():
        cells = " ".join(f"{r[f'k={k}']['answer_in_context']:6.3f} /{r[f'k={k}']['context_tokens']:5d}" for k in KS)
        print(f"{size:6d} {r['chunks']:6d} {cells}")
    path = write_result("context_size.json", {"unit": unit, "questions": len(questions), "results": results}, info)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
