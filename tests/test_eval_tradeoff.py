"""The gate's refusal trade-off, computed from recorded gate signals."""

from qa.eval.tradeoff import GateSignal, sweep
from qa.types import Passage, Retrieval


def test_sweep_counts_refusals_per_bar_by_hand():
    rows = [
        (True, GateSignal(0.10, True)),  # unanswerable, far away: refused from bar 0.15 up
        (True, GateSignal(0.50, False)),  # unanswerable near miss: only the names check refuses it
        (False, GateSignal(0.40, True)),  # answerable: wrongly refused from bar 0.45 up
        (False, GateSignal(0.60, True)),  # answerable, close
    ]
    by_bar = {p["threshold"]: p for p in sweep(rows)}
    assert by_bar[0.0] == {
        "threshold": 0.0,
        "names_check": True,
        "precision": 1.0,
        "recall": 0.5,
        "false_refusal_rate": 0.0,
    }
    assert by_bar[0.15]["recall"] == 1.0 and by_bar[0.15]["precision"] == 1.0
    assert by_bar[0.45]["false_refusal_rate"] == 0.5 and by_bar[0.45]["precision"] == 2 / 3
    no_names = {p["threshold"]: p for p in sweep(rows, use_names=False)}
    assert no_names[0.15]["recall"] == 0.5 and no_names[0.0]["precision"] is None


def test_gate_signal_reads_the_retrieval():
    from qa.eval.tradeoff import gate_signal

    r = Retrieval("q", (Passage(text="Tawila bombing killed 57.", doc_id="d", chunk_id="d:0"),), best_similarity=0.42)
    assert gate_signal("How many died in Tawila?", r) == GateSignal(0.42, True)
    assert gate_signal("How many died in Kabul?", r) == GateSignal(0.42, False)
