"""Every trust configuration against the simplest pipeline, on one recorded run (see checks_replay.py).

    python benchmarks/checks_grid.py RUN/report.json eval/real/questions.jsonl --split dev --store RUN/store

Prints one row per configuration: the relevance bar alone at several bars, the shipped gate and
checks, the coverage gate and the claim check, and combinations; writes the table to
``benchmarks/results/checks_grid_<split>.json``. Tune on dev; run the chosen rows on test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import RESULTS, offline  # noqa: E402

OLD = "sentences,asked_kind,asked_about,report_names,newer_report"
CONFIGS = [
    # (label, relevance bar, gate kind, gate bar, checks)
    *[(f"bar {b:.2f} alone", b, "off", 0.0, "") for b in (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55)],
    ("shipped: names gate + old checks", 0.25, "names", 0.0, OLD),
    ("names gate alone", 0.25, "names", 0.0, ""),
    ("old checks alone", 0.25, "off", 0.0, OLD),
    *[(f"coverage gate {g:.1f}", 0.25, "coverage", g, "") for g in (0.3, 0.5, 0.7, 0.9)],
    ("claim alone", 0.25, "off", 0.0, "claim"),
    ("claim + newer_report", 0.25, "off", 0.0, "claim,newer_report"),
    *[
        (f"bar {b:.2f} + coverage {g:.1f} + claim + newer", b, "coverage", g, "claim,newer_report")
        for b in (0.25, 0.35, 0.45)
        for g in (0.5, 0.7)
    ],
    *[(f"bar {b:.2f} + claim + newer", b, "off", 0.0, "claim,newer_report") for b in (0.35, 0.45)],
    ("bar 0.25 + sentences + newer", 0.25, "off", 0.0, "sentences,newer_report"),
    # round 2 (after the first grid on dev: claim, report_names and asked_kind refused more right
    # answers than wrong ones; the bar only starts refusing off-topic questions from 0.5)
    *[
        (f"r2: bar {b:.2f} + {label}", b, gate, 0.0 if gate != "coverage" else 0.9, checks)
        for b in (0.25, 0.50, 0.55)
        for label, gate, checks in (
            ("sentences + newer", "off", "sentences,newer_report"),
            ("asked_about + newer", "off", "asked_about,newer_report"),
            ("sentences + asked_about + newer", "off", "sentences,asked_about,newer_report"),
            ("names gate + sentences + asked_about + newer", "names", "sentences,asked_about,newer_report"),
            ("coverage 0.9 + sentences + asked_about + newer", "coverage", "sentences,asked_about,newer_report"),
        )
    ],
]
KEYS = (
    "false_refusals",
    "refusal_recall_near_miss",
    "refusal_recall_out_of_corpus",
    "citation_precision",
    "lenient_in_context",
    "lenient",
    "lenient_latest",
    "lenient_as_of",
    "accuracy",
)


def main() -> None:
    offline()
    from benchmarks.checks_replay import replay

    ap = argparse.ArgumentParser()
    ap.add_argument("report", type=Path)
    ap.add_argument("questions", type=Path)
    ap.add_argument("--split")
    ap.add_argument("--store", type=Path)
    ap.add_argument("--only", default="", help="labels to run (substring match)")
    ap.add_argument("--name", default="", help="a suffix for the results file (e.g. the context the run used)")
    args = ap.parse_args()
    rows = []
    print("| configuration | " + " | ".join(KEYS) + " | stages |")
    print("|---|" + "---|" * (len(KEYS) + 1))
    for label, bar, gate, gate_bar, checks in CONFIGS:
        if args.only and args.only not in label:
            continue
        agg, stages, _ = replay(args.report, args.questions, args.split, args.store, checks, gate, gate_bar, bar)
        rows.append({"config": label, **{k: agg.get(k) for k in KEYS}, "stages": stages})
        cells = " | ".join("–" if agg.get(k) is None else f"{agg[k]:.3f}" for k in KEYS)
        brief = ", ".join(f"{n} {v['right']}/{v['refusals']}" for n, v in stages.items())
        print(f"| {label} | {cells} | {brief} |", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"checks_grid_{args.split or 'all'}{'_' + args.name if args.name else ''}.json"
    out.write_text(json.dumps({"report": str(args.report), "split": args.split, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
