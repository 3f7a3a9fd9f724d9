"""The project's gold question set (eval/questions.jsonl) and its corpus are well-formed."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
CORPUS = EVAL_DIR / "corpus"
TYPES = {
    "factoid",
    "numeric",
    "date",
    "alias",
    "date_bound",
    "latest",
    "follow_up",
    "unanswerable",
    "near_miss",
}
UNANSWERABLE = {"unanswerable", "near_miss"}


def load_questions() -> list[dict]:
    lines = (EVAL_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def metadata(path: Path) -> dict[str, str]:
    """Front matter keys of a .md report, or the Title: header of a plain-text one."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        block = text[4 : text.index("\n---\n", 4)]
        pairs = (line.split(":", 1) for line in block.splitlines() if ":" in line)
        return {key.strip(): value.strip().strip('"') for key, value in pairs}
    first = text.splitlines()[0]
    return {"title": first.removeprefix("Title:").strip()} if first.startswith("Title:") else {}


QUESTIONS = load_questions()
ANSWERABLE = [q for q in QUESTIONS if q["type"] not in UNANSWERABLE]
DOCS = sorted(p for p in CORPUS.iterdir() if p.suffix in {".md", ".txt"})


def golds(question: dict) -> list[str]:
    answer = question["answer"]
    return [answer] if isinstance(answer, str) else answer


def test_every_question_has_the_required_fields():
    for q in QUESTIONS:
        assert {"id", "question", "answer", "sources", "type"} <= q.keys(), q
        assert q["type"] in TYPES, q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert isinstance(q["sources"], list), q["id"]


def test_ids_are_unique_slugs():
    ids = [q["id"] for q in QUESTIONS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)


def test_counts_per_type():
    counts = Counter(q["type"] for q in QUESTIONS)
    assert len(ANSWERABLE) >= 45
    assert counts["follow_up"] >= 5
    assert counts["unanswerable"] >= 10
    assert counts["near_miss"] >= 30
    assert all(counts[t] for t in TYPES)


def test_unanswerable_questions_have_no_answer_and_no_sources():
    for q in QUESTIONS:
        if q["type"] in UNANSWERABLE:
            assert q["answer"] is None and q["sources"] == [], q["id"]


def test_answerable_questions_have_answers_and_sources():
    for q in ANSWERABLE:
        assert golds(q) and all(isinstance(g, str) and g.strip() for g in golds(q)), q["id"]
        assert q["sources"], q["id"]


def test_every_source_is_a_corpus_file():
    names = {p.name for p in DOCS}
    for q in QUESTIONS:
        assert set(q["sources"]) <= names, q["id"]


@pytest.mark.parametrize("question", ANSWERABLE, ids=lambda q: q["id"])
def test_answer_appears_verbatim_in_a_source(question):
    texts = [(CORPUS / name).read_text(encoding="utf-8").lower() for name in question["sources"]]
    assert any(g.lower() in text for g in golds(question) for text in texts)


def test_date_bound_questions_have_an_as_of_after_their_sources():
    for q in QUESTIONS:
        if q["type"] != "date_bound":
            continue
        as_of = date.fromisoformat(q["as_of"])
        for name in q["sources"]:
            published = metadata(CORPUS / name).get("published")
            assert published and date.fromisoformat(published) <= as_of, q["id"]


def test_date_bound_answers_change_with_the_date():
    by_question: dict[str, set[str]] = {}
    for q in QUESTIONS:
        if q["type"] == "date_bound":
            stem = q["question"].split(",", 1)[1]
            by_question.setdefault(stem, set()).add(golds(q)[0])
    assert all(len(answers) > 1 for answers in by_question.values())


def test_follow_ups_carry_a_history_of_turns():
    for q in QUESTIONS:
        if q["type"] == "follow_up":
            history = q["history"]
            assert history and history[-1]["role"] == "assistant", q["id"]
            assert [t["role"] for t in history] == ["user", "assistant"] * (len(history) // 2), q["id"]


def test_corpus_size_and_metadata():
    assert len(DOCS) >= 10
    for path in DOCS:
        meta = metadata(path)
        assert meta.get("title"), path.name
        if path.suffix == ".md":
            date.fromisoformat(meta["published"])
            assert meta.get("source") and meta.get("fictional") == "true", path.name
            assert re.match(r"https://(www\.)?example\.(org|com)/", meta["url"]), path.name


def test_fictional_reports_are_short():
    for path in DOCS:
        if path.suffix == ".md":
            assert 1500 <= len(path.read_text(encoding="utf-8")) <= 3500, path.name
