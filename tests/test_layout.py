"""The package layout: the README map matches the tree, every stage package says what belongs in
it, and no module outside qa/store/ touches Chroma or a private attribute of the store."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _map_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where things are", 1)[1]
    block = section.split("```text", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_map_lists_every_package_of_qa_and_nothing_that_is_not_there():
    listed = {m.group(1) for line in _map_lines() if (m := re.match(r"^  (\w+)/", line))}
    packages = {p.parent.name for p in (ROOT / "qa").glob("*/__init__.py")}
    assert listed == packages
    for line in _map_lines():
        if m := re.match(r"^  (\w+\.py)\s", line):
            assert (ROOT / "qa" / m.group(1)).exists(), line
        if m := re.match(r"^(\w+)/\s", line):
            assert (ROOT / m.group(1)).is_dir(), line


def test_every_package_says_in_one_line_what_belongs_there():
    for init in (ROOT / "qa").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) <= 2, f"{init.relative_to(ROOT)} needs a one-line docstring"


def test_only_the_store_package_touches_chroma_or_the_stores_private_parts():
    offenders = []
    for path in list((ROOT / "qa").rglob("*.py")) + list((ROOT / "ingest").rglob("*.py")):
        if path.parent.name == "store":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import chromadb|from chromadb|from langchain_chroma)", text, re.M):
            offenders.append(f"{path.relative_to(ROOT)} imports chromadb")
        if re.search(r"\bstore\._\w+|_collection\b", text):
            offenders.append(f"{path.relative_to(ROOT)} reaches into the store")
    assert not offenders


def test_the_command_line_package_has_no_import_cycle():
    """commands and eval both import the shared state from qa.cli.common, never each other."""
    for name in ("commands.py", "eval.py"):
        tree = ast.parse((ROOT / "qa" / "cli" / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        other = {"commands.py": "qa.cli.eval", "eval.py": "qa.cli.commands"}[name]
        assert other not in imported and "qa.cli" not in imported


def test_library_logs_stay_quiet_unless_debugging():
    import subprocess
    import sys

    code = (
        "from qa.cli.common import configure_logging; import sys; configure_logging(debug=len(sys.argv) > 1);"
        "from qa.retrieve.lexical import LexicalIndex; LexicalIndex.build([('d:0', 'text here', {'doc_id': 'd'})], None)"
    )
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert quiet.returncode == 0 and "bm25s" not in quiet.stderr, quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code, "debug"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Building index" in loud.stderr
