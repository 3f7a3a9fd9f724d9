"""Whatever the bytes, load() returns Documents or raises LoadError / SkippedInput."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.document import Document
from ingest.errors import LoadError
from ingest.loaders import load
from tests.hostile import docx_bytes, pdf_bytes

EXTENSIONS = (".txt", ".md", ".html", ".pdf", ".docx", ".jsonl", ".xml", ".bin")
# Prefixes that get random bytes past each parser's first check.
PREFIXES = (
    b"",
    b"%PDF-1.4\n",
    b"PK\x03\x04",
    b"---\ntitle: x\n",
    b"Title: x\n",
    b'{"text": ',
    b"<?xml version='1.0'?><rss version='2.0'><channel><item><description>",
    b"<html><body><p>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
)
_counter = itertools.count()


def bounded(max_examples: int) -> settings:
    """Bounded, deterministic-time settings: no deadline, no example database on disk."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check(workdir: Path, extension: str, data: bytes) -> None:
    path = workdir / f"f{next(_counter)}{extension}"
    path.write_bytes(data)
    try:
        documents = load(str(path))
    except LoadError as exc:  # SkippedInput is a LoadError
        assert "please report this" not in exc.reason  # handled on purpose, not by the safety net
        return
    finally:
        path.unlink()
    assert documents and all(isinstance(d, Document) and d.text.strip() for d in documents)


@bounded(max_examples=300)
@given(extension=st.sampled_from(EXTENSIONS), prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=3000))
def test_random_bytes(workdir: Path, extension: str, prefix: bytes, data: bytes) -> None:
    check(workdir, extension, prefix + data)


def _mutated(base: bytes) -> st.SearchStrategy[bytes]:
    """A valid file with a slice cut out or overwritten with random bytes."""
    return st.tuples(st.integers(0, len(base)), st.integers(0, 200), st.binary(max_size=50)).map(
        lambda cut: base[: cut[0]] + cut[2] + base[cut[0] + cut[1] :]
    )


PDF = pdf_bytes(["Page one text.", "Page two text."], info={"Title": "T", "CreationDate": "D:2024"})
DOCX = docx_bytes(["A paragraph of text."], table=[["a", "b"]], title="T")


@bounded(max_examples=60)
@given(data=_mutated(PDF))
def test_mutated_pdf(workdir: Path, data: bytes) -> None:
    check(workdir, ".pdf", data)


@bounded(max_examples=40)
@given(data=_mutated(DOCX))
def test_mutated_docx(workdir: Path, data: bytes) -> None:
    check(workdir, ".docx", data)


@bounded(max_examples=60)
@given(text=st.text(max_size=500), extension=st.sampled_from((".txt", ".md", ".jsonl", ".html")))
def test_random_text(workdir: Path, text: str, extension: str) -> None:
    check(workdir, extension, text.encode("utf-8", errors="surrogatepass"))
