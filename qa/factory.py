"""Factories: the only place settings become objects (store, retriever, chat model, chain)."""

from __future__ import annotations

from qa.settings import Settings
from qa.store import ReportStore, make_client


def make_store(settings: Settings) -> ReportStore:
    from qa.embeddings import load_embeddings

    client = make_client(settings.chroma_dir, settings.chroma_url)
    return ReportStore(client, settings.collection, load_embeddings(settings.embedding_model_path))


def make_retriever(settings: Settings, store: ReportStore | None = None):
    from qa.retrieval import Retriever

    return Retriever(store or make_store(settings), top_k=settings.top_k, min_relevance=settings.min_relevance)


def make_chain(settings: Settings, store: ReportStore | None = None, chat_model=None):
    from qa.chain import AnswerChain
    from qa.models import make_chat_model

    return AnswerChain(make_retriever(settings, store), chat_model or make_chat_model(settings))
