"""`conflict-qa ask` through a running app against in-process, on the same store and questions.

Starts `conflict-qa chat` on a free loopback port (it announces itself in the data directory),
asks it one question to load its model, then times each question twice, interleaved: `ask`
(answered by the app) and `ask --in-process` (loads the model, cold prompt cache: what every
`ask` paid before). Two figures per run, as ratios: the first word of the answer on the terminal
(in-process streams it; the app's answer arrives whole) and the wall time of the command.

    .venv/bin/python benchmarks/cli_ask.py [--store DIR] [--questions 3]

Without ``--store`` the sample report (``eval/corpus``) is ingested into a temporary store.
Writes benchmarks/results/cli_ask.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, offline, running_app, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "When was ISIS-K established?",
    "How many people were killed in the Tawila market bombing?",
    "Who leads the Taliban's interior ministry?",
    "What did the ceasefire talks in Nouadar agree?",
]


def _cli(*args: str, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "qa", *args], env=env, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - started, proc


def _ask_timed(question: str, *extra: str, env: dict) -> tuple[float, float, str, int]:
    """(seconds to the first character of the answer on stdout, seconds to exit, stderr, rc)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "ask", question, *extra],
        env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.read(1)
    first_s = time.perf_counter() - started
    proc.stdout.read()
    stderr = proc.stderr.read().decode(errors="replace")
    rc = proc.wait(timeout=900)
    total = time.perf_counter() - started
    return (first_s if first else total), total, stderr, rc


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="a data dir that holds reports (default: eval/corpus, ingested)")
    ap.add_argument("--questions", type=int, default=3)
    args = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.store or Path(tmp) / "data"
        env = {**os.environ, "CONFLICT_QA_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
        if args.store is None:
            _, proc = _cli("ingest", str(ROOT / "eval" / "corpus"), "--json", env=env)
            assert proc.returncode == 0, proc.stderr
        with running_app(env, data):
            warmup, proc = _cli("ask", QUESTIONS[-1], "--json", env=env)  # the app loads its model
            assert "running app" in proc.stderr, proc.stderr
            app_s, local_s, app_first, local_first = [], [], [], []
            for i, q in enumerate(QUESTIONS[: args.questions]):
                runs = [("app", ()), ("local", ("--in-process",))]
                for name, extra in runs if i % 2 == 0 else runs[::-1]:
                    first, seconds, stderr, rc = _ask_timed(q, *extra, env=env)
                    assert rc == 0, stderr
                    assert ("running app" in stderr) == (name == "app"), stderr
                    (app_s if name == "app" else local_s).append(seconds)
                    (app_first if name == "app" else local_first).append(first)
                    print(f"{name:5} first word {first:6.1f} s  done {seconds:6.1f} s  {q}", flush=True)
    result = {
        "questions": args.questions,
        "app_first_question_s": round(warmup, 1),
        "ask_through_app_s": [round(x, 1) for x in app_s],
        "ask_in_process_s": [round(x, 1) for x in local_s],
        "first_word_through_app_s": [round(x, 1) for x in app_first],
        "first_word_in_process_s": [round(x, 1) for x in local_first],
        "median_first_word_app_s": round(statistics.median(app_first), 1),
        "median_first_word_in_process_s": round(statistics.median(local_first), 1),
        "first_word_in_process_vs_app": round(statistics.median(local_first) / statistics.median(app_first), 2),
        "median_app_s": round(statistics.median(app_s), 1),
        "median_in_process_s": round(statistics.median(local_s), 1),
        "in_process_vs_app": round(statistics.median(local_s) / statistics.median(app_s), 2),
    }
    print(json.dumps(result, indent=1))
    print(f"wrote {write_result('cli_ask.json', result, info)}")


if __name__ == "__main__":
    main()
