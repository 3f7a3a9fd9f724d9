"""The bundled model is assembled from its parts once and verified by sha256 before it is used."""

from __future__ import annotations

import hashlib
import os

import pytest

from qa.backends import bundled
from qa.errors import ModelError


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Three small part files standing in for the 22 packages, and their true sha256."""
    files = []
    for i, data in enumerate((b"GGUF-head-", b"weights-", b"tail")):
        f = tmp_path / f"part{i}"
        f.write_bytes(data)
        files.append(f)
    monkeypatch.setattr(bundled, "part_paths", lambda: list(files))
    monkeypatch.setattr(bundled, "MODEL_SHA256", hashlib.sha256(b"GGUF-head-weights-tail").hexdigest())
    return files


def test_the_parts_are_assembled_once_and_verified(parts, tmp_path):
    path = bundled.assemble(tmp_path / "cache")
    assert path.read_bytes() == b"GGUF-head-weights-tail"
    stamp = bundled._verified_marker(path).read_text()
    assert bundled.assemble(tmp_path / "cache") == path and bundled._verified_marker(path).read_text() == stamp


@pytest.mark.parametrize("damage", ["tampered", "truncated"])
def test_a_damaged_model_file_is_never_used(parts, tmp_path, damage):
    path = bundled.assemble(tmp_path / "cache")
    if damage == "tampered":
        path.write_bytes(b"GGUF-head-EVILLLL-tail")  # the same size
    else:
        path.write_bytes(path.read_bytes()[:5])
    os.utime(path, ns=(1, 1))  # even with its time changed, size or stamp tells it changed
    again = bundled.assemble(tmp_path / "cache")
    assert again.read_bytes() == b"GGUF-head-weights-tail", "re-assembled from the verified parts"


def test_parts_that_are_not_the_verified_release_are_refused_with_how_to_fix(parts, tmp_path):
    parts[1].write_bytes(b"weightz-")
    with pytest.raises(ModelError, match="force-reinstall") as info:
        bundled.assemble(tmp_path / "cache")
    assert "sha256" in str(info.value) and not (tmp_path / "cache" / "models" / bundled.MODEL_FILE).exists()
