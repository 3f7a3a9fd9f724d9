"""The vector store: Chroma (embedded or a server), chunks plus one manifest record per document.

Chunks live in the collection ``<name>``; each document also has a record in ``<name>__docs``
(title, source, published, chunk count, status). A document is written as: record ``pending`` ->
chunks -> record ``complete``. ``repair()`` removes whatever a crash left ``pending``, so the
store holds every document whole or not at all. With sentence windows on, ``<name>__sentences``
also holds the vector of each sentence of a document (written while its record is ``pending``,
deleted with it), so a question never waits for its reports' sentences to be embedded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from qa.errors import StoreError

log = logging.getLogger(__name__)

PENDING, COMPLETE = "pending", "complete"
_BATCH = 1000
_GENERATION = "generation"


@dataclass(frozen=True)
class DocRecord:
    """What the store knows about one whole document."""

    doc_id: str
    source: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    chunks: int = 0
    status: str = COMPLETE
    ingested_at: str | None = None
    extra: str | None = None  # JSON of the document's other metadata

    def to_metadata(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "doc_id"}

    @classmethod
    def from_metadata(cls, doc_id: str, meta: dict[str, Any]) -> DocRecord:
        fields = cls.__dataclass_fields__
        return cls(doc_id=doc_id, **{k: v for k, v in meta.items() if k in fields})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("status")
        data["metadata"] = json.loads(data.pop("extra") or "{}")
        return data


def clean_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma takes str/int/float/bool values only: drop None, JSON-encode the rest."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None:
            continue
        out[key] = value if isinstance(value, (str, int, float, bool)) else json.dumps(value)
    return out


def date_key(iso: str | None) -> int | None:
    """``'2024-03-22'`` -> ``20240322``: Chroma compares numbers, not strings."""
    if not iso or len(iso) < 10:
        return None
    try:
        return int(iso[:10].replace("-", ""))
    except ValueError:
        return None


def make_client(data_dir: Path, chroma_url: str | None):
    """An embedded ``PersistentClient`` under ``data_dir``, or an ``HttpClient`` for ``chroma_url``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"Cannot reach the Chroma server at {chroma_url} ({exc}). Start one with "
                "`chroma run --path DIR --host 127.0.0.1 --port 8000`, or unset "
                "CONFLICT_QA_CHROMA_URL to use the embedded store."
            ) from exc
        return client
    try:
        with store_faults(str(data_dir)):  # Chroma writes when it opens: a read-only or full disk stops it here
            data_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(data_dir), settings=chroma_settings)
    except StoreError:
        _forget_client(str(data_dir))
        raise


