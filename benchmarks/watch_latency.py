"""Watch latency: how long after a report is dropped into a watched folder it is answerable.

A watcher checks a folder every ``--every`` seconds (in a thread, as `conflict-qa watch` does in
its process); reports are dropped at random moments; the time is until retrieval for a question
about the new report returns its passage (a fresh retriever each try, as a new question would).
The bound is the interval plus one ingest: the figure says how much of it is ingest.

    .venv/bin/python benchmarks/watch_latency.py [--every 5] [--drops 5]

Writes benchmarks/results/watch_latency.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, offline, write_result  # noqa: E402

PLACES = ["Varno", "Nouadar", "Tamzeret", "Sabzqala", "Kel Amadal", "Bir Assaka", "Pashtak", "Ghazband"]


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--drops", type=int, default=5)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()

    from ingest.watch import Watcher
    from qa.factory import make_retriever, make_store
    from qa.settings import Settings

    info = machine()
    rng = random.Random(args.seed)
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "inbox"
        folder.mkdir()
        settings = Settings(data_dir=Path(tmp) / "data", chroma_url=None, _env_file=None)
        store = make_store(settings)
        (folder / "seed.md").write_text(
            "---\ntitle: Seed\npublished: 2024-01-01\n---\n\nA quiet week in the capital.\n"
        )
        watcher = Watcher(settings, store)
        watcher.add([str(folder)])
        watcher.poll()  # the store, the embedder and the index are warm, as in a running watch
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(args.every,), kwargs={"stop": stop}, daemon=True)
        thread.start()
        for i, place in enumerate(PLACES[: args.drops]):
            time.sleep(rng.uniform(0, args.every))
            toll = rng.randint(5, 90)
            text = f"A car bomb in {place} killed {toll} people on Tuesday, officials said."
            (folder / f"report-{i}.md").write_text(
                f"---\ntitle: {place} bombing\npublished: 2024-05-0{i + 1}\n---\n\n{text}\n"
            )
            dropped = time.perf_counter()
            while True:
                found = make_retriever(settings, store).retrieve(f"How many people did the car bomb in {place} kill?")
                if any(str(toll) in p.text for p in found.passages):
                    break
                time.sleep(0.2)
            latencies.append(time.perf_counter() - dropped)
            print(f"{place}: answerable after {latencies[-1]:.1f} s", flush=True)
        stop.set()
        thread.join(timeout=args.every + 60)
    result = {
        "every_s": args.every,
        "drops": len(latencies),
        "latency_s": [round(x, 2) for x in latencies],
        "median_s": round(statistics.median(latencies), 2),
        "max_s": round(max(latencies), 2),
        "max_over_interval_s": round(max(latencies) - args.every, 2),
    }
    print(result)
    print(f"wrote {write_result('watch_latency.json', result, info)}")


if __name__ == "__main__":
    main()
