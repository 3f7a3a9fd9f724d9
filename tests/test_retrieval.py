"""The parts of retrieval that need no model: aliases, tokens, dates in questions, filters, fusion."""

from __future__ import annotations

import pytest

from qa.retrieve.aliases import load_aliases
from qa.retrieve.dense import Bounds
from qa.retrieve.hybrid import HybridRetriever, _Candidate
from qa.retrieve.lexical import LexicalIndex, tokenize
from qa.retrieve.recency import as_of_in, asks_for_earliest, asks_for_latest
from qa.types import Filters

ALIASES = load_aliases()


# -- aliases ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, group",
    [
        ("Who founded ISIS-K?", "ISIS-K"),
        ("an ISKP statement", "ISIS-K"),
        ("IS-K claimed it", "ISIS-K"),
        ("isil-kp fighters", "ISIS-K"),
        ("the Islamic State Khorasan Province", "ISIS-K"),
        ("Wilayat Khorasan", "ISIS-K"),
        ("the Islamic Emirate of Afghanistan", "Taliban"),
        ("an IEA spokesman", "Taliban"),
        ("Tehrik-i-Taliban Pakistan", "TTP"),
        ("the Pakistani Taliban", "TTP"),
        ("IS fighters", "Islamic State"),
        ("Daesh", "Islamic State"),
        ("the Sand Brigade", "Katibat al-Ramla"),
    ],
)
def test_every_alias_names_its_actor(text, group):
    assert [g.name for g in ALIASES.groups_in(text)] == [group]


def test_longest_alias_wins():
    assert [g.name for g in ALIASES.groups_in("Islamic State Khorasan Province and Pakistani Taliban")] == [
        "ISIS-K",
        "TTP",
    ]


@pytest.mark.parametrize("text", ["What is the toll?", "This is it.", "Is it over?", "this island"])
def test_is_only_matches_as_a_capital_acronym(text):
    assert ALIASES.groups_in(text) == ()


def test_expansion_names_other_aliases_but_not_ambiguous_short_ones():
    expanded = ALIASES.expand("What did Daesh do?")
    assert expanded.startswith("What did Daesh do? (also known as: ") and "ISIS" in expanded
    assert " IS," not in expanded and "Daesh," not in expanded
    assert ALIASES.expand("Who won the match?") is None


def test_bad_alias_file_says_what_to_fix(tmp_path):
    from qa.errors import ConflictQAError

    bad = tmp_path / "a.yaml"
    bad.write_text("- just a list\n")
    with pytest.raises(ConflictQAError, match="groups"):
        load_aliases(bad)
    with pytest.raises(ConflictQAError, match="CONFLICT_QA_ALIASES_FILE"):
        load_aliases(tmp_path / "missing.yaml")


def test_user_group_with_the_same_name_replaces_the_bundled_one(tmp_path):
    mine = tmp_path / "a.yaml"
    mine.write_text("groups:\n  - name: TTP\n    aliases: [TTP, Tehreek]\n")
    table = load_aliases(mine)
    assert [g.name for g in table.groups_in("the Tehreek")] == ["TTP"]
    assert table.groups_in("Pakistani Taliban")[0].name == "Taliban"


# -- tokens -----------------------------------------------------------------------------------
def test_tokens_fold_case_plurals_and_number_separators():
    assert tokenize("Soldiers killed; 18,500 displaced") == ["soldier", "kill", "18500", "displac"]
    assert tokenize("soldier kills 18500 displaced") == ["soldier", "kill", "18500", "displac"]


def test_capital_is_survives_but_the_stopword_does_not():
    assert tokenize("IS fighters") == ["IS", "fighter"]
    assert tokenize("it is the attack") == ["attack"]


def test_every_alias_of_an_actor_shares_one_token():
    tokens = {t for t in tokenize("ISKP", ALIASES) if t.startswith("@")}
    assert tokens == {t for t in tokenize("Islamic State Khorasan Province", ALIASES) if t.startswith("@")}
    assert tokens and tokens.isdisjoint(tokenize("Daesh", ALIASES))


# -- dates in questions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "What is the latest toll?",
        "When did it most recently reopen?",
        "Who controls the town now?",
        "What is the current situation?",
        "How many remain displaced?",
        "Is the road still closed?",
    ],
)
def test_latest_questions_are_recognised(question):
    assert asks_for_latest(question)


@pytest.mark.parametrize(
    "question", ["Who claimed the attack?", "How many were killed on 1 April 2024?", "Read Flash Update No. 6"]
)
def test_other_questions_are_not_latest(question):
    assert not asks_for_latest(question)


@pytest.mark.parametrize(
    ("question", "earliest"),
    [
        ("How many people did the Tawila bombing kill according to the first report?", True),
        ("What toll did the initial reports give?", True),
        ("How many were initially reported missing?", True),
        ("What did the earliest accounts say?", True),
        ("How many people were in the first convoy?", False),  # first of convoys, not of reports
        ("Who first entered the town?", False),
        ("What is the latest toll, and what did the first report say?", False),  # latest decides
    ],
)
def test_first_report_questions_are_recognised(question, earliest):
    assert asks_for_earliest(question) is earliest


