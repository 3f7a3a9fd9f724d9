"""Factories: the only place settings become objects (store, retriever, chat model, chain)."""

from __future__ import annotations

from qa.errors import ConfigError
from qa.settings import Settings
from qa.store import ReportStore, make_client


def make_store(settings: Settings) -> ReportStore:
    from qa.embeddings import load_embeddings

    client = make_client(settings.chroma_dir, settings.chroma_url)
    return ReportStore(client, settings.collection, load_embeddings(settings.embedding_model_path))


def make_retriever(settings: Settings, store: ReportStore | None = None):
    """``retrieval=hybrid`` (default): dense + BM25 with aliases and recency; ``dense``: dense only."""
    from qa.retrieval import HybridRetriever, Retriever

    store = store or make_store(settings)
    if settings.retrieval == "dense":
        return Retriever(store, top_k=settings.top_k, min_relevance=settings.min_relevance)
    if settings.retrieval != "hybrid":  # pragma: no cover - pydantic already checks
        raise ConfigError(f"Unknown retrieval {settings.retrieval!r}: use dense or hybrid.")
    from qa.aliases import load_aliases
    from qa.lexical import LexicalSearch, cache_key

    aliases = load_aliases(settings.aliases_file) if settings.use_aliases else None
    location = settings.chroma_url or str(settings.chroma_dir.resolve())
    cache = settings.data_dir / "lexical" / cache_key(location, settings.collection)
    return HybridRetriever(
        store,
        top_k=settings.top_k,
        min_relevance=settings.min_relevance,
        lexical=LexicalSearch(store, cache, aliases),
        aliases=aliases,
        recency=settings.recency,
    )


def make_chain(settings: Settings, store: ReportStore | None = None, chat_model=None):
    from qa.chain import AnswerChain
    from qa.models import make_chat_model

    from qa.verify import model_judge

    model = chat_model or make_chat_model(settings)
    judge = model_judge(model) if settings.verify and settings.verify_with_model else None
    return AnswerChain(
        make_retriever(settings, store), model, gate=settings.gate, verify=settings.verify, judge=judge
    )
