"""The indexer stores a batch of documents with a few upserts, yet one bad document fails alone."""

from __future__ import annotations

from ingest.document import Document
from ingest.indexer import ADDED, FAILED
from ingest.service import make_indexer

TEXTS = [f"Report {n}. Fighting near the river town of Varno {n} displaced {n * 100} people." for n in range(6)]


def documents() -> list[Document]:
    return [Document(text=t, source=f"report-{n}.txt", title=f"Report {n}") for n, t in enumerate(TEXTS)]


def ingest(settings, store):
    docs = {d.source: d for d in documents()}
    return make_indexer(settings, store).ingest(list(docs), lambda source: [docs[source]])


def test_a_batch_of_documents_is_stored_with_three_upserts(settings, store, monkeypatch):
    calls = []
    real = store.write_documents
    monkeypatch.setattr(store, "write_document", lambda *a, **kw: calls.append("one") or None)
    monkeypatch.setattr(store, "write_documents", lambda rows, **kw: calls.append(len(rows)) or real(rows, **kw))

    report = ingest(settings, store)

    assert [o.status for o in report.outcomes] == [ADDED] * 6
    assert calls == [6]  # six small documents fit one embedding batch; none written alone
    assert store.count_chunks() == 6 and len(store.records()) == 6


def test_when_the_batch_write_fails_only_the_bad_document_fails(settings, store, monkeypatch):
    real_one = store.write_document

    def batch_fails(rows, **kw):
        raise RuntimeError("disk full")

    def one(record, *rest, **kw):
        if record.source == "report-3.txt":
            raise RuntimeError("bad metadata")
        real_one(record, *rest, **kw)

    monkeypatch.setattr(store, "write_documents", batch_fails)
    monkeypatch.setattr(store, "write_document", one)

    report = ingest(settings, store)

    status = {o.source: o.status for o in report.outcomes}
    assert status.pop("report-3.txt") == FAILED
    assert set(status.values()) == {ADDED}
    assert sorted(r.source for r in store.records()) == sorted(status)
    assert store.count_chunks() == 5


def test_with_sentence_windows_a_document_stored_alone_keeps_its_sentence_vectors(settings, store, monkeypatch):
    def batch_fails(rows, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "write_documents", batch_fails)
    report = ingest(settings.model_copy(update={"context_tokens": 300}), store)
    assert [o.status for o in report.outcomes] == [ADDED] * 6
    assert all(store.has_sentences(r.doc_id) for r in store.records())
    assert store.count_sentences() == 12  # two sentences a report


def test_ingests_of_one_data_directory_run_one_at_a_time(settings, store, monkeypatch, tmp_path):
    """The repair that opens an ingest removes pending documents: it must never run while another
    ingest (the app's watcher, the Library, the command line) is writing its own."""
    import threading
    import time

    from ingest.service import run_ingest

    events: list[str] = []
    writing = threading.Event()
    real_write, real_repair = store.write_documents, store.repair

    def slow_write(rows, **kw):
        events.append("A writes")
        writing.set()
        time.sleep(1.0)  # B starts meanwhile
        real_write(rows, **kw)
        events.append("A done")

    def repair():
        events.append("repair")
        return real_repair()

    monkeypatch.setattr(store, "repair", repair)
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("Fighting near Varno displaced 300 people.")
    b.write_text("Talks resumed in Nouadar on Friday.")
    monkeypatch.setattr(store, "write_documents", slow_write)
    first = threading.Thread(target=run_ingest, args=(settings, store, [str(a)]))
    first.start()
    assert writing.wait(30)
    monkeypatch.setattr(store, "write_documents", real_write)
    run_ingest(settings, store, [str(b)])
    first.join(30)
    assert events == ["repair", "A writes", "A done", "repair"], events
    assert sorted(r.source for r in store.records()) == sorted([str(a), str(b)])
