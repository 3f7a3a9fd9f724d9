"""Pure scoring functions for `conflict-qa eval`.

Every function takes plain values (strings, lists of document keys, booleans) and returns a number,
``None`` or a small dict; nothing here imports the rest of the project, so the metrics can be tested
and reused on their own.

Conventions:

- Answer metrics (``exact_match``, ``token_f1``, ``contains_gold``, ``answer_in_context``) take the
  prediction and a list of acceptable gold strings and score the best-matching gold. With no gold
  strings they return 0.0: unanswerable questions are scored by ``refusal_scores`` instead.
- Retrieval metrics score *documents*, not chunks: pass the document key of every retrieved chunk in
  rank order and each document is ranked by its best (first) chunk. With no gold documents they
  return ``None`` and the question is left out of that aggregate (see ``mean_or_none``).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from pathlib import PurePosixPath

from qa.text.markers import MARKER
from qa.text.sentences import split_sentences
from qa.text.terms import normalize_number, numbers_in

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")


# --- answers -----------------------------------------------------------------------------------


def normalize_answer(s: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation and the articles a/an/the, squeeze spaces."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


def _as_list(golds: str | Sequence[str] | None) -> list[str]:
    if golds is None:
        return []
    return [golds] if isinstance(golds, str) else list(golds)


def exact_match(prediction: str, golds: str | Sequence[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold string, else 0.0."""
    pred = normalize_answer(prediction)
    return max((float(pred == normalize_answer(g)) for g in _as_list(golds)), default=0.0)


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: str | Sequence[str]) -> float:
    """SQuAD token-overlap F1 between prediction and the best-matching gold string."""
    pred = normalize_answer(prediction).split()
    return max((_f1(pred, normalize_answer(g).split()) for g in _as_list(golds)), default=0.0)


def _contains(text: str, gold: str) -> bool:
    # Whole-token match on normalised text, so "40" is found in "at least 40" but not in "140".
    # A figure also matches when written in words: "Fourteen people" contains the gold "14".
    if _FIGURE.fullmatch(gold.strip()) and normalize_number(gold.strip()) in numbers_in(text):
        return True
    gold = normalize_answer(gold)
    return bool(gold) and f" {gold} " in f" {normalize_answer(text)} "


def contains_gold(prediction: str, golds: str | Sequence[str]) -> float:
    """1.0 if any normalised gold string occurs (as whole tokens) in the normalised prediction."""
    return float(any(_contains(prediction, g) for g in _as_list(golds)))


def _tokens(text: str) -> list[str]:
    """Normalised tokens with figures by value ("12,000" and "12000" are one token)."""
    return [normalize_number(t) if _FIGURE.fullmatch(t) else t for t in normalize_answer(text.replace(",", "")).split()]


def lenient_match(prediction: str, golds: str | Sequence[str], *, fuzzy: int = 90) -> float:
    """``contains``, or a right answer in other words:

    - every token of a gold string occurs in the prediction, in any order ("Finland and Sweden"
      for "Sweden and Finland"; figures by value, "12000" for "12,000");
    - or a gold string of 5+ characters matches a span of the prediction with rapidfuzz's
      ``partial_ratio`` >= ``fuzzy`` (spelling, possessives, plurals: "Japanese" for "Japan" is
      already ``contains``; "Zhukovskyy's" for "Zhukovskyy").
    """
    from rapidfuzz import fuzz

    if contains_gold(prediction, golds):
        return 1.0
    pred_tokens = set(_tokens(prediction)) | numbers_in(prediction)
    pred_norm = normalize_answer(prediction)
    for gold in _as_list(golds):
        tokens = _tokens(gold)
        if tokens and all(t in pred_tokens for t in tokens):
            return 1.0
        g = normalize_answer(gold)
        if len(g) >= 5 and fuzz.partial_ratio(g, pred_norm) >= fuzzy:
            return 1.0
    return 0.0


def answer_in_context(passage_texts: Sequence[str], golds: str | Sequence[str], k: int) -> float:
    """1.0 if any gold string occurs (as whole tokens) in any of the top-``k`` passages."""
    _check_k(k)
    return float(any(contains_gold(text, golds) for text in passage_texts[:k]))


# --- retrieval ---------------------------------------------------------------------------------


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1. Currently, k is {k}")


