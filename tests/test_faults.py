"""Faults of the store: a Chroma server restarted mid-session (the real ``chroma run`` on
loopback), and a disk that fills up or turns read-only under the embedded store (a real tmpfs,
when this machine lets the tests mount one). The app reconnects; an ingest that meets a fault says
where and why, keeps what it stored whole, and is safe to run again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ingest.service import run_ingest
from qa.errors import StoreError
from qa.factory import make_store
from qa.settings import Settings
from tests.conftest import free_port, start_chroma, stop_chroma


def report(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: {title}\npublished: 2024-05-01\n---\n\n{body}\n", encoding="utf-8")
    return path


def whole(store) -> None:
    """Every stored document is complete, with all its chunks, and nothing else is stored."""
    records = store.records()
    assert store.records(status="pending") == []
    assert store.count_chunks() == sum(r.chunks for r in records)


@pytest.fixture
def server(tmp_path):
    port = free_port()
    state = {"proc": start_chroma(tmp_path, port), "path": tmp_path, "port": port}
    yield state
    stop_chroma(state["proc"])


def server_store(tmp_path, server):

    url = f"http://127.0.0.1:{server['port']}"
    settings = Settings(data_dir=tmp_path / "data", chroma_url=url, collection="faults", _env_file=None)
    return settings, make_store(settings), url


def test_a_chroma_server_restarted_mid_session_is_reconnected_and_ingest_is_safe_to_rerun(tmp_path, server):
    docs = tmp_path / "reports"
    docs.mkdir()
    a = report(docs, "a.md", "Varno shelling", "Shelling hit Varno on Monday, killing four.")
    b = report(docs, "b.md", "Nouadar talks", "Talks resumed in Nouadar on Friday.")
    settings, store, url = server_store(tmp_path, server)
    assert [o.status for o in run_ingest(settings, store, [str(a)]).outcomes] == ["added"]

    stop_chroma(server["proc"])  # the server goes down mid-session
    down = run_ingest(settings, store, [str(b)])
    assert [o.status for o in down.failed] == ["failed"]
    assert f"Cannot reach the Chroma server at {url}" in down.failed[0].message
    with pytest.raises(StoreError, match="Is it running"):
        store.records()

    server["proc"] = start_chroma(server["path"], server["port"])  # back, same data
    assert [r.title for r in store.records()] == ["Varno shelling"], "the same store object reconnects"
    again = run_ingest(settings, store, [str(a), str(b)])
    assert sorted(o.status for o in again.outcomes) == ["added", "skipped"]
    assert sorted(o.status for o in run_ingest(settings, store, [str(docs)]).outcomes) == ["skipped", "skipped"]
    whole(store)


def test_an_ingest_in_flight_when_the_server_dies_stores_whole_documents_and_completes_on_rerun(tmp_path, server):
    from ingest.indexer import ADDED
    from ingest.loaders import expand_inputs, load
    from ingest.service import make_indexer

    docs = tmp_path / "reports"
    docs.mkdir()
    for i in range(6):
        report(docs, f"r{i}.md", f"Report {i}", f"Convoy {i} reached Bir Assaka with {10 + i} trucks on day {i}.")
    settings, store, url = server_store(tmp_path, server)
    indexer = make_indexer(settings, store)
    indexer.batch_chunks = 1  # each document written on its own, so the fault lands mid-batch

    def kill_after_two(outcome):
        if outcome.status == ADDED and sum(o.status == ADDED for o in seen) == 1:
            stop_chroma(server["proc"])
        seen.append(outcome)

    seen: list = []
    result = indexer.ingest(expand_inputs([str(docs)]), load, kill_after_two)
    added = [o for o in result.outcomes if o.status == ADDED]
    assert len(added) == 2 and len(result.failed) == 4, [(o.status, o.message) for o in result.outcomes]
    assert all("Cannot reach the Chroma server" in o.message for o in result.failed)
    assert len(result.outcomes) == 6, "every input is accounted for once"

    server["proc"] = start_chroma(server["path"], server["port"])
    rerun = run_ingest(settings, store, [str(docs)])
    assert sorted(o.status for o in rerun.outcomes) == ["added"] * 4 + ["skipped"] * 2
    assert sorted(r.title for r in store.records()) == [f"Report {i}" for i in range(6)]
    whole(store)


def tmpfs(path: Path, size: str = "3m") -> Path:
    """A real tmpfs of ``size`` at ``path`` (skipped where the tests may not mount one)."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    return path


