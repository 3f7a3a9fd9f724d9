"""``conflict-qa eval`` end to end: three tiny reports, five questions, a fake chat model.

The numbers below are computed by hand from the fake replies (see each question's comment).
"""

from __future__ import annotations

import json
from math import log2
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from qa.cli import app
from qa.eval.dataset import DatasetError, load_questions
from qa.eval.scoring import SUMMARY_KEYS
from tests.fakes import RecordingChatModel

DOCS = {
    "flood.md": (
        "Kelmar valley floods destroy the Varo bridge",
        "2024-03-04",
        "Floods in the Kelmar valley destroyed the Varo bridge on 3 March 2024. Local officials said "
        "212 families were displaced and the valley road was closed to traffic.",
    ),
    "ceasefire.md": (
        "Norland army and Ashet militia sign ceasefire",
        "2024-05-10",
        "The Norland army and the Ashet militia signed a ceasefire in Port Ilvan on 9 May 2024. "
        "Mediators said prisoner exchanges would begin within a month.",
    ),
    "harvest.md": (
        "Dunmore wheat harvest",
        "2024-07-01",
        "The wheat harvest in Dunmore province yielded 40,000 tonnes this year, the agriculture "
        "office said, despite a dry spring.",
    ),
}
QUESTIONS = [
    # retrieval: gold first; answer "The Varo bridge [1]." -> EM 1, F1 1, citations 1/1, 1/1 sentences cited
    {
        "id": "bridge",
        "question": "Which bridge did the Kelmar valley floods destroy?",
        "answer": "Varo bridge",
        "sources": ["flood.md"],
        "type": "factoid",
    },
    # two gold sources, one not in the corpus: recall@4 1/2, nDCG 1/(1+1/log2 3);
    # answer: F1 2/5 (2 of 8 tokens), contains 1, citation recall 1/2, 1 of 2 sentences cited
    {
        "id": "signed",
        "question": "Where was the ceasefire between the Norland army and the Ashet militia signed?",
        "answer": ["Port Ilvan"],
        "sources": ["ceasefire.md", "missing-report.md"],
        "type": "factoid",
    },
    # follow-up: the model is asked for a rewrite first; answer "40,000 tonnes [1]." -> F1 2/3, contains 1
    {
        "id": "tonnes",
        "question": "How many tonnes did it yield?",
        "answer": "40,000",
        "sources": ["harvest.md"],
        "type": "follow_up",
        "history": [
            {"role": "user", "content": "Tell me about the wheat harvest in Dunmore province."},
            {"role": "assistant", "content": "It was a good harvest."},
        ],
    },
    # off-topic: retrieval finds nothing relevant, the chain refuses without calling the model
    {"id": "cake", "question": "Best recipe for lemon cake?", "answer": None, "sources": [], "type": "unanswerable"},
    # near miss the fake model wrongly answers: a wrong non-refusal, its citation counts as wrong
    {
        "id": "rebuilt",
        "question": "How many bridges were rebuilt in the Kelmar valley after the floods?",
        "sources": [],
        "type": "near_miss",
    },
]
REPLIES = [
    "The Varo bridge [1].",
    "It was signed in Port Ilvan [1]. Talks continue.",
    "How many tonnes did the Dunmore province wheat harvest yield?",
    "40,000 tonnes [1].",
    "Two bridges were rebuilt [1].",
]

NDCG_SIGNED = 1 / (1 + 1 / log2(3))
RETRIEVAL = {
    "n": 5,
    "hits@1": 1.0,
    "hits@4": 1.0,
    "hits@10": 1.0,
    "recall@4": 2.5 / 3,
    "mrr@10": 1.0,
    "ndcg@10": (2 + NDCG_SIGNED) / 3,
    "answer_in_context@4": 1.0,
}
ANSWERS = {
    "exact_match": 1 / 3,
    "f1": (1 + 2 / 5 + 2 / 3) / 3,
    "contains": 1.0,
    "citation_precision": 3 / 4,
    "citation_recall": 2.5 / 3,
    "refusal_precision": 1.0,
    "refusal_recall": 0.5,
}