def dedupe_ranking(keys: Iterable[Hashable]) -> list:
    """Collapse repeated document keys to their first (best) rank, keeping the order."""
    return list(dict.fromkeys(keys))


def _top_k(ranked: Iterable[Hashable], k: int) -> list:
    _check_k(k)
    return dedupe_ranking(ranked)[:k]


def hits_at_k(ranked: Iterable[Hashable], gold: set, k: int) -> float | None:
    """1.0 if any gold document is among the top ``k`` distinct documents; None without gold."""
    if not gold:
        return None
    return float(any(key in gold for key in _top_k(ranked, k)))


def recall_at_k(ranked: Iterable[Hashable], gold: set, k: int) -> float | None:
    """Share of the gold documents found among the top ``k`` distinct documents; None without gold."""
    if not gold:
        return None
    return len(set(_top_k(ranked, k)) & set(gold)) / len(gold)


def mrr_at_k(ranked: Iterable[Hashable], gold: set, k: int = 10) -> float | None:
    """1 / rank of the first gold document within the top ``k`` (0.0 if none); None without gold."""
    if not gold:
        return None
    for rank, key in enumerate(_top_k(ranked, k), start=1):
        if key in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Iterable[Hashable], gold: set, k: int = 10) -> float | None:
    """Binary-relevance nDCG with a log2 discount; the ideal ranking puts min(len(gold), k) gold
    documents first. None without gold."""
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(i + 2) for i, key in enumerate(_top_k(ranked, k)) if key in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal


# --- citations ---------------------------------------------------------------------------------


def citation_precision(cited_keys: Sequence[Hashable], gold: set) -> float | None:
    """Share of citations (one key per citation) that point at a gold source; None if nothing was
    cited. With no gold sources every citation counts as wrong."""
    if not cited_keys:
        return None
    return sum(key in gold for key in cited_keys) / len(cited_keys)


def citation_recall(cited_keys: Sequence[Hashable], gold: set) -> float | None:
    """Share of the gold sources cited at least once; None if the question has no gold source."""
    if not gold:
        return None
    return len(set(cited_keys) & set(gold)) / len(gold)


def _sentences_cited(answer_text: str) -> list[bool]:
    # Markers right after a full stop stay with the sentence they follow (qa.text.sentences).
    return [
        MARKER.search(piece) is not None
        for piece in split_sentences(answer_text.strip())
        if re.search(r"\w", MARKER.sub("", piece))
    ]


def cited_sentence_share(answer_text: str) -> float | None:
    """Share of answer sentences carrying at least one ``[n]`` marker; None for an empty answer.

    Sentences end at . ! or ? followed by whitespace or the end of the text. Markers placed right
    after a full stop count for the sentence they follow. Abbreviations such as "U.S." are not
    special-cased.
    """
    cited = _sentences_cited(answer_text)
    return sum(cited) / len(cited) if cited else None


def matches_source(gold_ref: str, *, doc_id: str | None, source: str | None, url: str | None) -> bool:
    """True if a gold source reference names this passage's document.

    It matches the doc id, the source, the url, or the file name or stem (name without extension)
    of the source, each compared as an exact string.
    """
    candidates = {doc_id, source, url}
    if source:
        path = PurePosixPath(source.replace("\\", "/"))
        candidates |= {path.name, path.stem}
    return bool(gold_ref) and gold_ref in candidates - {None, ""}


# --- refusals, latency, aggregation ------------------------------------------------------------


def refusal_scores(rows: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """Score abstentions from ``(should_refuse, did_refuse)`` pairs.

    precision: correct refusals / all refusals (None if the system never refused);
    recall: correct refusals / unanswerable questions (None if there are none);
    false_refusal_rate: refusals on answerable questions / answerable questions (None if none).
    """
    counts = Counter((bool(should), bool(did)) for should, did in rows)
    correct, wrong = counts[(True, True)], counts[(False, True)]
    unanswerable = correct + counts[(True, False)]
    answerable = wrong + counts[(False, False)]
    return {
        "precision": _ratio(correct, correct + wrong),
        "recall": _ratio(correct, unanswerable),
        "false_refusal_rate": _ratio(wrong, answerable),
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) with linear interpolation between ranks; None if empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"p must be between 0 and 100. Currently, p is {p}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None if there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
