"""Writing documents into the store: content-derived ids, skip / update / add, whole or nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_text_splitters import TextSplitter

from ingest.chunking import Chunk, chunk_document
from ingest.document import Document
from ingest.errors import LoadError, SkippedInput
from qa.errors import StoreError
from qa.store.chroma import DocRecord, ReportStore, date_key

log = logging.getLogger(__name__)

ADDED, UPDATED, SKIPPED, FAILED = "added", "updated", "skipped", "failed"
_EMBED_BATCH_CHUNKS = 256


def content_id(text: str) -> str:
    """A stable id from the document's content: the same text under two names is one document."""
    canonical = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Outcome:
    """What happened to one document (or to an input that yielded none)."""

    status: str
    source: str
    doc_id: str | None = None
    chunks: int = 0
    message: str = ""
    title: str | None = None


@dataclass
class IngestReport:
    """The summary of a run; ``to_json`` is the ``conflict-qa ingest --json`` object."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def ids(self, status: str) -> list[str]:
        return [o.doc_id for o in self.outcomes if o.status == status and o.doc_id]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def chunks_added(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in (ADDED, UPDATED))

    def entries(self, status: str) -> list[dict[str, Any]]:
        """``{"doc_id", "source", "title"}`` of each document that ended with ``status``."""
        return [
            {"doc_id": o.doc_id, "source": o.source, "title": o.title}
            for o in self.outcomes
            if o.status == status and o.doc_id
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.entries(ADDED),
            "updated": self.entries(UPDATED),
            "skipped": self.entries(SKIPPED),
            "failed": [{"source": o.source, "error": o.message} for o in self.failed],
            "unsupported": [o.source for o in self.outcomes if o.status == SKIPPED and not o.doc_id],
            "chunks_added": self.chunks_added,
            "seconds": round(self.seconds, 3),
        }


@contextmanager
def _exclusive(path: Path | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) while the block runs."""
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class _Pending:
    document: Document
    doc_id: str
    chunks: list[Chunk]
    replaces: list[str]
    origin: str = ""  # the input it came from (a file of many documents, a feed)


