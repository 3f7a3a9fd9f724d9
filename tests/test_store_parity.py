"""The same documents and questions give the same passages in the embedded store and a real Chroma
server (``chroma run`` started by the fixture on a free loopback port), dense and hybrid alike."""

from __future__ import annotations

import pytest

from qa.types import Filters
from tests.test_hybrid import REPORTS, ingest, write_reports

QUESTIONS = [
    ("What did ISIS-K claim?", Filters()),
    ("What happened at Qalandar?", Filters()),
    ("What is the latest death toll of the Merdan floods?", Filters()),
    ("How many people did the Merdan floods kill?", Filters(as_of="2024-05-10")),
    ("Where were 1340 trucks waiting?", Filters(source="border")),
    ("How do I bake a chocolate cake?", Filters()),
]


@pytest.fixture(scope="module")
def both_stores(tmp_path_factory, chroma_server):
    from qa.factory import make_store
    from qa.settings import Settings

    root = tmp_path_factory.mktemp("parity")
    reports = write_reports(root / "reports", REPORTS)
    pair = []
    for name, url in (("embedded", None), ("server", chroma_server)):
        settings = Settings(data_dir=root / name, chroma_url=url, collection="parity", _env_file=None)
        store = make_store(settings)
        ingest(settings, store, [reports])
        pair.append((settings, store))
    return pair


def ids(retrieval) -> list[str]:
    return [p.chunk_id for p in retrieval.passages]


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_same_questions_same_passages_in_both_modes(both_stores, mode):
    from qa.factory import make_retriever

    (emb_settings, emb_store), (srv_settings, srv_store) = both_stores
    embedded = make_retriever(emb_settings.model_copy(update={"retrieval": mode}), emb_store)
    server = make_retriever(srv_settings.model_copy(update={"retrieval": mode}), srv_store)
    assert sorted(r.doc_id for r in emb_store.records()) == sorted(r.doc_id for r in srv_store.records())
    for question, filters in QUESTIONS:
        a, b = embedded.retrieve(question, filters), server.retrieve(question, filters)
        assert ids(a) == ids(b), question
        assert a.empty_reason == b.empty_reason, question
    assert ids(embedded.retrieve("What did ISIS-K claim?")), "the alias question finds something"


def test_server_mode_caches_its_keyword_index_under_the_data_dir(both_stores):
    from qa.factory import make_retriever

    (emb_settings, emb_store), (srv_settings, srv_store) = both_stores
    server = make_retriever(srv_settings, srv_store)
    embedded = make_retriever(emb_settings, emb_store)
    server.retrieve("Qalandar")
    assert server.lexical.cache_dir.is_relative_to(srv_settings.data_dir)
    assert (server.lexical.cache_dir / "fingerprint").is_file()
    assert server.lexical.cache_dir.name != embedded.lexical.cache_dir.name, "keyed by chroma_url + collection"


def test_server_mode_keyword_index_follows_a_delete(both_stores, tmp_path):
    from qa.factory import make_retriever

    _, (srv_settings, srv_store) = both_stores
    extra = write_reports(
        tmp_path / "x", {"x.md": ("Velmora ambush", "2024-06-01", "Wire", "Gunmen ambushed a bus near Velmora.")}
    )
    ingest(srv_settings, srv_store, [extra])
    retriever = make_retriever(srv_settings, srv_store)
    found = retriever.retrieve("What happened near Velmora?")
    assert found.passages[0].title == "Velmora ambush"
    srv_store.delete_document(found.passages[0].doc_id)
    assert "Velmora ambush" not in [p.title for p in retriever.retrieve("What happened near Velmora?").passages]