@pytest.fixture
def disks(tmp_path):
    """Mounts small tmpfs disks; a test using them that hangs in Chroma (it can block on a full
    disk) ends the run after 5 minutes with a traceback instead of holding CI."""
    import faulthandler

    faulthandler.dump_traceback_later(300, exit=True)
    mounted: list[Path] = []

    def mount(name: str, size: str = "3m") -> Path:
        mounted.append(tmpfs(tmp_path / name, size))
        return mounted[-1]

    try:
        yield mount
    finally:
        faulthandler.cancel_dump_traceback_later()
        for path in mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_full_disk_fails_the_ingest_clearly_and_once_space_is_freed_the_store_is_whole(tmp_path, disks):
    """On a full disk Chroma may not even read until space is freed (it writes what it read
    back), so the promise is: a clear error naming the directory, and once space is freed every
    listed document is whole and the same ingest run again goes on."""
    import random

    disk = disks("full")
    docs = tmp_path / "reports"
    docs.mkdir()
    first = report(docs, "first.md", "Varno shelling", "Shelling hit Varno on Monday, killing four.")
    settings = Settings(data_dir=disk / "data", store_min_free_mb=1, _env_file=None)  # a 3 MB disk
    store = make_store(settings)
    assert [o.status for o in run_ingest(settings, store, [str(first)]).outcomes] == ["added"]
    filler = disk / "filler"
    filler.write_bytes(b"\0" * 1_000_000)  # what the user deletes to make room

    bulk = tmp_path / "bulk"
    bulk.mkdir()
    rng = random.Random(7)
    for i in range(120):  # more text than the disk holds
        words = " ".join(
            f"{rng.choice(['convoy', 'shelling', 'talks', 'aid'])}{rng.randint(0, 10**6)}" for _ in range(600)
        )
        report(bulk, f"r{i:03}.md", f"Bulletin {i}", words)
    full = run_ingest(settings, store, [str(bulk)])
    assert full.failed, "the disk filled up"
    said = [o.message.lower() for o in full.failed]
    assert all(str(settings.chroma_dir) in m and "disk full" in m for m in said), full.failed[0]
    assert len(full.outcomes) == 120, "every input is accounted for once"

    filler.unlink()  # space freed
    reopened = make_store(settings)
    records = reopened.records()
    assert "Varno shelling" in [r.title for r in records]
    assert len(records) == 1 + sum(o.status == "added" for o in full.outcomes)
    chunks = reopened.document_chunks([r.doc_id for r in records])
    assert all(len(chunks[r.doc_id]) == r.chunks for r in records), "every listed document is whole"
    assert reopened.search(store.embeddings.embed_query("shelling in Varno"), k=2), "and searchable"


def test_a_write_that_would_fill_the_disk_is_refused_before_anything_is_written(tmp_path):
    """No mount needed: a reserve larger than any disk stands for a disk with no room left. The
    write is refused up front (Chroma is never asked to write onto a full disk, where it may block),
    the error names the directory and the setting, and with room again the same ingest goes on."""
    docs = tmp_path / "reports"
    docs.mkdir()
    first = report(docs, "first.md", "Varno shelling", "Shelling hit Varno on Monday, killing four.")
    roomy = Settings(data_dir=tmp_path / "data", _env_file=None)
    assert [o.status for o in run_ingest(roomy, make_store(roomy), [str(first)]).outcomes] == ["added"]
    late = [report(docs, f"late{i}.md", f"Nouadar talks {i}", f"Talks resumed in Nouadar on day {i}.") for i in (1, 2)]

    cramped = Settings(data_dir=tmp_path / "data", store_min_free_mb=10**12, _env_file=None)
    store = make_store(cramped)
    refused = run_ingest(cramped, store, [str(p) for p in late])
    assert [o.status for o in refused.outcomes] == ["failed", "failed"]
    assert all(
        m.startswith("Disk full") and str(cramped.chroma_dir) in m and "CONFLICT_QA_STORE_MIN_FREE_MB" in m
        for m in (o.message for o in refused.outcomes)
    ), refused.outcomes[0].message
    assert [r.title for r in store.records()] == ["Varno shelling"] and store.records(status="pending") == []
    whole(store)

    again = run_ingest(roomy, make_store(roomy), [str(p) for p in late])
    assert [o.status for o in again.outcomes] == ["added", "added"]


def test_a_read_only_data_directory_is_a_clear_error_naming_it_and_loses_nothing(tmp_path, disks):
    import os
    import sys

    disk = disks("readonly")
    docs = tmp_path / "reports"
    docs.mkdir()
    report(docs, "first.md", "Varno shelling", "Shelling hit Varno on Monday, killing four.")
    env = {**os.environ, "CONFLICT_QA_DATA_DIR": str(disk / "data"), "CONFLICT_QA_STORE_MIN_FREE_MB": "1"}
    ingested = subprocess.run([sys.executable, "-m", "qa", "ingest", str(docs), "--json"], env=env, capture_output=True)
    assert ingested.returncode == 0, ingested.stderr.decode()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    settings = Settings(data_dir=disk / "data", store_min_free_mb=1, _env_file=None)
    with pytest.raises(StoreError, match="read-only") as refused:  # Chroma writes as it opens a store
        make_store(settings)
    assert str(settings.chroma_dir) in str(refused.value)
    late = report(docs, "late.md", "Nouadar talks", "Talks resumed in Nouadar on Friday.")
    cli = subprocess.run([sys.executable, "-m", "qa", "ingest", str(late)], env=env, capture_output=True, text=True)
    said = " ".join(cli.stderr.split())
    assert cli.returncode != 0 and str(settings.chroma_dir) in said and "Traceback" not in said, said

    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert [r.title for r in make_store(settings).records()] == ["Varno shelling"], "nothing was lost"