@pytest.fixture
def gold(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (title, published, body) in DOCS.items():
        (corpus / name).write_text(f"---\ntitle: {title}\npublished: {published}\n---\n\n{body}\n", encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return questions, corpus


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch):
    """Run ``conflict-qa eval`` in-process; the chat model is a fresh fake replaying REPLIES."""
    made: list[object] = []

    def fake_model(settings):
        made.append(FakeListChatModel(responses=list(REPLIES)))
        return made[-1]

    monkeypatch.setattr("qa.backends.chat.make_chat_model", fake_model)
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(tmp_path / "configured-store"))
    # The replies are scored as given: the sentence check (tested in test_trust.py) is off here.
    monkeypatch.setenv("CONFLICT_QA_VERIFY", "false")

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(app, ["eval", *args])
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    run.models = made
    return run


def test_full_run_writes_reports_with_hand_computed_numbers(gold, run_cli, tmp_path):
    questions, corpus = gold
    out = tmp_path / "out"
    result = run_cli(str(questions), "--corpus", str(corpus), "--out", str(out), "--json")

    summary = json.loads(result.stdout)
    assert list(summary) == list(SUMMARY_KEYS)
    assert summary == pytest.approx({**RETRIEVAL, **ANSWERS})
    assert run_cli.models[0].i == 0  # all five replies used (it cycles back): 4 answers + 1 rewrite

    report = json.loads((out / "report.json").read_text())
    agg = report["aggregates"]
    assert agg["cited_sentence_share"] == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    assert agg["false_refusal_rate"] == 0.0 and agg["accuracy"] == pytest.approx(4 / 5)
    assert agg["total_s_p50"] is not None and agg["retrieve_s_p95"] is not None
    config = report["config"]
    assert config["chunk_size"] == 200 and config["chunk_overlap"] == 30 and config["top_k"] == 4
    assert config["prompt_hash"] and config["model"] and config["retrieval_mode"]
    rows = {r["id"]: r for r in report["questions"]}
    assert rows["tonnes"]["answer"]["rewritten_question"] == REPLIES[2]
    assert rows["tonnes"]["scores"]["f1"] == pytest.approx(2 / 3)
    assert rows["cake"]["answer"]["abstained"] is True and rows["cake"]["scores"]["correct"] is True
    assert rows["rebuilt"]["scores"]["citation_precision"] == 0.0
    assert report["by_type"]["factoid"] == pytest.approx(
        {"n": 2, "hits@4": 1.0, "mrr@10": 1.0, "contains": 1.0, "accuracy": 1.0}
    )

    markdown = (out / "report.md").read_text()
    assert "| hits@4 | 1.000 |" in markdown and "| exact_match | 0.333 |" in markdown
    worst = markdown.split("## Worst questions")[1]
    assert "rebuilt" in worst and "answered an unanswerable question" in worst and "| bridge |" not in worst
    for name in ("hits_at_k.png", "latency.png", "by_type.png", "refusal_tradeoff.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in markdown


def test_retrieval_only_scores_retrieval_and_never_calls_the_model(gold, tmp_path, monkeypatch):
    questions, corpus = gold

    def no_model(settings):
        raise AssertionError("retrieval-only must not build a chat model")

    monkeypatch.setattr("qa.backends.chat.make_chat_model", no_model)
    result = CliRunner().invoke(
        app,
        ["eval", str(questions), "--corpus", str(corpus), "--retrieval-only", "--out", str(tmp_path / "ro"), "--json"],
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary) == list(SUMMARY_KEYS)
    assert summary == pytest.approx({**RETRIEVAL, **{k: None for k in ANSWERS}})
    assert (tmp_path / "ro" / "report.md").exists()


def test_run_eval_retrieval_only_leaves_a_given_model_alone(gold, settings, store):
    from ingest.service import run_ingest
    from qa.eval.runner import run_eval

    questions, corpus = gold
    run_ingest(settings, store, [str(corpus)])
    model = RecordingChatModel.replying("should never be used")
    report = run_eval(load_questions(questions), settings=settings, store=store, chat_model=model, retrieval_only=True)
    assert model.calls == []
    assert all(r.answer is None for r in report.rows)
    # without a model, a follow-up is searched with its earlier user turns
    assert report.rows[2].query.startswith("Tell me about the wheat harvest")


def test_limit_and_compare_print_deltas(gold, run_cli, tmp_path):
    questions, corpus = gold
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"aggregates": {"n": 2, "hits@1": 0.5, "mrr@10": 0.75, "f1": None}}))
    result = run_cli(
        str(questions),
        "--corpus",
        str(corpus),
        "--retrieval-only",
        "--first",
        "2",
        "--out",
        str(tmp_path / "o"),
        "--compare",
        str(old),
    )
    assert "hits@1" in result.stdout and "+0.500" in result.stdout and "+0.250" in result.stdout
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["aggregates"]["n"] == 2 and [r["id"] for r in report["questions"]] == ["bridge", "signed"]
    assert "Compared with the earlier report" in (tmp_path / "o" / "report.md").read_text()

    as_json = run_cli(
        str(questions),
        "--corpus",
        str(corpus),
        "--retrieval-only",
        "--first",
        "2",
        "--out",
        str(tmp_path / "o2"),
        "--compare",
        str(old),
        "--json",
    )
    assert json.loads(as_json.stdout)["n"] == 2  # stdout stays one JSON object; the deltas go to stderr
    assert "+0.500" in as_json.stderr


