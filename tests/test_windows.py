"""Sentence windows: the best sentences of the candidate reports, with neighbours, in a token budget."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from qa.retrieve.windows import GAP, SentenceWindows, rebuild
from qa.text.sentences import split_sentences
from qa.types import Passage

FLOOD = (
    "Heavy rain fell on the hills above Merdan for three days. "
    "The river rose two metres overnight. "
    "Flash floods then swept through Merdan district, killing 31 people. "
    "Rescue teams were searching for the missing. "
    "The regional governor visited the shelters on Friday. "
    "Schools were closed for the week. "
    "Farmers said the wheat harvest was lost. "
    "Traders at the grain market expected prices to rise."
)
MARKET = (
    "The grain market in Qalandar opened late. Prices of flour rose by a tenth. Lorries queued at the mills for hours."
)


class BagEmbeddings:
    """Word-hashing vectors: cosine similarity follows shared words (a fast stand-in for MiniLM)."""

    def __init__(self) -> None:
        self.calls = 0

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(256)
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            if len(w) > 3 or w.isdigit():
                v[int(hashlib.md5(w.encode()).hexdigest(), 16) % 256] += 1
        n = np.linalg.norm(v)
        return (v / n if n else v).tolist()

    def embed_documents(self, texts):
        self.calls += 1
        return [self._vec(t) for t in texts]

    def embed_query(self, text):
        return self._vec(text)


def chunked(doc_id: str, text: str, size: int, overlap: int) -> list[tuple[str, str, dict]]:
    """Character chunks with overlap and offsets, as ingest stores them."""
    rows, start, i = [], 0, 0
    while start < len(text):
        end = min(len(text), start + size)
        rows.append((f"{doc_id}:{i:05d}", text[start:end], {"doc_id": doc_id, "chunk": i, "start": start, "end": end}))
        if end == len(text):
            break
        start, i = end - overlap, i + 1
    return rows


class FakeStore:
    def __init__(self, docs: dict[str, list[tuple[str, str, dict]]]) -> None:
        self.docs = docs
        self.embeddings = BagEmbeddings()

    def document_chunks(self, doc_ids):
        return {d: list(self.docs.get(d, [])) for d in doc_ids}


def passage(row, title: str, score: float = 0.5) -> Passage:
    cid, text, meta = row
    return Passage(text=text, doc_id=meta["doc_id"], chunk_id=cid, title=title, published="2024-05-20", score=score)


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture
def reports():
    docs = {"flood": chunked("flood", FLOOD, 120, 30), "market": chunked("market", MARKET, 200, 0)}
    return FakeStore(docs), docs


def windows(store, **kw) -> SentenceWindows:
    return SentenceWindows(store, count_tokens=words, **kw)


def test_rebuild_writes_each_overlap_once():
    rows = chunked("flood", FLOOD, 120, 30)
    assert len(rows) > 3 and rows[1][1][:30] == rows[0][1][-30:]
    text, spans = rebuild(rows)
    assert text == FLOOD
    assert all(text[a:b] == row[1] for (a, b), row in zip(spans, rows))


def test_rebuild_keeps_offsets_across_the_white_space_between_chunks():
    # ingest strips white space at chunk edges: a paragraph break between chunks is a gap
    doc = "Floods hit Merdan.\n\n\nThe toll rose to 31. Rescue went on."
    rows = [
        ("d:00000", "Floods hit Merdan.", {"chunk": 0, "start": 0, "end": 18}),
        ("d:00001", "The toll rose to 31.", {"chunk": 1, "start": 21, "end": 41}),
        ("d:00002", "Rescue went on.", {"chunk": 2, "start": 42, "end": 57}),
    ]
    assert all(doc[m["start"] : m["end"]] == t for _, t, m in rows)
    text, spans = rebuild(rows)
    assert all(text[a:b] == row[1] for (a, b), row in zip(spans, rows)), "each chunk where its offsets say"
    assert split_sentences(text) == ["Floods hit Merdan.", "The toll rose to 31.", "Rescue went on."]


def test_rebuild_without_offsets_joins_chunks_by_lines():
    rows = [("a:00000", "One.", {}), ("a:00001", "Two.", {})]
    text, spans = rebuild(rows)
    assert text == "One.\nTwo." and [text[a:b] for a, b in spans] == ["One.", "Two."]


def test_the_answer_sentence_comes_with_its_neighbours_under_the_budget(reports):
    store, docs = reports
    ranked = [passage(docs["flood"][1], "Floods"), passage(docs["market"][0], "Market", 0.3)]
    query = "How many people did the flash floods in Merdan district kill?"
    got = windows(store, budget=30, neighbours=1).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    text = got[0].text
    assert "killing 31 people" in text
    assert "The river rose two metres overnight." in text  # the sentence before
    assert "Rescue teams were searching for the missing." in text  # and after
    assert sum(words(p.text) for p in got) <= 30
    assert "Flash floods then swept through Merdan district, killing 31 people." in got[0].focus
    # the citation opens the stored chunk that holds the best sentence
    holder = next(c for c in docs["flood"] if "killing 31" in c[1])
    assert got[0].chunk_id == holder[0]
    assert got[0].title == "Floods" and got[0].published == "2024-05-20"


def test_a_passage_is_far_shorter_than_the_chunks_it_comes_from(reports):
    store, docs = reports
    ranked = [passage(r, "Floods") for r in docs["flood"]]
    query = "How many people were killed by the floods in Merdan?"
    got = windows(store, budget=25).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    assert sum(words(p.text) for p in got) <= 25 < sum(words(p.text) for p in ranked)


def test_windows_of_one_report_merge_when_they_touch_and_are_one_passage(reports):
    store, docs = reports
    ranked = [passage(r, "Floods") for r in docs["flood"]]
    query = "Merdan floods: rain, river and the 31 killed"
    got = windows(store, budget=60, neighbours=1).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    assert len(got) == 1, "one report, one passage"
    text = got[0].text
    sentences = split_sentences(text.replace(GAP, "\n"))
    assert len(sentences) == len(set(sentences)), "no sentence twice"
    assert text.startswith("Heavy rain fell") and "killing 31 people" in text


def test_reports_keep_the_order_retrieval_gave_them(reports):
    store, docs = reports
    ranked = [passage(docs["market"][0], "Market", 0.6), passage(docs["flood"][2], "Floods", 0.4)]
    query = "grain prices and floods"
    got = windows(store, budget=80).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    assert [p.doc_id for p in got] == ["market", "flood"]


def test_at_most_max_reports_are_read(reports):
    store, docs = reports
    ranked = [passage(docs["flood"][0], "Floods"), passage(docs["market"][0], "Market")]
    query = "grain market prices"
    got = windows(store, budget=80, max_reports=1).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    assert {p.doc_id for p in got} == {"flood"}


def test_the_best_sentence_goes_in_even_over_a_tiny_budget(reports):
    store, docs = reports
    ranked = [passage(docs["flood"][1], "Floods")]
    query = "killing 31 people flash floods"
    got = windows(store, budget=1).select(query, np.array(store.embeddings.embed_query(query)), ranked)
    assert [p.text for p in got] == ["Flash floods then swept through Merdan district, killing 31 people."]


def test_sentence_vectors_are_cached_across_questions(reports):
    store, docs = reports
    ranked = [passage(r, "Floods") for r in docs["flood"]]
    w = windows(store, budget=40)
    w.select("floods", np.array(store.embeddings.embed_query("floods")), ranked)
    calls = store.embeddings.calls
    w.select("rain", np.array(store.embeddings.embed_query("rain")), ranked)
    assert store.embeddings.calls == calls


def test_an_empty_budget_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        SentenceWindows(FakeStore({}), count_tokens=words, budget=0)


# -- the real path: MiniLM, Chroma, the hybrid retriever ------------------------------------------
def test_hybrid_retrieval_gives_sentence_windows_from_the_real_store(tmp_path):
    from qa.factory import make_retriever, make_store
    from qa.settings import Settings
    from tests.test_hybrid import ingest, write_reports

    settings = Settings(data_dir=tmp_path / "data", context_tokens=40, _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    result = make_retriever(settings, store).retrieve("How many people were killed by the Merdan floods?")
    assert result.passages and any("31" in p.text or "12" in p.text for p in result.passages)
    stored = {cid: text for cid, text, _ in store.iter_chunks()}
    for p in result.passages:
        assert p.chunk_id in stored, "a citation opens a stored chunk"
        assert p.focus and all(f in p.text for f in p.focus)
        assert any(f in stored[p.chunk_id] for f in p.focus), "the stored chunk holds the picked sentence"
    from qa.store.embeddings import count_tokens

    first = result.passages[0]
    assert count_tokens(first.text) - 2 <= 40 or len(first.focus) == 1


def test_the_coverage_gate_reads_rarity_of_words_as_written(tmp_path):
    """The gate weighs names as the question writes them ("Merdan's"), not as search tokens."""
    from qa.factory import make_chain, make_store
    from qa.settings import Settings
    from tests.fakes import RecordingChatModel
    from tests.test_hybrid import ingest, write_reports

    settings = Settings(data_dir=tmp_path / "data", gate_kind="coverage", _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    gate = make_chain(settings, store, RecordingChatModel.replying("x")).gate
    gate.rarity("Merdan")  # the index is built on first use
    assert gate.rarity("Merdan's") == gate.rarity("Merdan") < gate.rarity("Zorbakhistan")


def test_ingest_stores_every_sentence_s_vector_and_a_question_embeds_none(tmp_path, monkeypatch):
    from qa.factory import make_retriever, make_store
    from qa.retrieve.windows import report_sentences
    from qa.settings import Settings
    from qa.store.chroma import sentence_id
    from tests.test_hybrid import ingest, write_reports

    settings = Settings(data_dir=tmp_path / "data", context_tokens=40, _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    docs = store.document_chunks([r.doc_id for r in store.records()])
    expected = {sentence_id(d, t) for d, rows in docs.items() for t in report_sentences(rows)}
    assert store.count_sentences() == len(expected) > 0
    some = sorted(expected)[:3]
    assert set(store.sentence_vectors(some)) == set(some)

    embedded: list[str] = []
    real = type(store.embeddings).embed_documents
    monkeypatch.setattr(
        type(store.embeddings), "embed_documents", lambda self, texts: embedded.extend(texts) or real(self, texts)
    )
    result = make_retriever(settings, store).retrieve("How many people were killed by the Merdan floods?")
    assert result.passages and embedded == [], "the sentences' vectors came from the store"

    doc_id = result.passages[0].doc_id
    store.delete_document(doc_id)
    left = {sentence_id(d, t) for d, rows in docs.items() if d != doc_id for t in report_sentences(rows)}
    assert store.count_sentences() == len(left), "a deleted report's sentence vectors go with it"


def test_a_stored_sentence_vector_is_the_one_the_embedder_gives(tmp_path):
    from qa.factory import make_store
    from qa.retrieve.windows import report_sentences
    from qa.settings import Settings
    from qa.store.chroma import sentence_id
    from tests.test_hybrid import ingest, write_reports

    settings = Settings(data_dir=tmp_path / "data", context_tokens=40, _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    doc_id, rows = next(iter(store.document_chunks([store.records()[0].doc_id]).items()))
    text = report_sentences(rows)[0]
    stored = np.asarray(store.sentence_vectors([sentence_id(doc_id, text)])[sentence_id(doc_id, text)])
    assert np.allclose(stored, store.embeddings.embed_documents([text])[0], atol=1e-5)


def test_without_sentence_windows_ingest_stores_no_sentence_vectors(tmp_path):
    from qa.factory import make_store
    from qa.settings import Settings
    from tests.test_hybrid import ingest, write_reports

    settings = Settings(data_dir=tmp_path / "data", context_tokens=0, _env_file=None)
    store = make_store(settings)
    ingest(settings, store, [write_reports(tmp_path / "reports")])
    assert store.count_chunks() > 0 and store.count_sentences() == 0


def test_re_ingesting_a_store_made_without_sentence_windows_fills_in_their_vectors(tmp_path):
    from qa.factory import make_store
    from qa.settings import Settings
    from tests.test_hybrid import ingest, write_reports

    folder = write_reports(tmp_path / "reports")
    plain = Settings(data_dir=tmp_path / "data", context_tokens=0, _env_file=None)
    store = make_store(plain)
    ingest(plain, store, [folder])
    assert store.count_sentences() == 0
    windowed = plain.model_copy(update={"context_tokens": 40})
    ingest(windowed, store, [folder])
    filled = store.count_sentences()
    assert filled > 0 and all(store.has_sentences(r.doc_id) for r in store.records())
    ingest(windowed, store, [folder])
    assert store.count_sentences() == filled, "a second pass writes nothing new"
