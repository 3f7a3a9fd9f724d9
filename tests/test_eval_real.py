"""The real gold set and what the eval does with it: splits, left-out documents, refusals by stage,
the lenient match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.eval.dataset import DatasetError, load_questions
from qa.eval.metrics import lenient_match
from qa.types import Filters
from tests.test_hybrid import REPORTS, ingest, make_hybrid, write_reports

REAL = Path(__file__).resolve().parents[1] / "eval" / "real"


def test_the_real_set_is_as_large_as_promised_and_split_by_story():
    questions = load_questions(REAL / "questions.jsonl")
    answerable = [q for q in questions if not q.unanswerable]
    assert len(answerable) >= 200
    assert len({s for q in answerable for s in q.sources}) >= 120
    assert sum(q.type == "near_miss" for q in questions) >= 60
    assert sum(q.type == "out_of_corpus" for q in questions) >= 30
    dev, test = (load_questions(REAL / "questions.jsonl", split=s) for s in ("dev", "test"))
    assert abs(len(dev) - len(test)) <= 0.1 * len(questions)
    docs = {
        split: {d for q in group for d in (*q.sources, *q.leave_out, *q.chain)}
        for split, group in (("dev", dev), ("test", test))
    }
    assert not docs["dev"] & docs["test"], "no article serves both splits"
    assert not {q.story for q in dev} & {q.story for q in test}
    corpus = {p.name for p in (REAL / "corpus").iterdir()}
    assert (docs["dev"] | docs["test"]) <= corpus


def test_every_answer_is_in_its_evidence_and_every_evidence_in_its_source():
    from qa.eval.metrics import normalize_answer

    for line in (REAL / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if not raw.get("answer"):
            continue
        texts = [normalize_answer((REAL / "corpus" / s).read_text(encoding="utf-8")) for s in raw["sources"]]
        assert any(normalize_answer(raw["evidence"]) in t for t in texts), raw["id"]
        assert lenient_match(" ".join(raw["evidence"].split()), raw["answer"]), raw["id"]


def test_a_split_that_is_not_dev_or_test_is_refused(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who?", "split": "train"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="split"):
        load_questions(path)
    path.write_text('{"question": "Who?", "split": "dev"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="no question of the 'test' split"):
        load_questions(path, split="test")


def test_left_out_documents_are_never_retrieved(settings, store, tmp_path):
    ingest(settings, store, [write_reports(tmp_path / "r", REPORTS)])
    retriever = make_hybrid(settings, store)
    question = "How many people did the Merdan floods kill?"
    assert "toll-later.md" in {Path(p.source).name for p in retriever.retrieve(question).passages}
    kept = retriever.retrieve(question, Filters(exclude=("toll-later.md",)))
    assert kept.passages and "toll-later.md" not in {Path(p.source).name for p in kept.passages + kept.consulted}
    assert "toll-first.md" in {Path(p.source).name for p in kept.passages}, "the rest of the story stays"


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        ("Finland and Sweden joined [1].", ["Sweden and Finland"], 1.0),
        ("About 12000 people fled.", ["12,000"], 1.0),
        ("The Japanese coast guard.", ["Japan"], 1.0),
        ("Zhukovskys pickup truck", ["Zhukovskyy"], 1.0),
        ("41 people died.", ["14"], 0.0),
        ("Sweden joined.", ["Sweden and Finland"], 0.0),
    ],
)
def test_lenient_match_takes_right_answers_in_other_words_only(prediction, golds, expected):
    assert lenient_match(prediction, golds) == expected


def test_refusals_are_counted_by_the_stage_that_made_them():
    from types import SimpleNamespace

    from qa.eval.scoring import by_stage

    def row(unanswerable, abstained, stage, withheld_lenient=None):
        return SimpleNamespace(
            gold=SimpleNamespace(unanswerable=unanswerable),
            answer=SimpleNamespace(abstained=abstained, refused_by=stage),
            scores={"withheld_lenient": withheld_lenient},
        )

    rows = [row(True, True, "gate"), row(False, True, "gate"), row(True, True, "relevance"), row(False, False, None)]
    rows += [row(False, True, "sentences", 0.0), row(False, True, "sentences", 1.0), row(True, True, "sentences")]
    stages = by_stage(rows)
    assert stages["gate"] == {"refusals": 2, "right": 1, "wrong": 1, "withheld_wrong": 0, "precision": 0.5}
    assert stages["relevance"]["right"] == 1 and "None" not in stages
    # withholding a wrong draft is a right refusal; withholding a right one is not
    assert stages["sentences"] == {"refusals": 3, "right": 2, "wrong": 1, "withheld_wrong": 1, "precision": 0.6667}


def test_answers_given_by_a_second_draft_are_counted_right_wrong_or_unanswerable():
    from types import SimpleNamespace

    from qa.eval.report import _second_drafts_line
    from qa.eval.scoring import second_drafts

    def row(unanswerable, abstained, redrafted, lenient=None):
        return SimpleNamespace(
            gold=SimpleNamespace(unanswerable=unanswerable),
            answer=SimpleNamespace(abstained=abstained, redrafted=redrafted),
            scores={"lenient": lenient},
        )

    rows = [row(False, False, "sentences: x", 1.0), row(False, False, "counted: y", 0.0), row(True, False, "gate: z")]
    rows += [row(False, False, None, 1.0), row(False, True, None)]
    assert second_drafts(rows) == {"given": 3, "right": 1, "wrong": 1, "unanswerable": 1}
    assert "Second drafts given" in _second_drafts_line(second_drafts(rows))
    assert _second_drafts_line(second_drafts(rows[3:])) == "", "no line when none was given"


def test_a_refusal_keeps_the_draft_it_withheld_and_the_eval_scores_it():
    from qa.eval.dataset import GoldQuestion
    from qa.eval.scoring import answer_scores
    from qa.types import Answer

    q = GoldQuestion(id="q", question="How many were wounded?", answers=("90",), sources=("a.md",))
    withheld = Answer(
        question=q.question, text="", abstained=True, refused_by="sentences", withheld="Fifteen were [1]."
    )
    assert answer_scores(q, withheld)["withheld_lenient"] == 0.0
    right = Answer(question=q.question, text="", abstained=True, refused_by="sentences", withheld="90 were [1].")
    assert answer_scores(q, right)["withheld_lenient"] == 1.0
    assert answer_scores(q, Answer(question=q.question, text="", abstained=True))["withheld_lenient"] is None
    assert Answer.from_json(right.to_json()).withheld == "90 were [1]."
