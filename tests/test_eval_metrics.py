"""Hand-computed cases for the pure scoring functions in qa.eval.metrics."""

from math import log2

import pytest

from qa.eval.metrics import (
    answer_in_context,
    citation_precision,
    citation_recall,
    cited_sentence_share,
    contains_gold,
    dedupe_ranking,
    exact_match,
    hits_at_k,
    matches_source,
    mean_or_none,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    refusal_scores,
    token_f1,
)

# --- answers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The  Qarzai, Bazaar!", "qarzai bazaar"),
        ("An apple a day", "apple day"),
        ("18,500", "18500"),
        ("Theatre of war", "theatre of war"),
        ("", ""),
    ],
)
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_exact_match_ignores_case_punctuation_and_articles():
    assert exact_match("the Qarzai Bazaar.", ["Qarzai Bazaar"]) == 1.0


def test_exact_match_takes_the_best_of_several_golds():
    assert exact_match("57", ["40", "57"]) == 1.0
    assert exact_match("57 people", ["40", "57"]) == 0.0


def test_exact_match_accepts_a_single_gold_string():
    assert exact_match("2015", "2015") == 1.0


def test_exact_match_empty_prediction_and_no_golds():
    assert exact_match("", ["57"]) == 0.0
    assert exact_match("57", []) == 0.0


def test_token_f1_partial_overlap():
    # 1 common token; precision 1/4, recall 1/1 -> 2 * 0.25 / 1.25
    assert token_f1("at least 57 people", ["57"]) == pytest.approx(0.4)


def test_token_f1_takes_the_best_gold():
    # against "Tawila district": precision 2/3, recall 1 -> 0.8
    assert token_f1("Tawila district hospital", ["Kabul", "Tawila district"]) == pytest.approx(0.8)


def test_token_f1_counts_repeated_tokens_once_per_gold_occurrence():
    assert token_f1("57 57", ["57"]) == pytest.approx(2 / 3)


def test_token_f1_empty_cases():
    assert token_f1("", ["57"]) == 0.0
    assert token_f1("", ["the"]) == 1.0  # both normalise to nothing, as in SQuAD
    assert token_f1("57", []) == 0.0


def test_contains_gold_matches_whole_tokens_only():
    assert contains_gold("At least 57 people were killed.", ["57"]) == 1.0
    assert contains_gold("140 people were killed", ["40"]) == 0.0


def test_contains_gold_reads_figures_written_as_words():
    assert contains_gold("Fourteen people were arrested in the raid [2].", ["14"]) == 1.0
    assert contains_gold("Forty-five people were killed.", ["45"]) == 1.0
    assert contains_gold("Fourteen people were arrested.", ["40"]) == 0.0


def test_contains_gold_normalises_numbers_and_ignores_empty_golds():
    assert contains_gold("about 18,500 people fled", ["18500"]) == 1.0
    assert contains_gold("anything", ["", "the"]) == 0.0
    assert contains_gold("", ["57"]) == 0.0


def test_answer_in_context_only_looks_at_the_top_k_passages():
    passages = ["The toll rose to 63.", "Officials said 40 died.", "The toll is 57."]
    assert answer_in_context(passages, ["57"], k=2) == 0.0
    assert answer_in_context(passages, ["57"], k=3) == 1.0
    assert answer_in_context(passages, ["40", "57"], k=2) == 1.0
    assert answer_in_context([], ["57"], k=5) == 0.0


def test_answer_in_context_rejects_a_bad_k():
    with pytest.raises(ValueError, match="k is 0"):
        answer_in_context(["57"], ["57"], k=0)


# --- retrieval


def test_dedupe_ranking_keeps_first_rank():
    assert dedupe_ranking(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    assert dedupe_ranking([]) == []


def test_hits_at_k_collapses_duplicate_chunks_of_one_doc():
    # without collapsing, the top 2 would be ["a", "a"]
    assert hits_at_k(["a", "a", "b"], {"b"}, 2) == 1.0
    assert hits_at_k(["a", "a", "b"], {"b"}, 1) == 0.0


def test_recall_at_k():
    assert recall_at_k(["a", "b", "c"], {"a", "c", "d"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "b", "c"], {"a", "c", "d"}, 3) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "a", "c"], {"a", "c"}, 2) == 1.0


def test_mrr_at_k_uses_document_ranks():
    assert mrr_at_k(["x", "x", "y", "g"], {"g"}) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "x", "y", "g"], {"g"}, k=2) == 0.0
    # two gold docs: the first one found decides
    assert mrr_at_k(["x", "g1", "g2"], {"g1", "g2"}) == 0.5