def _typed(tmp_path: Path, types: list[str]) -> Path:
    path = tmp_path / "typed.jsonl"
    rows = [{"id": f"q{i}", "question": f"Question {i}?", "type": t} for i, t in enumerate(types)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_limit_draws_every_question_type_the_same_way_each_time(tmp_path):
    path = _typed(tmp_path, ["factoid"] * 20 + ["near_miss"] * 5 + ["out_of_corpus"] * 3)
    sample = load_questions(path, sample=6)
    assert len(sample) == 6
    assert sorted(q.type for q in sample) == ["factoid"] * 2 + ["near_miss"] * 2 + ["out_of_corpus"] * 2
    assert [q.id for q in sample] == [q.id for q in load_questions(path, sample=6)]  # seeded
    assert [q.id for q in sample] == sorted((q.id for q in sample), key=lambda i: int(i[1:]))  # file order
    assert [q.id for q in load_questions(path, sample=6, seed=1)] != [q.id for q in sample]
    assert len(load_questions(path, sample=100)) == 28  # more than the file holds: all of it


def test_limit_and_first_are_one_or_the_other(gold, run_cli, tmp_path):
    questions, corpus = gold
    result = run_cli(str(questions), "--retrieval-only", "--limit", "2", "--first", "2", code=1)
    assert "give one of them" in str(result.exception)


def test_empty_configured_store_says_what_to_do(gold, run_cli, tmp_path):
    questions, _ = gold
    result = CliRunner().invoke(app, ["eval", str(questions), "--retrieval-only", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "conflict-qa ingest" in str(result.exception)


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"answer": "x"}', "'question' must be a non-empty string"),
        ('{"question": "q", "as_of": "6 April"}', "is not a date"),
        ('{"question": "q", "history": [{"role": "bot", "content": "hi"}]}', "'history' must be a list"),
        ('{"question": "q", "answer": 5}', "'answer' must be a string or a list of strings"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_question_lines_name_the_line(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "fine"}\n' + line + "\n")
    with pytest.raises(DatasetError, match=message) as info:
        load_questions(path)
    assert f"{path}:2" in str(info.value)


def test_questions_parse_answers_history_and_defaults(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps(
            {
                "question": " Who? ",
                "answer": ["A", "B"],
                "sources": "a.md",
                "as_of": "2024-04-06",
                "history": [{"role": "user", "content": "hi"}],
            }
        )
        + "\n\n"
        + '{"question": "Why?"}\n'
    )
    first, second = load_questions(path)
    assert (first.id, first.question, first.answers, first.sources) == ("q1", "Who?", ("A", "B"), ("a.md",))
    assert first.as_of == "2024-04-06" and first.history == (("user", "hi"),) and first.type == "untyped"
    assert second.id == "q3" and second.unanswerable
    assert load_questions(path, limit=1) == [first]


def test_judge_asks_yes_or_no_without_markers():
    from qa.eval.judge import Judge

    model = RecordingChatModel.replying("Yes, it matches.", "No.", "Probably.")
    judge = Judge(model)
    assert judge("Which bridge?", ["Varo bridge", "the Varo"], "The Varo bridge [1].") == 1.0
    assert "Reference answer: Varo bridge / the Varo" in model.last_prompt
    assert "Candidate answer: The Varo bridge.\n" in model.last_prompt
    assert judge("Which bridge?", ["Varo bridge"], "The Kel bridge [1].") == 0.0
    assert judge("Which bridge?", ["Varo bridge"], "A bridge.") is None  # no verdict: left out of the mean


def test_replaying_the_checks_on_a_run_without_them_gives_the_run_with_them(gold, run_cli, tmp_path, monkeypatch):
    """benchmarks/checks_replay.py scores the gate and checks on recorded drafts: the same refusals
    and answers as running the chain with them (no model verifier: it needs the model)."""
    from benchmarks.checks_replay import replay

    questions, corpus = gold
    monkeypatch.setenv("CONFLICT_QA_VERIFY_WITH_MODEL", "false")
    monkeypatch.setenv("CONFLICT_QA_GATE", "false")
    run_cli(str(questions), "--corpus", str(corpus), "--out", str(tmp_path / "raw"), "--json")
    monkeypatch.setenv("CONFLICT_QA_GATE", "true")
    monkeypatch.setenv("CONFLICT_QA_VERIFY", "true")
    run_cli(str(questions), "--corpus", str(corpus), "--out", str(tmp_path / "checked"), "--json")
    checked = {
        q["id"]: q["answer"] for q in json.loads((tmp_path / "checked" / "report.json").read_text())["questions"]
    }
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(tmp_path / "raw" / "store"))
    from qa.factory import DEFAULT_CHECKS

    agg, stages, rows = replay(
        tmp_path / "raw" / "report.json", questions, None, tmp_path / "raw" / "store", DEFAULT_CHECKS, "names", 0.5, 0.0
    )
    assert {r.gold.id: r.answer.abstained for r in rows} == {k: v["abstained"] for k, v in checked.items()}
    assert {r.gold.id: r.answer.refused_by for r in rows} == {k: v["refused_by"] for k, v in checked.items()}
    assert {r.gold.id: r.answer.text for r in rows if not r.answer.abstained} == {
        k: v["text"] for k, v in checked.items() if not v["abstained"]
    }
    assert agg["n"] == len(QUESTIONS) and sum(s["refusals"] for s in stages.values()) == sum(
        r.answer.abstained for r in rows
    )
    # citation precision split by where it is lost: right answers and the others part the cited
    # answers, and every cited answer to an unanswerable question is among the others
    cited = [r for r in rows if r.scores.get("citation_precision") is not None]
    others = agg["cited_answers_wrong_or_unanswerable"]
    assert others >= sum(r.gold.unanswerable for r in cited)
    parts = [
        (agg["citation_precision_right_answers"], len(cited) - others),
        (agg["citation_precision_other_answers"], others),
    ]
    assert agg["citation_precision"] * len(cited) == pytest.approx(sum((p or 0.0) * n for p, n in parts))


def test_plots_leave_out_what_a_run_cannot_compute_and_say_why(gold, settings, store, tmp_path):
    from ingest.service import run_ingest
    from qa.eval.plots import left_out, write_plots
    from qa.eval.runner import run_eval

    questions, corpus = gold
    run_ingest(settings, store, [str(corpus)])
    answerable = [q for q in load_questions(questions) if not q.unanswerable]
    report = run_eval(answerable, settings=settings, store=store, retrieval_only=True)
    assert left_out(report)["recall"] == "no unanswerable question in this run"
    assert "false_refusal_rate" not in left_out(report)
    paths = write_plots(report, tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    full = run_eval(load_questions(questions), settings=settings, store=store, retrieval_only=True)
    assert "recall" not in left_out(full)
