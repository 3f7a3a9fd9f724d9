"""One settings object: defaults < ``.env`` < ``CONFLICT_QA_*`` environment < CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def default_data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "conflict-qa"


def default_cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "conflict-qa"


class Settings(BaseSettings):
    """Every knob of conflict-qa. The field name ``top_k`` is ``CONFLICT_QA_TOP_K`` and ``--top-k``."""

    model_config = SettingsConfigDict(env_prefix="CONFLICT_QA_", env_file=".env", extra="ignore", validate_default=True)

    # Where things live
    data_dir: Path = Field(default_factory=default_data_dir, description="Chroma store and indexes")
    cache_dir: Path = Field(default_factory=default_cache_dir, description="assembled model files")
    collection: str = Field("reports", description="Chroma collection name")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store")
    store_min_free_mb: float = Field(
        64,
        ge=0,
        description="an ingest write to the embedded store that would leave less than this many MB free on its "
        "disk is refused with a clear error (Chroma can block on a full disk)",
    )

    # Embeddings and chunking
    embedding_model_path: Path | None = Field(None, description="sentence-transformers dir")
    chunk_size: int = Field(200, ge=32, le=250, description="chunk size in word pieces")
    chunk_overlap: int = Field(30, ge=0, le=120, description="overlap between chunks, word pieces")
    embed_batch: int = Field(256, ge=1, le=4096, description="chunks embedded (and stored) per batch when ingesting")

    # Retrieval
    top_k: int = Field(
        4, ge=1, le=50, description="passages given to the model when context_tokens is 0 (fixed chunks)"
    )
    context_tokens: int = Field(
        300,
        ge=0,
        le=4000,
        description="word pieces of sentence windows given to the model (0 = the top_k stored chunks instead)",
    )
    min_relevance: float = Field(
        0.25, ge=-1.0, le=1.0, description="cosine similarity below which a passage is irrelevant"
    )
    retrieval: Literal["dense", "hybrid"] = Field("hybrid", description="dense | hybrid (dense + BM25)")
    use_aliases: bool = Field(True, description="search an actor under all its names")
    aliases_file: Path | None = Field(None, description="extra alias groups (YAML, like qa/data/aliases.yaml)")
    recency: bool = Field(
        True, description="prefer newer reports for latest / as-of questions (older ones for 'the first report')"
    )

    # Language model
    backend: Literal["llamacpp", "openai"] = Field("llamacpp", description="llamacpp | openai")
    model_path: Path | None = Field(None, description="a GGUF file; unset = the bundled Qwen")
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(320, ge=16, le=4096, description="answer length limit, tokens")
    prompt_cache: bool = Field(
        True, description="evaluate the static prompt prefix (rules, examples) once and reuse it"
    )
    openai_base_url: str | None = Field(None, description="e.g. http://127.0.0.1:11434/v1")
    openai_model: str | None = Field(None, description="model name on the server")
    openai_api_key: SecretStr | None = Field(None, description="API key, if the server needs one")
    openai_timeout: float = Field(
        120.0, gt=0, description="seconds to wait for the model server before saying it did not answer"
    )

    # Trust: refuse what the reports don't say, check every cited sentence
    gate: bool = Field(True, description="refuse before generation when the passages lack the question's names/figures")
    evidence_first: bool = Field(
        False,
        description="the model first copies the passage sentence that answers, then answers (only the answer is shown)",
    )
    second_draft: bool = Field(
        False,
        description="when a check withholds the answer, the model writes a second one with the other prompt; "
        "it is given only if it passes every check",
    )
    verify: bool = Field(True, description="drop answer sentences their cited passages don't state")
    verify_with_model: bool = Field(True, description="ask the model yes/no when the cheap checks are undecided")
    gate_kind: Literal["names", "coverage"] = Field(
        "names", description="names: every name/figure of the question in the passages; coverage: rarity-weighted share"
    )
    gate_bar: float = Field(
        0.5, ge=0.0, le=1.0, description="share of the question's weighted names a coverage gate needs"
    )
    checks: str = Field(
        "sentences,restates,asked_kind,asked_about,counted,newer_report",
        description="checks after generation, in order (comma-separated; see qa/factory.py CHECKS)",
    )

    # Ingestion
    allow_private_urls: bool = Field(False, description="allow fetching loopback/private URLs")

    # Web app (conflict-qa chat)
    auth: SecretStr | None = Field(None, description="user:password; turns on the app's login")
    auth_file: Path | None = Field(None, description="a file of user:password lines; turns on the login")
    max_upload_mb: int = Field(50, ge=1, le=2048, description="largest file the app accepts, MB")
    watch_every: str = Field("15m", description="how often the app and `watch` check watched sources (30s, 15m, 1h)")

    debug: bool = Field(False, description="show tracebacks")

    @field_validator("chroma_url", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value or None

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def redacted(self) -> dict[str, object]:
        """The effective settings as plain values, secrets shown as ``'**********'``."""
        out: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = "**********"
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out