def test_ndcg_at_k_binary_relevance():
    expected = (1 / log2(3) + 1 / log2(4)) / (1 + 1 / log2(3))
    assert ndcg_at_k(["x", "g1", "x", "g2"], {"g1", "g2"}) == pytest.approx(expected)
    assert ndcg_at_k(["g2", "g1", "x"], {"g1", "g2"}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"g"}) == 0.0


def test_ndcg_ideal_is_capped_at_k():
    # three gold docs but k=1: the ideal DCG counts a single relevant document
    assert ndcg_at_k(["g1", "x"], {"g1", "g2", "g3"}, k=1) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [hits_at_k, recall_at_k, mrr_at_k, ndcg_at_k])
def test_retrieval_metrics_return_none_without_gold(metric):
    assert metric(["a", "b"], set(), 5) is None


@pytest.mark.parametrize("metric", [hits_at_k, recall_at_k, mrr_at_k, ndcg_at_k])
def test_retrieval_metrics_reject_a_bad_k(metric):
    with pytest.raises(ValueError, match="k must be at least 1"):
        metric(["a"], {"a"}, 0)


# --- citations


def test_citation_precision():
    assert citation_precision(["a", "a", "b"], {"a"}) == pytest.approx(2 / 3)
    assert citation_precision([], {"a"}) is None
    assert citation_precision(["a"], set()) == 0.0


def test_citation_recall():
    assert citation_recall(["a", "a"], {"a", "b"}) == 0.5
    assert citation_recall(["a"], set()) is None
    assert citation_recall([], {"a"}) == 0.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ISIS-K was founded in 2015 [1]. It opposes the Taliban.", 0.5),
        ("ISIS-K was founded in 2015. [1] It opposes the Taliban [2].", 1.0),
        ("It was founded in 2015. [1]", 1.0),
        ("The plan requests USD 1.8 million [2]. Is it funded? Yes! [3]", 2 / 3),
        ("At least 57 were killed [1, 2].", 1.0),
        ("Founded in 2015. [1]. Next sentence.", 0.5),
        ("[1] Founded in 2015.", 1.0),
        ("No marker here", 0.0),
    ],
)
def test_cited_sentence_share(answer, expected):
    assert cited_sentence_share(answer) == pytest.approx(expected)


def test_cited_sentence_share_of_an_empty_answer_is_none():
    assert cited_sentence_share("") is None
    assert cited_sentence_share("   ") is None


def test_matches_source_by_each_field_and_by_file_name():
    kwargs = {
        "doc_id": "doc-1",
        "source": "/data/eval/corpus/isis-k-taliban.txt",
        "url": "https://example.org/a",
    }
    assert matches_source("isis-k-taliban.txt", **kwargs)
    assert matches_source("isis-k-taliban", **kwargs)
    assert matches_source("doc-1", **kwargs)
    assert matches_source("https://example.org/a", **kwargs)
    assert matches_source("/data/eval/corpus/isis-k-taliban.txt", **kwargs)


def test_matches_source_needs_an_exact_candidate():
    kwargs = {"doc_id": None, "source": "corpus/isis-k-taliban.txt", "url": None}
    assert not matches_source("ISIS-K-taliban.txt", **kwargs)
    assert not matches_source("taliban.txt", **kwargs)
    assert not matches_source("", **kwargs)
    assert not matches_source("x", doc_id=None, source=None, url=None)


# --- refusals, latency, aggregation


def test_refusal_scores_mixed():
    rows = [(True, True), (True, False), (False, True), (False, False), (False, False)]
    scores = refusal_scores(rows)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 0.5
    assert scores["false_refusal_rate"] == pytest.approx(1 / 3)


def test_refusal_scores_without_any_refusal():
    assert refusal_scores([(True, False), (False, False)]) == {
        "precision": None,
        "recall": 0.0,
        "false_refusal_rate": 0.0,
    }


def test_refusal_scores_with_only_one_kind_of_question():
    assert refusal_scores([(False, True)]) == {"precision": 0.0, "recall": None, "false_refusal_rate": 1.0}
    assert refusal_scores([(True, True)]) == {"precision": 1.0, "recall": 1.0, "false_refusal_rate": None}
    assert refusal_scores([]) == {"precision": None, "recall": None, "false_refusal_rate": None}


def test_percentile_interpolates_linearly():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([1, 2, 3, 4], 0) == 1
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile([5.0], 95) == 5.0


def test_percentile_edge_cases():
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="p is 101"):
        percentile([1], 101)


def test_mean_or_none_ignores_none():
    assert mean_or_none([1.0, None, 2.0]) == 1.5
    assert mean_or_none([0.0]) == 0.0
    assert mean_or_none([None]) is None
    assert mean_or_none([]) is None