@pytest.mark.parametrize(
    "question, iso",
    [
        ("As of 6 April 2024, how many had died?", "2024-04-06"),
        ("as of April 6, 2024 how many?", "2024-04-06"),
        ("How many had fled by 30 September 2024?", "2024-09-30"),
        ("Toll as of 2024-04-06?", "2024-04-06"),
        ("How many died on 6 April 2024?", None),
        ("As of 31 February 2024?", None),
    ],
)
def test_as_of_dates_in_questions(question, iso):
    assert as_of_in(question) == iso


# -- filters ----------------------------------------------------------------------------------
def test_bounds_take_the_earlier_of_until_and_as_of_with_its_grace_days():
    class Store:
        def records(self):
            return []

    from qa.retrieve.dense import Retriever

    bounds, reason = Retriever(Store()).bounds(Filters(since="2024-01-01", until="2024-06-30", as_of="2024-05-01"))
    assert reason is None and (bounds.since, bounds.until) == (20240101, 20240504), "as of 1 May admits 4 May"
    assert bounds.where() == {"$and": [{"published_ts": {"$gte": 20240101}}, {"published_ts": {"$lte": 20240504}}]}
    bounds, _ = Retriever(Store()).bounds(Filters(until="2024-05-02", as_of="2024-05-01"))
    assert bounds.until == 20240502, "an earlier --until still wins"
    assert Retriever(Store()).bounds(Filters(source="x"))[1] == "no loaded document's source matches 'x'"


def test_python_filter_matches_the_where_clause():
    bounds = Bounds(since=20240101, until=20240501, doc_ids=("a",))
    assert bounds.admits({"published_ts": 20240301, "doc_id": "a"})
    assert not bounds.admits({"published_ts": 20240601, "doc_id": "a"})
    assert not bounds.admits({"published_ts": 20240301, "doc_id": "b"})
    assert not bounds.admits({"doc_id": "a"}), "undated chunks never pass a date filter"
    assert Bounds().admits({"doc_id": "z"})


def test_keyword_mask_filters_dates_docs_and_undated_chunks():
    chunks = [
        ("a:0", "Tawila market", {"doc_id": "a", "published_ts": 20240401}),
        ("b:0", "Tawila market", {"doc_id": "b", "published_ts": 20250401}),
        ("c:0", "Tawila market", {"doc_id": "c"}),
    ]
    index = LexicalIndex.build(chunks, None)
    everything = [h.chunk_id for h in index.search(["tawila"], 5)]
    assert sorted(everything) == ["a:0", "b:0", "c:0"]
    assert [h.chunk_id for h in index.search(["tawila"], 5, index.mask(None, 20241231, None))] == ["a:0"]
    assert [h.chunk_id for h in index.search(["tawila"], 5, index.mask(None, None, ["b"]))] == ["b:0"]
    assert index.search(["tawila"], 5, index.mask(None, None, [])) == []
    assert index.search(["nowhere"], 5) == []


def test_empty_store_has_an_empty_keyword_index():
    index = LexicalIndex.build([], None)
    assert len(index) == 0 and index.search(["x"], 3) == []


# -- fusion and diversity ----------------------------------------------------------------------
def cand(cid: str, cosine: float, lexical_rank=None, ts: int = 20240101) -> _Candidate:
    return _Candidate(cid, "text", {"doc_id": cid.split(":")[0], "published_ts": ts}, cosine, lexical_rank)


def bare(**kw) -> HybridRetriever:
    return HybridRetriever(store=None, top_k=4, **kw)


def test_agreement_between_dense_and_keywords_wins():
    ranked = bare().fuse([cand("a:0", 0.60), cand("b:0", 0.55, lexical_rank=1), cand("c:0", 0.50)], latest=False)
    assert [x.chunk_id for x in ranked] == ["b:0", "a:0", "c:0"]


def test_latest_puts_the_newest_of_the_equally_relevant_first():
    pool = [cand("old:0", 0.60, 1, 20240401), cand("new:0", 0.58, 2, 20250401), cand("off:0", 0.30, None, 20260101)]
    assert bare().fuse(pool, latest=False)[0].chunk_id == "old:0"
    ranked = bare().fuse(pool, latest=True)
    assert [x.chunk_id for x in ranked][:2] == ["new:0", "old:0"]
    assert ranked[-1].chunk_id == "off:0", "a newer but off-topic report does not jump ahead"


def test_at_most_two_chunks_per_document_unless_too_few_documents():
    ranked = [cand("a:0", 0.9), cand("a:1", 0.8), cand("a:2", 0.7), cand("b:0", 0.6), cand("a:3", 0.5)]
    assert [x.chunk_id for x in bare().diversify(ranked, 3)] == ["a:0", "a:1", "b:0"]
    assert [x.chunk_id for x in bare().diversify(ranked, 4)] == ["a:0", "a:1", "a:2", "b:0"]


def test_bad_parameters_are_refused_with_the_value():
    with pytest.raises(ValueError, match="per_doc must be at least 1, got 0"):
        bare(per_doc=0)
    with pytest.raises(ValueError, match="dense_expansion"):
        bare(dense_expansion="sum")
