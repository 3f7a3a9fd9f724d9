"""Factories: the only place settings become objects (store, retriever, chat model, checks, chain).

Everything a part needs is passed to its constructor here: the alias table the retriever searches
with is the one the gate and the checks read, and the store's report reader is handed to the
checks that read a whole report. A new check is one module plus one line in :func:`build_checks`.
"""

from __future__ import annotations

from collections.abc import Callable

from qa.errors import ConfigError
from qa.settings import Settings
from qa.store.chroma import ReportStore, make_client


def make_store(settings: Settings) -> ReportStore:
    from qa.store.embeddings import load_embeddings

    client = make_client(settings.chroma_dir, settings.chroma_url)
    where = settings.chroma_url or str(settings.chroma_dir)
    from qa.store.chroma import store_faults

    with store_faults(where):
        return ReportStore(
            client,
            settings.collection,
            load_embeddings(settings.embedding_model_path),
            where=where,
            min_free=int(settings.store_min_free_mb * 2**20),
        )


def make_aliases(settings: Settings):
    """The alias table (shipped groups plus the user's file), or None when aliases are off."""
    from qa.retrieve.aliases import load_aliases

    return load_aliases(settings.aliases_file) if settings.use_aliases else None


def make_retriever(settings: Settings, store: ReportStore | None = None, aliases=None):
    """``retrieval=hybrid`` (default): dense + BM25 with aliases and recency; ``dense``: dense only."""
    from qa.retrieve.dense import Retriever
    from qa.retrieve.hybrid import HybridRetriever

    store = store or make_store(settings)
    if settings.retrieval == "dense":
        windows = make_windows(settings, store)
        return Retriever(store, top_k=settings.top_k, min_relevance=settings.min_relevance, windows=windows)
    if settings.retrieval != "hybrid":  # pragma: no cover - pydantic already checks
        raise ConfigError(f"Unknown retrieval {settings.retrieval!r}: use dense or hybrid.")
    from qa.retrieve.lexical import LexicalSearch, cache_key

    aliases = aliases if aliases is not None else make_aliases(settings)
    location = settings.chroma_url or str(settings.chroma_dir.resolve())
    cache = settings.data_dir / "lexical" / cache_key(location, settings.collection)
    lexical = LexicalSearch(store, cache, aliases)
    return HybridRetriever(
        store,
        top_k=settings.top_k,
        min_relevance=settings.min_relevance,
        lexical=lexical,
        aliases=aliases,
        recency=settings.recency,
        windows=make_windows(settings, store, lexical),
    )


def make_windows(settings: Settings, store: ReportStore, lexical=None):
    """Sentence windows within ``settings.context_tokens`` word pieces, or None (0: fixed chunks)."""
    if not settings.context_tokens:
        return None
    from qa.retrieve.windows import SentenceWindows
    from qa.store.embeddings import count_tokens

    return SentenceWindows(
        store,
        count_tokens=lambda text: count_tokens(text, settings.embedding_model_path) - 2,
        budget=settings.context_tokens,
        rarity=lexical.token_rarity if lexical is not None else None,
        tokens=lexical.tokens if lexical is not None else None,
    )


def _sentences(aliases, reports, judge):
    from qa.checks.support import SentenceSupport, Verifier

    return SentenceSupport(Verifier(aliases, judge, reports))


def _asked_kind(aliases, reports, judge):
    from qa.checks.asks import AskedKind

    return AskedKind()


def _asked_about(aliases, reports, judge):
    from qa.checks.asks import AskedAbout

    return AskedAbout()


def _report_names(aliases, reports, judge):
    from qa.checks.asks import ReportNames

    return ReportNames(aliases, reports)


def _counted(aliases, reports, judge):
    from qa.checks.asks import CountedThing

    return CountedThing()


def _claim(aliases, reports, judge):
    from qa.checks.claim import ClaimSentence

    return ClaimSentence(aliases, reports)


def _restates(aliases, reports, judge):
    from qa.checks.claim import RestatesQuestion

    return RestatesQuestion()


def _said_of(aliases, reports, judge):
    from qa.checks.scope import SaidOf

    return SaidOf(aliases)


def _newer_report(aliases, reports, judge):
    from qa.checks.newest import NewerReport

    return NewerReport(aliases)


# Every check after generation, by the name settings and the eval report use. A new check is one
# module plus one line here.
CHECKS = {
    "sentences": _sentences,
    "asked_kind": _asked_kind,
    "asked_about": _asked_about,
    "report_names": _report_names,
    "claim": _claim,
    "counted": _counted,
    "newer_report": _newer_report,
    "said_of": _said_of,
    "restates": _restates,
}
DEFAULT_CHECKS: str = Settings.model_fields["checks"].default  # one list: the setting's default


def build_checks(
    names: str = DEFAULT_CHECKS, *, aliases=None, reports: Callable[[str], str] | None = None, judge=None
) -> list:
    """The checks after generation named in ``names`` (comma-separated), in that order."""
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in CHECKS]
    if unknown:
        raise ConfigError(f"Unknown check(s) {', '.join(unknown)}: choose from {', '.join(CHECKS)}.")
    return [CHECKS[n](aliases, reports, judge) for n in chosen]


def build_gate(kind: str = "names", *, aliases=None, rarity=None, bar: float = 0.5):
    from qa.checks.gate import CoverageGate, Gate

    return CoverageGate(aliases, rarity, bar) if kind == "coverage" else Gate(aliases)


def build_chain(
    retriever,
    chat_model,
    *,
    aliases=None,
    reports=None,
    gate: bool = True,
    verify: bool = True,
    judge=None,
    checks: str = DEFAULT_CHECKS,
    gate_kind: str = "names",
    gate_bar: float = 0.5,
    rarity=None,
    evidence_first: bool = False,
    second_draft: bool = False,
):
    """An ``AnswerChain`` over ``retriever`` and ``chat_model`` with the gate and checks switched on."""
    from qa.answer.chain import AnswerChain

    chosen = build_checks(checks, aliases=aliases, reports=reports, judge=judge) if verify else []
    the_gate = build_gate(gate_kind, aliases=aliases, rarity=rarity, bar=gate_bar) if gate else None
    return AnswerChain(
        retriever, chat_model, gate=the_gate, checks=chosen, evidence_first=evidence_first, second_draft=second_draft
    )


def make_chain(settings: Settings, store: ReportStore | None = None, chat_model=None):
    from qa.backends.chat import make_chat_model
    from qa.checks.support import model_judge

    store = store or make_store(settings)
    aliases = make_aliases(settings)
    model = chat_model or make_chat_model(settings)
    judge = model_judge(model) if settings.verify and settings.verify_with_model else None
    from qa.retrieve.hybrid import HybridRetriever

    retriever = make_retriever(settings, store, aliases)
    lexical = retriever.lexical if isinstance(retriever, HybridRetriever) else None
    return build_chain(
        retriever,
        model,
        aliases=aliases,
        reports=store.document_text,
        gate=settings.gate,
        verify=settings.verify,
        judge=judge,
        checks=settings.checks,
        gate_kind=settings.gate_kind,
        gate_bar=settings.gate_bar,
        rarity=lexical.rarity if lexical is not None else None,
        evidence_first=settings.evidence_first,
        second_draft=settings.second_draft,
    )
