"""CI floor: retrieval on the gold set must not drop under the floors in eval/floor.json."""

from __future__ import annotations

import json

from tests.conftest import ROOT

GOLD = ROOT / "eval"


def test_retrieval_on_the_gold_set_stays_above_the_floor(settings, store):
    from ingest.service import run_ingest
    from qa.eval.dataset import load_questions
    from qa.eval.runner import run_eval

    ingested = run_ingest(settings, store, [str(GOLD / "corpus")])
    assert not ingested.failed, ingested.to_json()
    report = run_eval(load_questions(GOLD / "questions.jsonl"), settings=settings, store=store, retrieval_only=True)
    floor = json.loads((GOLD / "floor.json").read_text())
    got = report.summary()
    assert got["hits@4"] >= floor["hits@4"], f"hits@4 {got['hits@4']:.3f} fell under the floor {floor['hits@4']}"
    assert got["mrr@10"] >= floor["mrr@10"], f"mrr@10 {got['mrr@10']:.3f} fell under the floor {floor['mrr@10']}"
