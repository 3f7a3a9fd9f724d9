"""Ingestion wired from settings: expand inputs, load each, index into the configured store."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.chunking import make_splitter
from ingest.indexer import Indexer, IngestReport, Outcome
from qa.settings import Settings
from qa.store.chroma import ReportStore
from qa.store.embeddings import count_tokens


def make_indexer(settings: Settings, store: ReportStore) -> Indexer:
    counter = functools.partial(count_tokens, path=settings.embedding_model_path)
    splitter = make_splitter(counter, settings.chunk_size, settings.chunk_overlap)
    return Indexer(
        store,
        splitter,
        batch_chunks=settings.embed_batch,
        sentence_vectors=settings.context_tokens > 0,
        lock_path=Path(settings.data_dir) / "ingest.lock",
    )


def run_ingest(
    settings: Settings,
    store: ReportStore,
    inputs: Sequence[str],
    on_outcome: Callable[[Outcome], None] | None = None,
) -> IngestReport:
    """Ingest files, directories, URLs and feeds; every input is accounted for once."""
    from ingest.fetch import Fetcher
    from ingest.loaders import expand_inputs, load

    fetcher = Fetcher(allow_private=settings.allow_private_urls)
    indexer = make_indexer(settings, store)
    return indexer.ingest(expand_inputs(inputs), functools.partial(load, fetcher=fetcher), on_outcome)
