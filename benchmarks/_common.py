"""Shared by the benchmark scripts: the machine, memory readings, and writing results."""

from __future__ import annotations

import json
import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, RAM, CPU model, load when the run started."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(_meminfo()["MemTotal"])
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem_kb / 2**20, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _meminfo() -> dict[str, str]:
    return {k: v.split()[0] for k, v in (line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())}


def rss_mb() -> tuple[float, float]:
    """``(current, peak)`` resident memory of this process in MB (VmRSS, VmHWM)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def stamp(machine_info: dict[str, Any]) -> dict[str, Any]:
    """When and on what a figure was measured."""
    return {"measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info}


def write_result(
    name: str, data: dict[str, Any], machine_info: dict[str, Any], file_stamp: dict[str, Any] | None = None
) -> Path:
    """Write ``results/<name>`` with the machine as it was when the run started. ``file_stamp``
    keeps an earlier run's stamp at the top when this run measured only one section of the file
    (that section then carries its own)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    data = {**(file_stamp or stamp(machine_info)), **data}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def offline() -> None:
    """Keep every library off the network (``import qa`` sets the variables)."""
    import qa  # noqa: F401


@contextmanager
def running_app(env: dict[str, str], data_dir: Path, timeout: float = 300):
    """`conflict-qa chat` on a free loopback port over ``data_dir``; yields its URL once it has
    announced itself there (``app.json``), and stops it afterwards."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen(
        [sys.executable, "-m", "qa", "chat", "--port", str(port)],
        env={**env, "CONFLICT_QA_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + timeout
        while not (data_dir / "app.json").exists():
            if app.poll() is not None or time.time() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        app.terminate()
        app.wait(timeout=60)