class Indexer:
    """Chunks, embeds and stores documents; one instance per store."""

    def __init__(
        self,
        store: ReportStore,
        splitter: TextSplitter,
        batch_chunks: int = _EMBED_BATCH_CHUNKS,
        *,
        sentence_vectors: bool = False,
        lock_path: Path | None = None,
    ) -> None:
        """``sentence_vectors``: also embed and store every sentence of each document, as sentence
        windows read them (on when ``context_tokens`` is set), so questions never wait for it."""
        self.store = store
        self.splitter = splitter
        self.batch_chunks = batch_chunks
        self.sentence_vectors = sentence_vectors
        self.lock_path = lock_path  # one ingest at a time per data directory (see ``ingest``)

    def ingest(
        self,
        sources: Iterable[str | SkippedInput],
        load: Callable[[str], list[Document]],
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> IngestReport:
        """Load every source, index its documents; a bad source is reported and the batch goes on.

        Ingests of one data directory run one at a time (a lock file there, held for the run): the
        app's watcher, its Library tab and the command line may all ingest, and the ``repair`` that
        opens each run removes documents left ``pending`` - which must be a crash's, never those
        another ingest is still writing."""
        with _exclusive(self.lock_path):
            return self._ingest(sources, load, on_outcome)

    def _ingest(self, sources, load, on_outcome) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()

        def record(outcome: Outcome) -> None:
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)

        batch: list[_Pending] = []
        written: list[_Pending] = []
        seen: dict[str, str] = {}
        sources = iter(sources)
        current: list = []  # the input being read when the store failed
        try:
            self.store.repair()
            for source in sources:
                current[:] = [source]
                for outcome_or_pending in self._prepare(source, load, seen):
                    if isinstance(outcome_or_pending, Outcome):
                        record(outcome_or_pending)
                        continue
                    batch.append(outcome_or_pending)
                    if sum(len(p.chunks) for p in batch) >= self.batch_chunks:
                        written, batch = batch, []
                        self._write(written, record)
            written, batch = batch, []
            self._write(written, record)
        except StoreError as fault:
            # The store itself failed (its server down, its disk full): no later document can be
            # stored either. Every input not yet stored fails with the reason; what was stored is
            # whole (a document's record is complete only once all of it is written), so the
            # same ingest run again stores the rest.
            # Failed by the input they came from, so a watched folder tries that file again.
            done = {o.source for o in report.outcomes}
            stored = {o.source for o in report.outcomes if o.status in (ADDED, UPDATED)}
            for pending in [*written, *batch]:
                if pending.document.source in stored:
                    continue
                origin = pending.origin or pending.document.source
                if origin not in done:
                    done.add(origin)
                    record(Outcome(FAILED, origin, message=str(fault)))
            for source in [*current, *sources]:
                name = source.source if isinstance(source, SkippedInput) else source
                if name not in done:
                    done.add(name)
                    record(Outcome(FAILED, name, message=str(fault)))
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, source: str | SkippedInput, load, seen: dict[str, str]):
        if isinstance(source, SkippedInput):
            yield Outcome(SKIPPED, source.source, message=source.reason)
            return
        try:
            documents = load(source)
        except SkippedInput as exc:
            yield Outcome(SKIPPED, exc.source, message=exc.reason)
            return
        except LoadError as exc:
            yield Outcome(FAILED, exc.source, message=exc.reason)
            return
        except Exception as exc:  # a loader bug must not stop the batch
            log.exception("unexpected error loading %s", source)
            yield Outcome(FAILED, source, message=f"unexpected error: {type(exc).__name__}: {exc}")
            return
        for document in documents:
            planned = self._plan(document, seen)
            if isinstance(planned, _Pending):
                planned.origin = source
            yield planned

    def _plan(self, document: Document, seen: dict[str, str]) -> Outcome | _Pending:
        doc_id = content_id(document.text)
        if doc_id in seen or self.store.record(doc_id):
            if doc_id not in seen and self.sentence_vectors and not self.store.has_sentences(doc_id):
                try:
                    self._backfill(doc_id)  # stored before sentence windows were on
                except Exception:  # the sentences are an optimisation: a question embeds them instead
                    log.warning("could not store the sentence vectors of %s", doc_id, exc_info=True)
            stored = self.store.record(doc_id)
            first = seen.get(doc_id) or stored.source
            why = "unchanged" if first == document.source else f"same content as {Path(first).name or first}"
            title = stored.title if stored is not None else document.title
            return Outcome(SKIPPED, document.source, doc_id, message=why, title=title)
        seen[doc_id] = document.source
        chunks = chunk_document(document, self.splitter)
        if not chunks:
            return Outcome(FAILED, document.source, message="no text left to index after cleaning")
        replaces = [r.doc_id for r in self.store.records_for_source(document.source)]
        return _Pending(document, doc_id, chunks, replaces)

    def _write(self, batch: Sequence[_Pending], record: Callable[[Outcome], None]) -> None:
        """Embed the batch in one call and store it with three upserts; if that fails, store each
        document on its own so one bad document fails alone."""
        if not batch:
            return
        texts = [c.text for p in batch for c in p.chunks]
        vectors = self.store.embeddings.embed_documents(texts)
        rows, offset = [], 0
        for pending in batch:
            rows.append(self._rows(pending, vectors[offset : offset + len(pending.chunks)]))
            offset += len(pending.chunks)
        sentences = self._sentences(rows) if self.sentence_vectors else {}
        try:
            self.store.write_documents(rows, sentences=sentences)
        except StoreError:
            raise  # the store failed (its disk, its server): one by one would fail the same way
        except Exception:
            log.warning("batch write of %d documents failed; storing them one by one", len(batch), exc_info=True)
            for pending, row in zip(batch, rows):
                self._finish(pending, record, row, sentences.get(pending.doc_id))
            return
        for pending in batch:
            self._finish(pending, record)

    def _sentences(self, rows: Sequence[tuple]) -> dict[str, tuple[list[str], list[list[float]]]]:
        """Each document's sentences (as sentence windows split them) and their vectors, one embed call."""
        from qa.retrieve.windows import report_sentences

        per_doc = {rec.doc_id: report_sentences(list(zip(ids, texts, metas))) for rec, ids, texts, metas, _ in rows}
        flat = list(dict.fromkeys(t for texts in per_doc.values() for t in texts))
        vectors = dict(zip(flat, self.store.embeddings.embed_documents(flat))) if flat else {}
        return {doc_id: (texts, [vectors[t] for t in texts]) for doc_id, texts in per_doc.items()}

    def _backfill(self, doc_id: str) -> None:
        """Store the sentence vectors of a document stored without them (re-ingesting fills them in)."""
        from qa.retrieve.windows import report_sentences

        texts = list(dict.fromkeys(report_sentences(self.store.document_chunks([doc_id])[doc_id])))
        if texts:
            self.store.write_sentences(doc_id, texts, self.store.embeddings.embed_documents(texts))

    def _finish(
        self,
        pending: _Pending,
        record: Callable[[Outcome], None],
        row: tuple | None = None,
        sentences: tuple[list[str], list[list[float]]] | None = None,
    ) -> None:
        """Store the document (unless the batch already did), drop what it replaces, report."""
        try:
            if row is not None:
                self.store.write_document(*row, sentences=sentences)
            self._replace(pending)
        except StoreError:
            raise  # the store failed, not this document: the batch stops (``_ingest``)
        except Exception as exc:
            log.exception("could not store %s", pending.document.source)
            record(Outcome(FAILED, pending.document.source, message=f"could not store: {exc}"))
        else:
            status = UPDATED if pending.replaces else ADDED
            record(
                Outcome(
                    status, pending.document.source, pending.doc_id, len(pending.chunks), title=pending.document.title
                )
            )

    def _replace(self, pending: _Pending) -> None:
        for old in pending.replaces:
            self.store.delete_document(old)

    @staticmethod
    def _rows(pending: _Pending, vectors: list[list[float]]) -> tuple:
        """``write_document``'s arguments for one document."""
        doc = pending.document
        rec = DocRecord(
            doc_id=pending.doc_id,
            source=doc.source,
            title=doc.title,
            url=doc.url,
            published=doc.published,
            author=doc.author,
            chunks=len(pending.chunks),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            extra=json.dumps(doc.metadata, default=str, ensure_ascii=False) if doc.metadata else None,
        )
        ids = [f"{pending.doc_id}:{c.index:05d}" for c in pending.chunks]
        metas = [chunk_metadata(rec, c) for c in pending.chunks]
        return rec, ids, [c.text for c in pending.chunks], metas, vectors


def chunk_metadata(rec: DocRecord, chunk: Chunk) -> dict[str, Any]:
    """One chunk's Chroma metadata: the document's fields, where the chunk is, and where its date
    came from (``date_origin``, one of :data:`ingest.dates.DATE_ORIGINS`, and ``date_precision``
    "day" / "month" / "year"), copied from the document metadata in ``rec.extra``."""
    dating = _dating(rec)
    return {
        "doc_id": rec.doc_id,
        "title": rec.title,
        "source": rec.source,
        "url": rec.url,
        "published": rec.published,
        "published_ts": date_key(rec.published),
        "date_origin": dating.get("date_origin") or ("none" if rec.published is None else None),
        "date_precision": dating.get("date_precision") if rec.published else None,
        "author": rec.author,
        "page": chunk.page,
        "chunk": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
    }


def _dating(rec: DocRecord) -> dict[str, Any]:
    """``date_origin`` / ``date_precision`` from the record's ``extra`` JSON, {} if absent."""
    try:
        extra = json.loads(rec.extra) if rec.extra else {}
    except ValueError:
        return {}
    if not isinstance(extra, dict):
        return {}
    return {key: extra[key] for key in ("date_origin", "date_precision") if isinstance(extra.get(key), str)}