def _forget_client(path: str) -> None:
    """Drop the half-made client Chroma keeps per path after a failed open, so opening the same
    store again (the disk fixed) starts afresh instead of reusing it (chromadb 1.x caches it)."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)
    except Exception:  # noqa: BLE001 - another chromadb layout: nothing cached to drop
        pass


def sentence_id(doc_id: str, text: str) -> str:
    """The key of one sentence's vector: its report and a hash of its text (the text is what is
    embedded, so a sentence split the same way finds its vector)."""
    return f"{doc_id}:s:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


def _collection(client: Any, name: str, *, cosine: bool):
    """An existing collection is opened for reading first: creating (a write) is only for a new
    one, so a store on a full or read-only disk still opens and answers."""
    try:
        return client.get_collection(name, embedding_function=None)
    except Exception as exc:  # chromadb's NotFoundError (a ValueError in older versions)
        if type(exc).__name__ not in ("NotFoundError", "ValueError", "InvalidCollectionException"):
            raise
    metadata = {"hnsw:space": "cosine"} if cosine else None
    return client.get_or_create_collection(name, embedding_function=None, metadata=metadata)


def _store_fault(exc: BaseException) -> bool:
    """A failure of the store itself, not a bug: the server unreachable (the HTTP client's
    errors, a refused or reset connection), or the disk (full, read-only, unreadable: OS and
    SQLite errors, and Chroma's own errors wrapping them)."""
    import sqlite3

    if isinstance(exc, (OSError, sqlite3.Error)):
        return True
    module = type(exc).__module__.split(".")[0]
    if module in ("httpx", "httpcore"):
        return True
    if module != "chromadb" or type(exc).__name__ not in ("InternalError", "ChromaError"):
        return False
    # Chroma's catch-all error: a fault only when it says so (not "too many SQL variables")
    said = str(exc).lower()
    return any(
        w in said for w in ("disk", "full", "readonly", "read-only", "permission", "i/o", "compaction", "connect")
    )


@contextmanager
def store_faults(where: str):
    """Within it, a fault of the store at ``where`` (see ``_store_fault``) is one ``StoreError``
    that says where and what to do; anything else (a bug) passes unchanged."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if not _store_fault(exc):
            raise
        raise StoreError(fault_message(where, exc)) from exc


def _guarded(method):
    """``method`` (a generator too: a fault while iterating) inside ``store_faults``."""
    import functools
    import inspect

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def walk(self, *args, **kwargs):
            with store_faults(self.where):
                yield from method(self, *args, **kwargs)

        return walk

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with store_faults(self.where):
            return method(self, *args, **kwargs)

    return call


class ReportStore:
    """Chunks and document records in Chroma, always embedded with *our* embedder.

    A fault of the store (its server down, its disk full or read-only) is a ``StoreError`` naming
    the server or the directory: documents are written whole or not at all, so an ingest that
    stopped on one is safe to run again once the fault is fixed."""

    def __init__(
        self, client: Any, collection: str, embeddings: Embeddings, where: str = "", min_free: int = 0
    ) -> None:
        self.client = client
        self.name = collection
        self.embeddings = embeddings
        self.where = where  # the server's URL or the store's directory, for messages
        self.min_free = min_free  # bytes a write must leave free on an embedded store's disk
        # No embedding function: Chroma's default downloads a model. We embed with ours and pass vectors.
        self._chunks = _collection(client, collection, cosine=True)
        self._docs = _collection(client, f"{collection}__docs", cosine=True)
        self._meta = _collection(client, f"{collection}__meta", cosine=False)
        self._sentences = _collection(client, f"{collection}__sentences", cosine=True)

    # -- change token -----------------------------------------------------------------------
    def generation(self) -> str:
        """A token that changes whenever a document is written or removed (by any process using
        this class), so readers can tell in one lookup whether their derived indexes are stale."""
        got = self._meta.get(ids=[_GENERATION], include=["metadatas"])
        return str((got["metadatas"][0] or {}).get("token", "")) if got["ids"] else ""

    def _touch(self) -> None:
        self._meta.upsert(ids=[_GENERATION], embeddings=[[1.0, 0.0]], metadatas=[{"token": uuid.uuid4().hex}])

    @property
    def chunks(self):
        """The raw Chroma collection of chunks (for ingest and benchmarks that write in bulk)."""
        return self._chunks

    # -- document records -------------------------------------------------------------------
    def records(self, *, status: str | None = COMPLETE) -> list[DocRecord]:
        where = {"status": status} if status else None
        got = self._docs.get(where=where, include=["metadatas"])
        recs = [DocRecord.from_metadata(i, m) for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(recs, key=lambda r: (r.published or "", r.title or "", r.doc_id))

    def record(self, doc_id: str) -> DocRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas"])
        return DocRecord.from_metadata(doc_id, got["metadatas"][0]) if got["ids"] else None

    def document_count(self) -> int:
        """How many document records there are (complete or pending)."""
        return self._docs.count()

    def chunk_counts(self) -> dict[str, int]:
        """``{doc_id: number of chunks}`` of every complete document."""
        got = self._docs.get(where={"status": COMPLETE}, include=["metadatas"])
        return {i: int((m or {}).get("chunks", 0) or 0) for i, m in zip(got["ids"], got["metadatas"])}

    def put_records(self, records: list[DocRecord]) -> None:
        """Write document records as they are (bulk loads whose chunks are already stored)."""
        self._docs.upsert(
            ids=[r.doc_id for r in records],
            embeddings=[[1.0, 0.0]] * len(records),
            metadatas=[r.to_metadata() for r in records],
        )
        self._touch()

    def records_for_source(self, source: str) -> list[DocRecord]:
        got = self._docs.get(where={"source": source}, include=["metadatas"])
        return [DocRecord.from_metadata(i, m) for i, m in zip(got["ids"], got["metadatas"])]

    def _put_record(self, record: DocRecord) -> None:
        self._docs.upsert(ids=[record.doc_id], embeddings=[[1.0, 0.0]], metadatas=[record.to_metadata()])

    # -- writing ----------------------------------------------------------------------------
    def write_document(
        self,
        record: DocRecord,
        ids: list[str],
        texts: list[str],
        metadatas: list[dict[str, Any]],
        embeddings: list[list[float]],
        sentences: tuple[list[str], list[list[float]]] | None = None,
    ) -> None:
        """Store one document whole: pending record, its sentence vectors (if given), chunks in
        batches, then complete."""
        self._room_for(texts, metadatas, [*embeddings, *(sentences[1] if sentences else ())])
        self._put_record(DocRecord(**{**asdict(record), "status": PENDING}))
        if sentences is not None:
            self._write_sentences({record.doc_id: sentences})
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            self.chunks.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=[clean_metadata(m) for m in metadatas[start:end]],
                embeddings=embeddings[start:end],
            )
        self._put_record(DocRecord(**{**asdict(record), "status": COMPLETE}))
        self._touch()

    def write_documents(
        self,
        documents: list[tuple[DocRecord, list[str], list[str], list[dict[str, Any]], list[list[float]]]],
        sentences: dict[str, tuple[list[str], list[list[float]]]] | None = None,
    ) -> None:
        """``write_document`` for several documents at once, three upserts in all: every record
        ``pending``, all their chunks (and ``sentences``: doc_id -> texts, vectors), every record
        ``complete`` (a crash leaves only ``pending``)."""
        records = [r for r, *_ in documents]
        self._room_for(
            [t for doc in documents for t in doc[2]],
            [m for doc in documents for m in doc[3]],
            [*(v for doc in documents for v in doc[4]), *(v for _, vs in (sentences or {}).values() for v in vs)],
        )
        self._put_records(records, PENDING)
        if sentences:
            self._write_sentences(sentences)
        ids, texts, metas, vectors = ([x for doc in documents for x in doc[i]] for i in range(1, 5))
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            self.chunks.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=[clean_metadata(m) for m in metas[start:end]],
                embeddings=vectors[start:end],
            )
        self._put_records(records, COMPLETE)
        self._touch()

    def _room_for(self, texts: list[str], metadatas: list[dict[str, Any]], vectors: list[list[float]]) -> None:
        """Refuse a write to an embedded store that would leave less than ``min_free`` bytes on its
        disk, before anything is written: on a full disk Chroma may fail mid-write or block (seen
        on CI), and a clear error now beats either. The need is a generous estimate of what
        Chroma writes (measured on a tmpfs: about 4 KB per chunk of 270 bytes; its log, vector
        index and full-text index each hold a copy)."""
        if self.where.startswith(("http://", "https://")) or not self.where:
            return  # a server's disk is the server's
        import shutil

        folder = Path(self.where)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        free = shutil.disk_usage(folder).free
        need = (
            4 * sum(len(t.encode("utf-8")) for t in texts)
            + 2 * sum(len(json.dumps(m, default=str)) for m in metadatas)
            + 3 * 4 * sum(len(v) for v in vectors)  # float32s
        )
        if free - need >= self.min_free:
            return
        mb = 2**20
        raise StoreError(
            f"Disk full: the store in {self.where} has {free / mb:.1f} MB free; writing {len(texts)} "
            f"chunk(s) needs about {need / mb:.1f} MB and {self.min_free / mb:.0f} MB are kept free "
            "(CONFLICT_QA_STORE_MIN_FREE_MB). Free some space and retry: the documents stored before "
            "are kept, each whole, and re-running the ingest adds the rest."
        )

    def _put_records(self, records: list[DocRecord], status: str) -> None:
        metas = [DocRecord(**{**asdict(r), "status": status}).to_metadata() for r in records]
        self._docs.upsert(ids=[r.doc_id for r in records], embeddings=[[1.0, 0.0]] * len(records), metadatas=metas)

    def _write_sentences(self, sentences: dict[str, tuple[list[str], list[list[float]]]]) -> None:
        rows = {
            sentence_id(doc_id, text): (doc_id, vec)
            for doc_id, (texts, vectors) in sentences.items()
            for text, vec in zip(texts, vectors)
        }
        ids = list(rows)
        for start in range(0, len(ids), _BATCH):
            part = ids[start : start + _BATCH]
            self._sentences.upsert(
                ids=part,
                embeddings=[rows[i][1] for i in part],
                metadatas=[{"doc_id": rows[i][0]} for i in part],
            )

    def sentence_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of the sentences among ``ids`` (see ``sentence_id``); others left out."""
        if not ids:
            return {}
        got = self._sentences.get(ids=ids, include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"]))

    def has_sentences(self, doc_id: str) -> bool:
        return bool(self._sentences.get(where={"doc_id": doc_id}, limit=1, include=[])["ids"])

    def write_sentences(self, doc_id: str, texts: list[str], vectors: list[list[float]]) -> None:
        """Store the sentence vectors of a stored document (one stored before they were kept)."""
        self._write_sentences({doc_id: (texts, vectors)})
        self._touch()

    def count_sentences(self) -> int:
        return self._sentences.count()

    def delete_document(self, doc_id: str) -> None:
        """Remove a document's sentence vectors and chunks, then its record (a crash in between
        leaves no orphan that a later ``repair`` can't see: the record stays until they are gone)."""
        self._sentences.delete(where={"doc_id": doc_id})
        self.chunks.delete(where={"doc_id": doc_id})
        self._docs.delete(ids=[doc_id])
        self._touch()

    def repair(self) -> list[str]:
        """Delete documents a crash left half-written; return their ids."""
        broken = self.pending_ids()
        for doc_id in broken:
            log.warning("removing half-written document %s left by an interrupted ingest", doc_id)
            self.delete_document(doc_id)
        return broken

    # -- reading ----------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return self.chunks.count()

    def search(
        self, query_vector: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks: ``(chunk_id, text, metadata, cosine similarity)``, best first."""
        got = self.chunks.query(
            query_embeddings=[query_vector],
            n_results=k,
            where=self._visible(where),
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [(cid, text, meta or {}, 1.0 - dist) for cid, text, meta, dist in rows]

    def chunks_by_id(self, ids: list[str]) -> list[tuple[str, str, dict[str, Any], list[float]]]:
        """``(chunk_id, text, metadata, embedding)`` of the stored chunks among ``ids`` (gone ones left out)."""
        got = self._chunks.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        return [
            (cid, text or "", meta or {}, emb)
            for cid, text, meta, emb in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        ]

    def document_text(self, doc_id: str) -> str:
        """The text of one stored document, its chunks in order (overlaps repeated)."""
        got = self.chunks.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        rows = sorted(zip(got["metadatas"], got["documents"]), key=lambda r: int((r[0] or {}).get("chunk", 0)))
        return "\n".join(text or "" for _, text in rows)

    def document_chunks(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """Each document's chunks ``(chunk_id, text, metadata)`` in order, for the documents given."""
        out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {d: [] for d in doc_ids}
        if not doc_ids:
            return out
        where = {"doc_id": {"$in": list(doc_ids)}} if len(doc_ids) > 1 else {"doc_id": doc_ids[0]}
        got = self.chunks.get(where=where, include=["documents", "metadatas"])
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            meta = meta or {}
            out.setdefault(str(meta.get("doc_id", cid.split(":")[0])), []).append((cid, text or "", meta))
        for rows in out.values():
            rows.sort(key=lambda r: int(r[2].get("chunk", 0)))
        return out

    def iter_chunks(self, batch: int = 5000) -> Iterable[tuple[str, str, dict[str, Any]]]:
        """Every chunk ``(id, text, metadata)`` of a whole document, for the lexical index."""
        total = self.count_chunks()
        hidden = set(self.pending_ids())
        for offset in range(0, total, batch):
            got = self.chunks.get(limit=batch, offset=offset, include=["documents", "metadatas"])
            for row in zip(got["ids"], got["documents"], got["metadatas"]):
                if (row[2] or {}).get("doc_id") not in hidden:
                    yield row

    def pending_ids(self) -> list[str]:
        """Documents being written (or left half-written by a crash): never shown to readers."""
        return self._docs.get(where={"status": PENDING}, include=[])["ids"]

    def _visible(self, where: dict[str, Any] | None) -> dict[str, Any] | None:
        hidden = self.pending_ids()
        if not hidden:
            return where or None
        clause = {"doc_id": {"$nin": hidden}}
        return {"$and": [where, clause]} if where else clause


def fault_message(where: str, exc: BaseException) -> str:
    """What to tell the user of a store fault at ``where`` (a server's URL or a directory)."""
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    if where.startswith(("http://", "https://")):
        return (
            f"Cannot reach the Chroma server at {where} ({type(exc).__name__}: {detail}). Is it running? "
            "Start it again (`chroma run --path DIR --host 127.0.0.1 --port PORT`) and retry: documents are "
            "stored whole or not at all, so re-running an ingest adds what is missing and nothing twice."
        )
    where = where or "the data directory"
    return (
        f"Cannot use the store in {where} ({type(exc).__name__}: {detail}). Is the disk full or read-only? "
        "Free some space or make it writable and retry: the documents stored before are kept, each "
        "whole, and re-running the ingest adds the rest."
    )


for _name, _member in list(vars(ReportStore).items()):
    if not _name.startswith("_") and callable(_member):
        setattr(ReportStore, _name, _guarded(_member))
