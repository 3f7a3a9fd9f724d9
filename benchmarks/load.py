"""Concurrent chat sessions against the app with the real model: errors, answers that are not
their own question's, and the wait each session saw (the app queues them for the one model).

    .venv/bin/python benchmarks/load.py [--sessions 20] [--questions 5]

Ingests the sample reports (eval/corpus) into a temporary store, starts `conflict-qa chat` on a
free loopback port, and runs each session in its own gradio_client from this process. Writes
benchmarks/results/load.json.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, offline, running_app, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--questions", type=int, default=5)
    args = ap.parse_args()
    info = machine()
    gold = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines() if line.strip()]
    pool = [g["question"] for g in gold if g.get("answer") and not g.get("history")]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CONFLICT_QA_DATA_DIR": str(Path(tmp) / "data"), "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "qa", "ingest", str(ROOT / "eval" / "corpus"), "--json"],
            env=env,
            check=True,
            capture_output=True,
        )
        with running_app(env, Path(tmp) / "data") as url:
            from gradio_client import Client

            def session(i: int) -> list[dict]:
                client = Client(url, verbose=False)
                out = []
                for j in range(args.questions):
                    q = pool[(i * args.questions + j) % len(pool)]
                    started = time.perf_counter()
                    try:
                        a = client.predict(question=q, api_name="/ask")
                        out.append(
                            {
                                "session": i,
                                "question": q,
                                "own": a["question"] == q,
                                "answered": not a["abstained"],
                                "seconds": time.perf_counter() - started,
                            }
                        )
                    except Exception as exc:  # noqa: BLE001 - counted, not raised
                        out.append(
                            {
                                "session": i,
                                "question": q,
                                "error": f"{type(exc).__name__}: {exc}",
                                "seconds": time.perf_counter() - started,
                            }
                        )
                return out

            started = time.perf_counter()
            with ThreadPoolExecutor(args.sessions) as ex:
                rows = [r for rs in ex.map(session, range(args.sessions)) for r in rs]
            wall = time.perf_counter() - started
    waits = [r["seconds"] for r in rows]
    result = {
        "sessions": args.sessions,
        "questions_per_session": args.questions,
        "requests": len(rows),
        "errors": sum("error" in r for r in rows),
        "not_their_own_question": sum(not r.get("own", True) for r in rows),
        "answered": sum(r.get("answered", False) for r in rows),
        "wall_s": round(wall, 1),
        "seconds_per_answer": round(wall / len(rows), 1),
        "wait_median_s": round(statistics.median(waits), 1),
        "wait_max_s": round(max(waits), 1),
        "error_messages": sorted({r["error"] for r in rows if "error" in r})[:5],
    }
    print(json.dumps(result, indent=1))
    print(f"wrote {write_result('load.json', result, info)}")


if __name__ == "__main__":
    main()
