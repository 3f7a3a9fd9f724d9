"""Hybrid retrieval (dense + BM25 + aliases + dates) over real MiniLM and a real Chroma in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.retrieve.hybrid import HybridRetriever
from qa.types import Filters

REPORTS = {
    "kandak-claim.md": (
        "ISKP claims bombing of Kandak checkpoint",
        "2024-02-10",
        "Frontier Wire",
        "ISKP said in a statement that its fighters had detonated a car bomb at the Kandak checkpoint, "
        "killing seven guards. The group published a photograph of the bomber. Local officials confirmed "
        "the blast but gave no figure for the wounded.",
    ),
    "harvest.md": (
        "Wheat harvest begins early in the northern valleys",
        "2024-03-01",
        "Farm Bulletin",
        "Farmers in the northern valleys began the wheat harvest two weeks early after a warm spring. "
        "Prices at the regional grain market fell slightly, traders said, and lorries queued at the mills.",
    ),
    "toll-first.md": (
        "Flood in Merdan district kills 12",
        "2024-05-02",
        "Valley News",
        "Flash floods swept through Merdan district on 1 May 2024, killing 12 people and destroying "
        "bridges, officials said. Rescue teams were searching for the missing.",
    ),
    "toll-later.md": (
        "Merdan flood death toll rises to 31",
        "2024-05-20",
        "Valley News",
        "The number of people killed by the Merdan district floods has risen to 31, officials said, "
        "as rescue teams recovered more bodies. Several bridges remain destroyed.",
    ),
    "border.md": (
        "Border talks resume between the two ministries",
        "2024-04-15",
        "Capital Daily",
        "Officials from the two interior ministries met to discuss patrols and trade along the border. "
        "The meeting at Qalandar crossing lasted four hours; 1,340 trucks were waiting at the gate.",
    ),
}


def write_reports(folder: Path, reports: dict = REPORTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, published, source, body) in reports.items():
        (folder / name).write_text(
            f"---\ntitle: {json.dumps(title)}\npublished: {published}\nsource: {source}\n---\n{body}\n",
            encoding="utf-8",
        )
    return folder


def ingest(settings, store, paths) -> None:
    from ingest.service import run_ingest

    report = run_ingest(settings, store, [str(p) for p in paths])
    assert not report.failed, report.to_json()


def make_hybrid(settings, store, **kw) -> HybridRetriever:
    from qa.factory import make_retriever

    retriever = make_retriever(settings, store)
    assert isinstance(retriever, HybridRetriever), "hybrid is the default retrieval"
    for key, value in kw.items():
        setattr(retriever, key, value)
    return retriever


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A read-only store of the REPORTS, shared by the tests that only query it."""
    from qa.factory import make_store
    from qa.settings import Settings

    root = tmp_path_factory.mktemp("hybrid")
    settings = Settings(data_dir=root / "data", _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(root / "reports")])
    return settings, store


def titles(result) -> list[str]:
    return [p.title for p in result.passages]


