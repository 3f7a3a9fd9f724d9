"""Scoring helpers `conflict-qa eval` needs beyond :mod:`qa.eval.metrics` (kept apart so that
module stays as its author wrote it)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.eval.metrics import matches_source
from qa.text.markers import strip_markers  # noqa: F401  (re-exported for scoring and the judge)


def gold_ref_for(refs: Sequence[str], *, doc_id: str, source: str | None, url: str | None) -> str | None:
    """The first gold source reference naming this document, or None."""
    return next((ref for ref in refs if matches_source(ref, doc_id=doc_id, source=source, url=url)), None)


def judge_verdict(text: str) -> float | None:
    """A judge's reply as 1.0 (yes), 0.0 (no) or None (neither word comes first)."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words or words[0] not in ("yes", "no"):
        return None
    return 1.0 if words[0] == "yes" else 0.0
