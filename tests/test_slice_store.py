"""Real MiniLM + real Chroma: chunking, storing, retrieving the sample report."""

from qa.retrieve.dense import Retriever
from qa.store.embeddings import MAX_SEQ_TOKENS, count_tokens, load_embeddings, max_seq_length


def test_founding_passage_ranks_first(sample_store):
    result = Retriever(sample_store, top_k=3).retrieve("When was ISIS-K established?")
    assert "Established in 2015" in result.passages[0].text
    assert result.passages[0].title == "ISIS-K Continues to Challenge Taliban Rule in Afghanistan and Beyond"
    assert result.passages[0].source.endswith("isis-k-taliban.txt")


def test_title_header_is_not_body_text(sample_store):
    texts = [text for _, text, _ in sample_store.iter_chunks()]
    assert texts and not any(t.startswith("Title:") for t in texts)


def test_no_chunk_is_truncated_by_the_embedder(settings, store, tmp_path):
    """Every stored chunk fits MiniLM's 256 word pieces, even for long unbroken prose."""
    from ingest.service import run_ingest

    sentence = "The Taliban's counterterrorism campaign against ISIS-K intensified in Nangarhar province "
    long_doc = tmp_path / "long.txt"
    long_doc.write_text("Title: Long\n" + (sentence * 12 + "\n\n") * 20 + ("word" * 3 + " ") * 900)
    report = run_ingest(settings, store, [str(long_doc)])
    assert not report.failed
    limit = max_seq_length(load_embeddings())
    assert limit == MAX_SEQ_TOKENS
    lengths = [count_tokens(text) for _, text, _ in store.iter_chunks()]
    assert len(lengths) > 10 and max(lengths) <= limit


def test_vectors_are_normalised_and_space_is_cosine(store):
    vector = load_embeddings().embed_query("ISIS-K")
    assert abs(sum(v * v for v in vector) - 1.0) < 1e-3
    assert store.chunks.metadata.get("hnsw:space") == "cosine" or "cosine" in str(store.chunks.configuration_json)


def test_chunks_carry_offsets_into_the_document(sample_store):
    body = open(__import__("tests.conftest", fromlist=["SAMPLE"]).SAMPLE, encoding="utf-8").read()
    for _, text, meta in sample_store.iter_chunks():
        assert meta["end"] - meta["start"] == len(text)
        assert text in body
