"""Builds the loader test inputs — good and hostile — as bytes at test time.

Nothing binary is committed: every PDF, DOCX and junk file is generated here. Run
``python tests/hostile.py OUTDIR`` to write the hostile set to a directory for a look.
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders.clean import MAX_TEXT_CHARS

PROSE = (
    "Shelling resumed near the northern checkpoint on Tuesday, according to local monitors. "
    "Aid convoys were delayed for a second day while negotiators met in the capital."
)


def pdf_bytes(pages: Sequence[str], *, info: dict[str, str] | None = None) -> bytes:
    """A small valid PDF: one page per string (an empty string gives a page with no text)."""
    page_ids = [4 + 2 * i for i in range(len(pages))]
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for pid, text in zip(page_ids, pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {pid + 1} "
            "0 R /Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(_stream(_page_content(text)))
    if info:
        fields = " ".join(f"/{key} ({_pdf_string(value)})" for key, value in info.items())
        objects.append(f"<< {fields} >>".encode())
    return _assemble(objects, info_id=len(objects) if info else None)


def _page_content(text: str) -> bytes:
    if not text:
        return b"0 0 m 300 300 l S"  # a line, no text: like a scanned page
    lines = [f"({_pdf_string(line)}) Tj T*" for line in text.split("\n")]
    return ("BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(lines) + " ET").encode("latin-1")


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def _assemble(objects: list[bytes], info_id: int | None) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info = b" /Info %d 0 R" % info_id if info_id else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)


def encrypted_pdf_bytes() -> bytes:
    """A PDF that needs the password 'secret' to open."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([PROSE]))))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes(
    paragraphs: Sequence[str], *, table: Sequence[Sequence[str]] = (), title: str = "", author: str = ""
) -> bytes:
    """A real .docx made with python-docx."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    document.core_properties.title = title
    document.core_properties.author = author
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _not_a_docx_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "a zip file, but not a Word document")
    return buffer.getvalue()


def _yaml_bomb() -> bytes:
    """'Billion laughs' front matter: nine levels of nine aliases each."""
    lines = ["---", "title: Bomb", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    return ("\n".join(lines) + "\n---\n" + PROSE).encode()


@dataclass(frozen=True)
class Hostile:
    """One hostile input: its file name, its bytes, and the documented outcome.

    ``outcome`` is "error" (LoadError), "skip" (SkippedInput) or "ok" (loads); ``reason`` is a
    fragment the error's reason must contain (for "ok", a fragment of the text).
    """

    name: str
    build: Callable[[], bytes]
    outcome: str
    reason: str


HOSTILE: tuple[Hostile, ...] = (
    Hostile("empty.txt", lambda: b"", "error", "empty document"),
    Hostile("whitespace.md", lambda: b"  \n\t\r\n   \n", "error", "empty document"),
    Hostile("binary.txt", lambda: random.Random(7).randbytes(4096), "error", "binary content, not text"),
    Hostile("nul-bytes.txt", lambda: b"Casualty figures\x00\x00 rose again.", "error", "binary content, not text"),
    Hostile("fake.pdf", lambda: b"<html>this is not a PDF</html>", "error", "not a readable PDF"),
    Hostile("truncated.pdf", lambda: pdf_bytes([PROSE, PROSE])[:200], "error", "not a readable PDF"),
    Hostile("encrypted.pdf", encrypted_pdf_bytes, "error", "encrypted PDF"),
    Hostile("scanned.pdf", lambda: pdf_bytes(["", ""]), "error", "no extractable text — a scanned PDF"),
    Hostile("broken.docx", lambda: b"PK\x03\x04 this zip stops here", "error", "not a readable DOCX"),
    Hostile("not-word.docx", _not_a_docx_zip, "error", "not a readable DOCX"),
    Hostile("huge.txt", lambda: b"words " * (MAX_TEXT_CHARS // 6 + 1), "error", "document too large"),
    Hostile("one-long-line.txt", lambda: b"Q" * 10_000_000, "error", "no readable text"),
    Hostile(
        "nested.html",
        lambda: (
            b"<html><body><p>"
            + PROSE.encode()
            + b"</p>"
            + b"<div>" * 200_000
            + b"deep"
            + b"</div>" * 200_000
            + b"</body></html>"
        ),
        "ok",
        "Shelling resumed",
    ),
    Hostile(
        "nested-only.html",
        lambda: b"<html><body>" + b"<div>" * 200_000 + PROSE.encode() + b"</div>" * 200_000 + b"</body></html>",
        "error",
        "no readable text",
    ),
    Hostile(
        "script-only.html",
        lambda: b"<html><head><script>var x = 1;</script></head><body></body></html>",
        "error",
        "no readable text",
    ),
    Hostile(
        "broken-front-matter.md",
        lambda: b"---\ntitle: [unclosed\nauthor: x\n---\n" + PROSE.encode(),
        "error",
        "broken front matter",
    ),
    Hostile("unclosed-front-matter.md", lambda: b"---\ntitle: Report\n" + PROSE.encode(), "error", "never closed"),
    Hostile(
        "python-tag.md",
        lambda: b"---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\n" + PROSE.encode(),
        "error",
        "broken front matter",
    ),
    Hostile(
        "bad-date.md",
        lambda: b"---\ntitle: Undated\npublished: sometime last spring\n---\n" + PROSE.encode(),
        "ok",
        "Shelling resumed",
    ),
    Hostile(
        "impossible-date.txt",
        lambda: b"Title: Impossible\nDate: 2024-02-30\n\n" + PROSE.encode(),
        "ok",
        "Shelling resumed",
    ),
    Hostile(
        "month-13.md",
        lambda: b"---\ntitle: Odd\npublished: 2024-13-01\n---\n" + PROSE.encode(),
        "ok",
        "Shelling resumed",
    ),
    Hostile("yaml-bomb.md", _yaml_bomb, "ok", "Shelling resumed"),
    Hostile(
        "deep-yaml.md",
        lambda: b"---\ntitle: " + b"[" * 600 + b"\n---\n" + PROSE.encode(),
        "error",
        "broken front matter",
    ),
    Hostile(
        "mixed-encoding.txt",
        lambda: "Café in Kyiv — “open”. ".encode() + "naïve señor".encode("cp1252"),
        "ok",
        "naïve señor",
    ),
    Hostile("path-as-feed.xml", lambda: b"/etc/passwd", "error", "not an RSS/Atom feed"),
    Hostile("deep.jsonl", lambda: b"[" * 100_000 + b"]" * 100_000 + b"\n", "error", "line 1 is not valid JSON"),
    Hostile("bad-line.jsonl", lambda: b'{"text": "fine"}\n{"title": "no text"}\n', "error", 'line 2 has no "text"'),
    Hostile("unknown.xyz", lambda: b"some text", "skip", "unsupported file type '.xyz'"),
    Hostile("no-extension", lambda: b"some text", "skip", "unsupported file type (no extension)"),
)

GOOD = {"good.txt": PROSE.encode(), "copy-a.txt": PROSE.encode(), "copy-b.md": PROSE.encode()}


def write_hostile(directory: Path) -> dict[str, Path]:
    """Write every hostile and good input into ``directory``; return name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, data in [(h.name, h.build()) for h in HOSTILE] + list(GOOD.items()):
        written[name] = directory / name
        written[name].write_bytes(data)
    return written


def write_symlink_loop(directory: Path) -> Path:
    """``directory/tree`` with a good file and ``tree/sub/loop`` -> ``tree``; returns ``tree``."""
    tree = directory / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "report.txt").write_text(PROSE, encoding="utf-8")
    (tree / "sub" / "loop").symlink_to(tree, target_is_directory=True)
    return tree


if __name__ == "__main__":
    for path in write_hostile(Path(sys.argv[1])).values():
        print(path)
