"""Identity, updates, deletion and whole-or-nothing writes of the indexer, on a real store."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ingest.service import run_ingest
from tests.conftest import SAMPLE
from tests.hostile import pdf_bytes


@pytest.fixture(params=["embedded", "server"])
def settings(request, tmp_path):
    """The store contract runs against the embedded store and a real ``chroma run`` server."""
    from uuid import uuid4

    from qa.settings import Settings

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    return Settings(data_dir=tmp_path / "data", chroma_url=url, collection=f"t{uuid4().hex[:12]}", _env_file=None)


def report(text: str, title: str, published: str = "2024-04-02") -> str:
    return f"---\ntitle: {title}\npublished: {published}\nsource: Test Wire\nurl: https://example.org/{abs(hash(title))}\nauthor: A. Writer\n---\n{text}\n"


def stored(store) -> dict[str, int]:
    """doc_id -> chunks actually in the collection."""
    return dict(Counter(meta["doc_id"] for _, _, meta in store.iter_chunks()))


def consistent(store) -> None:
    """Every complete record has exactly its chunks; no chunk belongs to no record."""
    records = {r.doc_id: r.chunks for r in store.records()}
    raw = Counter(m["doc_id"] for m in store.chunks.get(include=["metadatas"])["metadatas"])
    pending = set(store.pending_ids())
    for doc_id in raw:
        assert doc_id in records or doc_id in pending, f"orphan chunks of {doc_id}"
    for doc_id, n in records.items():
        assert raw.get(doc_id) == n, f"{doc_id}: {raw.get(doc_id)} chunks stored, record says {n}"


def test_reingesting_unchanged_adds_nothing(settings, store, tmp_path):
    first = run_ingest(settings, store, [str(SAMPLE)])
    again = run_ingest(settings, store, [str(SAMPLE)])
    assert len(first.ids("added")) == 1 and first.chunks_added > 0
    assert again.ids("added") == [] and again.ids("skipped") == first.ids("added") and again.chunks_added == 0
    assert again.outcomes[0].message == "unchanged"
    assert sum(stored(store).values()) == first.chunks_added


def test_changed_content_under_the_same_source_replaces_the_old_version(settings, store, tmp_path):
    path = tmp_path / "tawila.md"
    path.write_text(report("A bombing in Tawila killed at least 40 people. " * 3, "Tawila"))
    old = run_ingest(settings, store, [str(path)]).ids("added")[0]
    path.write_text(report("A bombing in Tawila killed 57 people, officials said. " * 3, "Tawila"))
    result = run_ingest(settings, store, [str(path)])
    new = result.ids("updated")
    assert len(new) == 1 and new[0] != old
    assert list(stored(store)) == new and [r.doc_id for r in store.records()] == new
    texts = " ".join(text for _, text, _ in store.iter_chunks())
    assert "57" in texts and "at least 40" not in texts


def test_same_content_under_two_names_is_stored_once(settings, store, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "copy-of-a.txt"
    a.write_text("Title: Same\nFighting resumed near the border crossing on Tuesday.")
    b.write_bytes(a.read_bytes())
    result = run_ingest(settings, store, [str(a), str(b)])
    assert len(result.ids("added")) == 1 and result.ids("skipped") == result.ids("added")
    assert "same content as" in [o for o in result.outcomes if o.status == "skipped"][0].message
    assert len(store.records()) == 1


def test_every_input_is_accounted_for_once_and_a_bad_file_touches_nothing(settings, store, tmp_path):
    run_ingest(settings, store, [str(SAMPLE)])
    before = stored(store)
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.md").write_text(report("Aid convoys reached Bir Assaka on 29 April.", "Convoy"))
    (folder / "empty.txt").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (folder / "notes.xyz").write_text("unknown type")
    result = run_ingest(settings, store, [str(folder)])
    statuses = sorted((Path(o.source).name, o.status) for o in result.outcomes)
    assert statuses == [
        ("broken.pdf", "failed"),
        ("empty.txt", "failed"),
        ("good.md", "added"),
        ("notes.xyz", "skipped"),
    ]
    assert all(o.message for o in result.failed)
    after = stored(store)
    assert {k: after[k] for k in before} == before and len(after) == len(before) + 1


def test_chunks_carry_document_metadata_pages_and_offsets(settings, store, tmp_path):
    pdf = tmp_path / "sitrep.pdf"
    pdf.write_bytes(pdf_bytes(["Page one says the siege began in September.", "Page two says 18,500 people fled."]))
    md = tmp_path / "r.md"
    md.write_text(report("The ceasefire was signed in Nouadar.", "Ceasefire", "2025-01-20"))
    run_ingest(settings, store, [str(pdf), str(md)])
    metas = {meta["source"]: meta for _, _, meta in store.iter_chunks() if meta["source"] == str(md)}
    meta = metas[str(md)]
    assert meta["title"] == "Ceasefire" and meta["published"] == "2025-01-20" and meta["author"] == "A. Writer"
    assert meta["url"].startswith("https://example.org/") and meta["chunk"] == 0 and meta["start"] == 0
    pages = sorted(meta.get("page") for _, text, meta in store.iter_chunks() if meta["source"] == str(pdf))
    assert pages and pages[0] == 1


def test_remove_by_doc_id_and_by_source(settings, store, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(report("Shelling hit the market in Varno.", "A"))
    b.write_text(report("Talks resumed in Nouadar on Friday.", "B"))
    ids = run_ingest(settings, store, [str(a), str(b)]).ids("added")
    store.delete_document(ids[0])
    assert [r.doc_id for r in store.records()] == [ids[1]] and list(stored(store)) == [ids[1]]
    for rec in store.records_for_source(str(b)):
        store.delete_document(rec.doc_id)
    assert store.records() == [] and store.count_chunks() == 0


def _corpus(folder: Path, n: int = 40) -> None:
    rng = random.Random(5)
    words = "siege convoy ceasefire militia displaced shelling border province governor talks aid".split()
    folder.mkdir()
    for i in range(n):
        body = "\n\n".join(" ".join(rng.choice(words) for _ in range(120)) + "." for _ in range(4))
        (folder / f"r{i:03d}.md").write_text(report(f"Report {i}. {body}", f"Report {i}"))


def test_kill_9_mid_ingest_leaves_whole_documents_and_rerun_completes(tmp_path):
    """Kill ``conflict-qa ingest`` at several points of a run; the store is always consistent, and
    running the same ingest again gives exactly the chunks of an uninterrupted run."""
    from qa.factory import make_store
    from qa.settings import Settings

    folder = tmp_path / "corpus"
    _corpus(folder)

    def command(data: Path):
        # small batches: a kill lands between batches, not only before or after the one batch
        env = {**os.environ, "CONFLICT_QA_DATA_DIR": str(data), "CONFLICT_QA_EMBED_BATCH": "8"}
        return [sys.executable, "-m", "qa", "ingest", str(folder), "--json"], env

    def store_at(data: Path):
        return make_store(Settings(data_dir=data, _env_file=None))

    cmd, env = command(tmp_path / "reference")
    started = time.time()
    subprocess.run(cmd, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=900)
    full_run = time.time() - started
    reference = sorted(store_at(tmp_path / "reference").chunks.get(include=[])["ids"])

    interrupted = []
    for fraction in (0.5, 0.7, 0.9):
        data = tmp_path / f"killed-{fraction}"
        cmd, env = command(data)
        proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full_run * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (data / "chroma").exists():
            store = store_at(data)
            consistent(store)  # whole or not at all (pending documents are hidden from readers)
            interrupted.append(len(store.records()))
        rerun = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert rerun.returncode == 0, rerun.stderr
        store = store_at(data)
        consistent(store)
        assert store.pending_ids() == []
        assert sorted(store.chunks.get(include=[])["ids"]) == reference, "exact chunks, no duplicates"
    assert any(0 < n < 40 for n in interrupted), f"no kill landed mid-ingest: {interrupted}"
