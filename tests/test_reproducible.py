"""The same question over the same reports gets the same passages in every process.

Python salts string hashes per process, so a set of words iterates in another order in each run.
A float sum over such a set rounds differently, and a tie between two sentences then broke the
other way: one process in a few gave the model other passages, and the bundled model another
answer ("Suicide bombs [1]" to a question the reports do not answer). Each run here is a fresh
process with its own hash seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from ingest.service import run_ingest
from qa.factory import make_retriever, make_store
from qa.settings import Settings

corpus = Path(sys.argv[1])
settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "data", _env_file=None)
store = make_store(settings)
names = ("isis-k-taliban.txt", "tawila-bombing-day1.md", "tawila-bombing-update.md", "sabzqala-minibus-bomb.md")
run_ingest(settings, store, [str(corpus / n) for n in names])
retriever = make_retriever(settings, store)
out = {}
for q in sys.argv[2:]:
    out[q] = [[p.chunk_id, p.text] for p in retriever.retrieve(q).passages]
print(json.dumps(out))
"""

QUESTIONS = [
    "What weapons did ISIS-K use in the Moscow attack?",
    "How many people were killed in the Tawila market bombing?",
]


def passages_under(seed: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFLICT_QA_")}
    env.update(PYTHONHASHSEED=str(seed), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "eval" / "corpus"), *QUESTIONS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_passages_do_not_depend_on_the_processs_hash_seed():
    # seed 6 was one under which the Moscow question lost a passage before the sums were exact
    first, second = passages_under(1), passages_under(6)
    assert all(first[q] for q in QUESTIONS)
    assert first == second
