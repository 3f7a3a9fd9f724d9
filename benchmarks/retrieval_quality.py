"""Retrieval quality on the gold set: Hits@1, Hits@k and MRR for dense vs hybrid variants.

    python benchmarks/retrieval_quality.py [--k 4] [--out benchmarks/results/retrieval_quality.json]

Ingests ``eval/corpus`` into a temporary store, then asks every answerable question of
``eval/questions.jsonl`` (``as_of`` passed as the ``--as-of`` filter, as the eval harness does; a
follow-up is asked as "<previous user turn> <question>", a stand-in for the LLM rewrite). A hit is a
passage from one of the question's ``sources``. For unanswerable / near-miss questions it reports
how often retrieval abstains (the relevance gate), which hybrid search must not lower.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402,F401  (offline environment first)
from qa.settings import Settings  # noqa: E402

ABSTAIN_TYPES = {"unanswerable", "near_miss"}


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def asked(q: dict) -> str:
    history = [t["content"] for t in q.get("history", []) if t["role"] == "user"]
    return f"{history[-1]} {q['question']}" if history else q["question"]


def variants(store, data_dir: Path):
    from qa.retrieve.aliases import load_aliases
    from qa.retrieve.dense import Retriever
    from qa.retrieve.hybrid import HybridRetriever
    from qa.retrieve.lexical import LexicalSearch

    aliases = load_aliases()
    plain = LexicalSearch(store, data_dir / "lex-plain", None)
    aliased = LexicalSearch(store, data_dir / "lex-aliases", aliases)

    def hybrid(**kw):
        return HybridRetriever(store, top_k=4, **kw)

    return {
        "dense": Retriever(store, top_k=4),
        "hybrid": hybrid(lexical=plain, aliases=None, recency=False),
        "hybrid+aliases(bm25 only)": hybrid(lexical=aliased, aliases=aliases, recency=False, dense_expansion="none"),
        "hybrid+aliases(append)": hybrid(lexical=aliased, aliases=aliases, recency=False, dense_expansion="append"),
        "hybrid+aliases(average)": hybrid(lexical=aliased, aliases=aliases, recency=False, dense_expansion="average"),
        "hybrid+aliases+dates": hybrid(lexical=aliased, aliases=aliases, recency=True),
        "hybrid+aliases(average)+dates": hybrid(
            lexical=aliased, aliases=aliases, recency=True, dense_expansion="average"
        ),
        "hybrid+aliases+dates(band=0.90)": hybrid(lexical=aliased, aliases=aliases, recency=True, recency_band=0.90),
        "hybrid+aliases+dates(band=0.96)": hybrid(lexical=aliased, aliases=aliases, recency=True, recency_band=0.96),
        "hybrid+aliases+dates(per_doc=1)": hybrid(lexical=aliased, aliases=aliases, recency=True, per_doc=1),
    }


class MemoEmbeddings:
    """The store's embedder with a memory: every variant asks the same questions."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.memo: dict[str, list[float]] = {}

    def embed_query(self, text: str) -> list[float]:
        if text not in self.memo:
            self.memo[text] = self.inner.embed_query(text)
        return self.memo[text]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def evaluate(retriever, questions: list[dict], source_of: dict[str, str], k: int) -> dict:
    from qa.types import Filters

    by_type: dict[str, list[float]] = defaultdict(list)
    hits1 = hitsk = rr = n = abstained = n_abstain = 0
    for q in questions:
        filters = Filters(as_of=q.get("as_of"))
        result = retriever.retrieve(asked(q), filters, k)
        if q["type"] in ABSTAIN_TYPES:
            n_abstain += 1
            abstained += not result.passages
            continue
        gold = set(q["sources"])
        ranks = [i for i, p in enumerate(result.passages[:k], 1) if source_of.get(p.doc_id) in gold]
        first = ranks[0] if ranks else None
        n += 1
        hits1 += first == 1
        hitsk += first is not None
        rr += 1 / first if first else 0
        by_type[q["type"]].append(1.0 if first == 1 else 0.0)
    return {
        "hits@1": round(hits1 / n, 3),
        f"hits@{k}": round(hitsk / n, 3),
        "mrr": round(rr / n, 3),
        "answerable": n,
        "abstain_rate_on_unanswerable": round(abstained / n_abstain, 3) if n_abstain else None,
        "hits@1_by_type": {t: round(sum(v) / len(v), 3) for t, v in sorted(by_type.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "eval" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval_quality.json")
    args = parser.parse_args()

    from ingest.service import run_ingest
    from qa.factory import make_store

    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)
        store = make_store(settings)
        report = run_ingest(settings, store, [str(args.corpus)])
        if report.failed:
            raise SystemExit(f"ingest failed: {report.to_json()['failed']}")
        source_of = {r.doc_id: Path(r.source).name for r in store.records()}
        store.embeddings = MemoEmbeddings(store.embeddings)
        results = {}
        for name, retriever in variants(store, Path(tmp)).items():
            started = time.perf_counter()
            results[name] = evaluate(retriever, questions, source_of, args.k)
            results[name]["seconds"] = round(time.perf_counter() - started, 2)
    print(f"{'variant':34} {'hits@1':>7} {f'hits@{args.k}':>7} {'mrr':>6} {'abstain':>8}  hits@1 by type")
    for name, r in results.items():
        types = " ".join(f"{t}={v:.2f}" for t, v in r["hits@1_by_type"].items())
        print(
            f"{name:34} {r['hits@1']:7.3f} {r[f'hits@{args.k}']:7.3f} {r['mrr']:6.3f} "
            f"{r['abstain_rate_on_unanswerable']:8.3f}  {types}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"k": args.k, "questions": len(questions), "results": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