# -- aliases ----------------------------------------------------------------------------------
def test_a_report_that_only_says_iskp_is_found_for_isis_k(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("What did ISIS-K claim?")
    assert titles(result)[0] == "ISKP claims bombing of Kandak checkpoint"
    assert result.actors == ("ISIS-K",)


def test_alias_group_reaches_the_keyword_index(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    index = retriever.lexical.index()
    hits = index.search(retriever.lexical.tokens("Islamic State Khorasan Province"), 3)
    kandak = {cid for cid, _, meta in store.iter_chunks() if meta["title"].startswith("ISKP")}
    assert hits and hits[0].chunk_id in kandak


def test_user_alias_file_extends_the_table(tmp_path, settings, store):
    from qa.factory import make_retriever

    extra = tmp_path / "aliases.yaml"
    extra.write_text("groups:\n  - name: Merdan Valley\n    aliases: [Merdan, Valley of Merdan, MV]\n")
    ingest(settings, store, [write_reports(tmp_path / "r", {"toll-first.md": REPORTS["toll-first.md"]})])
    retriever = make_retriever(settings.model_copy(update={"aliases_file": extra}), store)
    assert retriever.aliases.groups_in("floods in the MV region")[0].name == "Merdan Valley"
    assert make_hybrid(settings, store).aliases.groups_in("floods in the MV region") == ()


# -- keywords ---------------------------------------------------------------------------------
def test_a_rare_place_name_ranks_its_report_first(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("What happened at Qalandar?")
    assert titles(result)[0] == "Border talks resume between the two ministries"


def test_an_exact_number_ranks_its_report_first(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("Where were 1340 trucks waiting?")
    assert titles(result)[0] == "Border talks resume between the two ministries"


def test_keyword_hits_alone_do_not_make_an_off_topic_question_answerable(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    question = "How do I bake a chocolate cake with Qalandar spices?"
    hits = retriever.lexical.index().search(retriever.lexical.tokens(question), 3)
    assert hits, "the rare token Qalandar is a strong keyword hit"
    result = retriever.retrieve(question)
    assert result.passages == () and "relevant" in result.empty_reason
    assert result.consulted, "the closest passages are still shown for inspection"


# -- dates and recency -------------------------------------------------------------------------
def test_as_of_excludes_later_reports(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    result = retriever.retrieve("How many people did the Merdan floods kill?", Filters(as_of="2024-05-10"))
    assert result.passages and all(p.published <= "2024-05-10" for p in result.passages)
    assert titles(result)[0] == "Flood in Merdan district kills 12"
    assert result.newest_published == max(p.published for p in result.passages)


def test_latest_ranks_the_newest_matching_report_first(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("What is the latest death toll of the Merdan floods?")
    assert result.recency
    assert titles(result)[0] == "Merdan flood death toll rises to 31"
    assert result.newest_published == "2024-05-20"


def test_first_report_ranks_the_oldest_report_of_the_story_first(corpus):
    settings, store = corpus
    question = "How many people did the Merdan floods kill according to the first reports?"
    result = make_hybrid(settings, store).retrieve(question)
    assert result.earliest and not result.recency
    merdan = [t for t in titles(result) if "Merdan" in t]
    assert merdan == ["Flood in Merdan district kills 12", "Merdan flood death toll rises to 31"]
    assert titles(result)[:2] == merdan, "older reports that never name Merdan stay behind"
    # without the preference, the later report (it matches "kill" and "people") comes first
    plain = make_hybrid(settings, store, recency=False).retrieve(question)
    assert not plain.earliest and titles(plain)[0] == "Merdan flood death toll rises to 31"


def test_first_report_question_naming_no_entity_keeps_the_fused_order(corpus):
    settings, store = corpus
    question = "What was the original estimate of people killed by the floods?"
    result = make_hybrid(settings, store).retrieve(question)
    plain = make_hybrid(settings, store, recency=False).retrieve(question)
    assert not result.earliest, "the model is not told the passages are oldest first"
    assert titles(result) == titles(plain)


def test_as_of_date_in_the_question_bounds_it_and_is_reported(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("As of 10 May 2024, how many had the Merdan floods killed?")
    assert result.filters.as_of == "2024-05-10"
    assert titles(result)[0] == "Flood in Merdan district kills 12"


def test_without_recency_the_question_date_is_not_a_filter(corpus):
    settings, store = corpus
    result = make_hybrid(settings, store, recency=False).retrieve("As of 10 May 2024, how many died in Merdan?")
    assert result.filters.as_of is None and not result.recency


# -- filters ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "filters, says",
    [
        (Filters(since="2030-01-01"), "since 2030-01-01"),
        (Filters(until="1999-01-01"), "until 1999-01-01"),
        (Filters(source="no-such-outlet"), "no-such-outlet"),
    ],
)
def test_a_filter_that_matches_nothing_returns_nothing_and_says_so(corpus, filters, says):
    settings, store = corpus
    result = make_hybrid(settings, store).retrieve("Qalandar crossing trucks", filters)
    assert result.passages == () and result.consulted == ()
    assert says in result.empty_reason


def test_filters_apply_to_keyword_hits(corpus):
    settings, store = corpus
    retriever = make_hybrid(settings, store)
    result = retriever.retrieve("Were bridges destroyed near the Qalandar crossing?", Filters(source="toll-"))
    assert result.passages and all("toll-" in p.source for p in result.passages)
    index = retriever.lexical.index()
    bounds, _ = retriever.bounds(Filters(until="2024-03-31"))
    hits = index.search(retriever.lexical.tokens("Qalandar"), 5, index.mask(bounds.since, bounds.until, bounds.doc_ids))
    assert hits == [], "the only Qalandar report is from April"


# -- diversity --------------------------------------------------------------------------------
def test_top_k_is_not_all_one_article_when_others_match(settings, store, tmp_path):
    long_body = " ".join(
        f"Paragraph {i}: the Merdan floods destroyed bridges, homes and fields across the district." for i in range(60)
    )
    reports = {**REPORTS, "long.md": ("Merdan floods: a long account", "2024-05-05", "Long Reads", long_body)}
    ingest(settings, store, [write_reports(tmp_path / "r", reports)])
    chunks = settings.model_copy(update={"context_tokens": 0})  # fixed chunks
    result = make_hybrid(chunks, store).retrieve("How did the Merdan floods damage bridges?", k=4)
    per_doc = {}
    for p in result.passages:
        per_doc[p.doc_id] = per_doc.get(p.doc_id, 0) + 1
    assert len(result.passages) == 4 and max(per_doc.values()) <= 2 and len(per_doc) >= 2


def test_one_matching_document_still_fills_k(settings, store, tmp_path):
    long_body = " ".join(f"Paragraph {i}: the Merdan floods destroyed bridges and homes." for i in range(60))
    ingest(
        settings, store, [write_reports(tmp_path / "r", {"long.md": ("Long", "2024-05-05", "Long Reads", long_body)})]
    )
    chunks = settings.model_copy(update={"context_tokens": 0})  # fixed chunks
    result = make_hybrid(chunks, store).retrieve("Merdan floods bridges", Filters(source="long.md"), k=4)
    assert len(result.passages) == 4 and len({p.doc_id for p in result.passages}) == 1


# -- consistency with the store -----------------------------------------------------------------
def test_keyword_index_follows_deletes_and_updates(settings, store, tmp_path):
    folder = write_reports(
        tmp_path / "r", {"a.md": ("Zorbakh report", "2024-01-01", "Wire", "Zorbakh valley clashes.")}
    )
    ingest(settings, store, [folder])
    retriever = make_hybrid(settings, store)
    first = retriever.retrieve("Zorbakh")
    old_id = first.passages[0].doc_id

    # update: same file, new content -> the old document is replaced, its chunks never come back
    write_reports(folder, {"a.md": ("Zorbakh report", "2024-01-02", "Wire", "Zorbakh valley ceasefire in Yeltrin.")})
    ingest(settings, store, [folder])
    updated = retriever.retrieve("Yeltrin ceasefire")
    assert updated.passages[0].title == "Zorbakh report" and updated.passages[0].doc_id != old_id
    assert old_id not in {p.doc_id for p in retriever.retrieve("Zorbakh clashes").passages}
    # the update kept the document and chunk counts: the store's change token is what told
    assert all(not h.chunk_id.startswith(old_id) for h in retriever.lexical.index().search(["zorbakh"], 10))

    # delete: gone from keyword and dense results alike
    store.delete_document(updated.passages[0].doc_id)
    after = retriever.retrieve("Zorbakh Yeltrin")
    assert after.passages == () and after.empty_reason == "the store is empty"


def test_deleted_chunks_are_never_returned_even_before_a_recheck(settings, store, tmp_path):
    ingest(settings, store, [write_reports(tmp_path / "r", REPORTS)])
    retriever = make_hybrid(settings, store)
    retriever.retrieve("Qalandar")  # index built
    doc = next(r for r in store.records() if r.title.startswith("Border talks"))
    index = retriever.lexical.index()
    store.delete_document(doc.doc_id)
    # simulate a writer the token missed: the index is stale but believed current
    retriever.lexical._seen = (store.generation(), store.document_count())
    assert retriever.lexical.index() is index, "no recheck yet"
    assert doc.doc_id not in {p.doc_id for p in retriever.retrieve("Qalandar crossing 1340 trucks").passages}


def test_a_write_through_another_store_handle_is_seen_without_a_full_recheck(settings, store, tmp_path, monkeypatch):
    import qa.retrieve.lexical
    from qa.factory import make_store

    ingest(settings, store, [write_reports(tmp_path / "r", REPORTS)])
    retriever = make_hybrid(settings, store)
    retriever.retrieve("Qalandar")
    fingerprints = []
    real = qa.retrieve.lexical.store_fingerprint
    monkeypatch.setattr(qa.retrieve.lexical, "store_fingerprint", lambda *a: fingerprints.append(1) or real(*a))
    for _ in range(3):
        retriever.retrieve("Qalandar")
    assert fingerprints == [], "an unchanged store is not re-fingerprinted on every query"

    other = make_store(settings)  # e.g. `conflict-qa ingest` in another process
    doc = next(r for r in other.records() if r.title.startswith("Border talks"))
    hits = lambda: {h.chunk_id.split(":")[0] for h in retriever.lexical.index().search(["qalandar"], 10)}  # noqa: E731
    assert doc.doc_id in hits()
    before = other.generation()
    other.delete_document(doc.doc_id)
    assert other.generation() != before
    assert doc.doc_id not in hits()
    assert fingerprints == [1]


def test_keyword_index_is_cached_on_disk_and_reused(corpus, monkeypatch):
    from qa.retrieve.lexical import LexicalIndex, LexicalSearch

    settings, store = corpus
    retriever = make_hybrid(settings, store)
    retriever.lexical.index()
    assert (retriever.lexical.cache_dir / "fingerprint").is_file()
    assert retriever.lexical.cache_dir.is_relative_to(settings.data_dir)

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cached index should have been loaded")

    monkeypatch.setattr(LexicalIndex, "build", no_rebuild)
    again = LexicalSearch(store, retriever.lexical.cache_dir, retriever.aliases)
    assert len(again.index()) == store.count_chunks()


def test_dense_setting_gives_the_plain_retriever(corpus):
    from qa.factory import make_retriever

    settings, store = corpus
    retriever = make_retriever(settings.model_copy(update={"retrieval": "dense"}), store)
    assert not isinstance(retriever, HybridRetriever)
    assert retriever.retrieve("Qalandar crossing").passages


# -- the chain and the CLI ---------------------------------------------------------------------
def test_follow_up_rewrite_is_what_reaches_the_retriever(corpus):
    from qa.factory import build_chain
    from tests.fakes import RecordingChatModel

    settings, store = corpus
    retriever = make_hybrid(settings, store)
    seen = []
    original = retriever.retrieve
    retriever.retrieve = lambda q, f=None, k=None: seen.append(q) or original(q, f, k)
    model = RecordingChatModel.replying("What did ISKP claim at Kandak checkpoint?", "A car bomb [1].")
    chain = build_chain(retriever, model, aliases=retriever.aliases, reports=store.document_text)
    answer = chain.ask("What did they claim there?", history=[("user", "Tell me about ISKP."), ("assistant", "ok")])
    assert seen == ["What did ISKP claim at Kandak checkpoint?"]
    assert answer.rewritten_question == seen[0]
    assert answer.passages[0].title == "ISKP claims bombing of Kandak checkpoint"


def test_a_latest_answer_states_its_newest_report(corpus):
    from qa.answer.chain import Done, Token
    from qa.factory import build_chain
    from tests.fakes import RecordingChatModel

    settings, store = corpus
    retriever = make_hybrid(settings, store)
    model = RecordingChatModel.replying("The toll rose to 31 [1].")
    chain = build_chain(retriever, model, aliases=retriever.aliases, reports=store.document_text)
    events = list(chain.stream("What is the latest death toll of the Merdan floods?"))
    answer = events[-1].answer
    assert isinstance(events[-1], Done)
    assert answer.text.endswith("Newest report used: 2024-05-20.")
    assert "".join(e.text for e in events if isinstance(e, Token)) == answer.text


def test_ask_json_carries_filters_and_passage_dates(corpus, monkeypatch, capsys):
    import qa.backends.chat
    from qa.cli import app
    from tests.fakes import RecordingChatModel

    settings, _ = corpus
    monkeypatch.setattr(qa.backends.chat, "make_chat_model", lambda s: RecordingChatModel.replying("Twelve [1]."))
    monkeypatch.delenv("CONFLICT_QA_RETRIEVAL", raising=False)
    code = app(
        [
            "--data-dir",
            str(settings.data_dir),
            "ask",
            "How many did the Merdan floods kill?",
            "--as-of",
            "2024-05-10",
            "--source",
            "toll-",
            "--json",
        ],
        standalone_mode=False,
    )
    assert code in (None, 0)
    data = json.loads(capsys.readouterr().out)
    assert data["filters"] == {"as_of": "2024-05-10", "source": "toll-"}
    assert data["passages"] and all(p["published"] <= "2024-05-10" for p in data["passages"])
    assert data["rewritten_question"] is None


@pytest.fixture
def writable(settings, store, tmp_path):
    """The REPORTS in a store of this test's own (the shared ``corpus`` is read-only)."""
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    return settings, store


def add_zorbakh(settings, store, tmp_path) -> None:
    """Ingest one new report whose word no other report has."""
    note = tmp_path / "new"
    note.mkdir()
    (note / "zorbakh.md").write_text("---\ntitle: Zorbakh\npublished: 2024-06-01\n---\nZorbakh dam breached.\n")
    ingest(settings, store, [note])


def test_a_large_store_s_keyword_index_is_rebuilt_in_the_background(writable, tmp_path, monkeypatch):
    import threading

    from qa.retrieve.lexical import LexicalIndex, LexicalSearch

    settings, store = writable
    lexical = LexicalSearch(store, tmp_path / "lex", None, background=1)  # every store counts as large
    before = lexical.index()
    gate = threading.Event()
    real_build = LexicalIndex.build.__func__

    def slow_build(cls, chunks, aliases):
        gate.wait(30)  # the rebuild waits until the test has asked its question
        return real_build(cls, chunks, aliases)

    monkeypatch.setattr(LexicalIndex, "build", classmethod(slow_build))
    add_zorbakh(settings, store, tmp_path)
    during = lexical.index()
    assert during is before, "questions keep the previous index while the new one is built"
    assert not during.search(lexical.tokens("Zorbakh"), 5)
    gate.set()
    lexical.wait(60)
    after = lexical.index()
    assert after is not before and len(after) == store.count_chunks()
    assert after.search(lexical.tokens("Zorbakh"), 5), "then the keyword side sees the new document"


def test_a_small_store_s_keyword_index_is_rebuilt_before_the_question(writable, tmp_path):
    from qa.retrieve.lexical import LexicalSearch

    settings, store = writable
    lexical = LexicalSearch(store, tmp_path / "lex", None)  # the default threshold: far above this store
    lexical.index()
    add_zorbakh(settings, store, tmp_path)
    assert lexical.index().search(lexical.tokens("Zorbakh"), 5)


def test_a_background_rebuild_that_fails_keeps_the_previous_index_and_tries_again(writable, tmp_path, monkeypatch):
    from qa.retrieve.lexical import LexicalIndex, LexicalSearch

    settings, store = writable
    lexical = LexicalSearch(store, tmp_path / "lex", None, background=1)
    before = lexical.index()
    real_build = LexicalIndex.build.__func__
    calls = []

    def flaky(cls, chunks, aliases):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("store went away")
        return real_build(cls, chunks, aliases)

    monkeypatch.setattr(LexicalIndex, "build", classmethod(flaky))
    add_zorbakh(settings, store, tmp_path)
    assert lexical.index() is before
    lexical.wait(60)  # the build failed: the previous index stays
    assert lexical.index() is before  # and this question starts the build again
    lexical.wait(60)
    assert lexical.index().search(lexical.tokens("Zorbakh"), 5) and len(calls) == 2
