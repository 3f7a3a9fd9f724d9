"""Dates and titles as real documents carry them: the HIU corpus, and PDFs built to match it.

The corpus is ``shared/corpora/us-state-hiu/`` beside the repository (CI clones the repo with
``../shared`` next to it); its tests skip, saying why, when it is absent.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from ingest.dates import printed_date
from ingest.errors import LoadError
from ingest.loaders import load
from tests.hostile import PROSE, _assemble

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "us-state-hiu"
PRODUCTS = sorted((CORPUS / "products").glob("*.md"))
needs_corpus = pytest.mark.skipif(
    not PRODUCTS, reason=f"the HIU corpus is not at {CORPUS} (clone the repo with ../shared beside it)"
)

# What each PDF prints at the top of its first page (read with pypdf, and by eye for the scans).
TEXT_PDFS = {
    "22-Eritrea-Ethiopia-2003.pdf": ("2003-08-26", "August 26, 2003", "ERITREA/ETHIOPIA BOUNDARY"),
    "23-Kashmir-2003.pdf": ("2003-09-30", "September 30, 2003", "KASHMIR REGION: CARTOGRAPHIC DEPICTION"),
}
# Image-only scans: the Gaza bulletin, and the Morocco one (its only page is a JPEG of the
# printed bulletin, "December 16, 2020"; the corpus README counts it as a text PDF, it is not).
SCANS = ("15-Gaza-Strip-and-West-Bank-1994.pdf", "38-Morocco-Western-Sahara-2020.pdf")
_YAML_KEY_LINE = re.compile(
    r"^\s*(layout|category|thumbnail|product_\w+|region_\w+|lat|lon|"
    r"keywords|tweet|date_published|title)\s*:",
    re.MULTILINE,
)


def _front(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---"))


@needs_corpus
@pytest.mark.parametrize("path", PRODUCTS, ids=lambda p: p.name[:40])
def test_every_product_page_is_titled_and_dated_from_its_front_matter(path: Path) -> None:
    front = _front(path)
    [doc] = load(str(path))
    assert doc.title == " ".join(str(front["title"]).split())
    assert doc.published == str(front["date_published"])
    assert doc.metadata["date_origin"] == "front_matter"
    assert doc.metadata["date_precision"] == "day"
    assert not doc.text.startswith("---")
    assert not _YAML_KEY_LINE.search(doc.text), doc.text[:300]
    assert doc.metadata["layout"] == "product" and doc.metadata["product_id"] == front["product_id"]
    assert doc.metadata["keywords"] == [" ".join(str(k).split()) for k in front["keywords"]]


@needs_corpus
def test_product_pages_include_jekyll_blank_line_front_matter() -> None:
    blank = [p for p in PRODUCTS if p.read_text(encoding="utf-8").startswith("---\n\n")]
    assert len(blank) >= 3, "the corpus has pages whose front matter opens with a blank line"


@needs_corpus
@pytest.mark.parametrize("name", sorted(TEXT_PDFS))
def test_text_pdfs_are_dated_and_titled_from_their_text(name: str) -> None:
    iso, printed, title = TEXT_PDFS[name]
    [doc] = load(str(CORPUS / "pdf" / name))
    assert (doc.published, doc.title) == (iso, title)
    assert doc.metadata["date_origin"] == "text"
    assert (doc.metadata["date_printed"], doc.metadata["date_precision"]) == (printed, "day")
    assert doc.metadata["title_origin"] == "text"
    assert printed in doc.text  # the printed date stays in the text too


@needs_corpus
@pytest.mark.parametrize("name", SCANS)
def test_scans_are_refused_for_having_no_text_layer(name: str) -> None:
    path = str(CORPUS / "pdf" / name)
    with pytest.raises(LoadError) as caught:
        load(path)
    assert caught.value.source == path
    assert "no text layer" in caught.value.reason and "OCR" in caught.value.reason


# PDFs made here: lines with their own font size and weight --------------------------------


def styled_pdf(pages: list[list[tuple[str, float, bool]]], info: dict[str, str] | None = None) -> bytes:
    """A PDF whose pages hold ``(text, font size, bold)`` lines, top to bottom."""
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    ]
    for pid, lines in zip(page_ids, pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {pid + 1}"
            " 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode()
        )
        ops, y = [], 740.0
        for text, size, bold in lines:
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /{'F2' if bold else 'F1'} {size:g} Tf 72 {y:g} Td ({escaped}) Tj ET")
            y -= size * 1.6
        content = " ".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({v})" for k, v in info.items()) + " >>").encode())
    return _assemble(objects, len(objects) if info else None)


BODY = [(PROSE[:90], 10, False), (PROSE[90:], 10, False)]
CREATED = {"CreationDate": "D:20120529143912"}


def pdf(
    tmp_path: Path,
    lines: list[tuple[str, float, bool]],
    info: dict[str, str] | None = None,
    name: str = "bulletin.pdf",
    more: list[list[tuple[str, float, bool]]] | None = None,
):
    path = tmp_path / name
    path.write_bytes(styled_pdf([lines, *(more or [])], info))
    [doc] = load(str(path))
    return doc


@pytest.mark.parametrize(
    ("printed", "iso", "precision"),
    [
        ("March 16, 2011", "2011-03-16", "day"),
        ("16 March 2011", "2011-03-16", "day"),
        ("Sept. 30, 2003", "2003-09-30", "day"),
        ("2011-03-16", "2011-03-16", "day"),
        ("June 2003", "2003-06-01", "month"),
        ("October 2003", "2003-10-01", "month"),
        ("2020", "2020-01-01", "year"),
    ],
)
def test_pdf_printed_date_comes_before_its_creation_date(
    tmp_path: Path, printed: str, iso: str, precision: str
) -> None:
    doc = pdf(tmp_path, [("GUIDANCE BULLETIN", 12, False), (printed, 10, False), *BODY], CREATED)
    assert doc.published == iso
    assert doc.metadata["date_origin"] == "text"
    assert (doc.metadata["date_precision"], doc.metadata["date_printed"]) == (precision, printed)


def test_pdf_printed_date_in_a_dated_heading(tmp_path: Path) -> None:
    doc = pdf(tmp_path, [("Situation Report No. 4 - March 16, 2011", 16, True), *BODY], CREATED)
    assert (doc.published, doc.metadata["date_origin"]) == ("2011-03-16", "text")


def test_pdf_without_a_printed_date_uses_its_creation_date(tmp_path: Path) -> None:
    doc = pdf(
        tmp_path,
        [("Weekly brief", 16, True), *BODY, ("Between 1998 and 2000 the two sides fought over the line.", 10, False)],
        CREATED,
    )
    assert (doc.published, doc.metadata["date_origin"]) == ("2012-05-29", "pdf_metadata")
    assert doc.metadata["date_precision"] == "day" and "date_printed" not in doc.metadata


def test_pdf_without_any_date(tmp_path: Path) -> None:
    doc = pdf(tmp_path, [("Weekly brief", 16, True), *BODY])
    assert (doc.published, doc.metadata["date_origin"]) == (None, "none")


def test_pdf_body_dates_do_not_date_the_document(tmp_path: Path) -> None:
    """A date in a long body line is an event's date, not the bulletin's."""
    sentence = (
        "The Commission rendered its delimitation decision in April 2002 and the parties "
        "agreed to it on May 3, 2002 after long talks."
    )
    doc = pdf(tmp_path, [("Boundary note", 16, True), (sentence, 10, False), *BODY], CREATED)
    assert doc.metadata["date_origin"] == "pdf_metadata"


def test_pdf_date_in_the_future_is_not_a_printed_date() -> None:
    assert printed_date("Plan for 2095", today=date(2024, 1, 1)) is None
    assert printed_date("March 16, 2095", today=date(2024, 1, 1)) is None


def test_pdf_date_only_from_the_first_page_with_text(tmp_path: Path) -> None:
    doc = pdf(tmp_path, [("Weekly brief", 16, True), *BODY], CREATED, more=[[("March 16, 2011", 10, False), *BODY]])
    assert doc.metadata["date_origin"] == "pdf_metadata"


@pytest.mark.parametrize(
    "junk",
    [
        "untitled",
        "Untitled-3",
        "DRAFT",
        "Microsoft Word - brief_v2.doc",
        "brief_v2.docx",
        "bulletin.pdf",
        "bulletin",
        "C:\\\\temp\\\\x",
        "1",
        "PowerPoint Presentation",
    ],
)
def test_pdf_junk_title_gives_way_to_its_first_prominent_line(tmp_path: Path, junk: str) -> None:
    doc = pdf(
        tmp_path,
        [
            ("OFFICE OF THE GEOGRAPHER", 12, False),
            ("No. 22 August 26, 2003", 10, False),
            ("ERITREA/ETHIOPIA BOUNDARY", 12, True),
            *BODY,
        ],
        {"Title": junk, **CREATED},
    )
    assert doc.title == "ERITREA/ETHIOPIA BOUNDARY"
    assert doc.metadata["title_origin"] == "text"


def test_pdf_real_title_metadata_is_kept(tmp_path: Path) -> None:
    doc = pdf(tmp_path, [("Big heading", 18, True), *BODY], {"Title": "Weekly brief 12"})
    assert (doc.title, doc.metadata["title_origin"]) == ("Weekly brief 12", "pdf_metadata")


def test_pdf_title_is_the_largest_line_near_the_top(tmp_path: Path) -> None:
    doc = pdf(
        tmp_path,
        [("Field office", 10, False), ("Displacement in the north", 20, False), ("A subheading", 14, True), *BODY],
    )
    assert doc.title == "Displacement in the north"


def test_pdf_bold_word_in_a_body_line_is_no_title(tmp_path: Path) -> None:
    path = tmp_path / "b.pdf"
    content = (
        b"BT /F2 10 Tf 72 740 Td (Note:) Tj /F1 10 Tf ( the following guidance does not "
        b"represent a change in existing policy at all.) Tj ET"
    )
    data = styled_pdf([[("x", 10, False)]]).replace(b"BT /F1 10 Tf 72 740 Td (x) Tj ET", content)
    data = data.replace(b"/Length 35", b"/Length %d" % len(content))
    path.write_bytes(data)
    [doc] = load(str(path))
    assert doc.text.startswith("Note:") and doc.title is None


def test_pdf_title_falls_back_to_a_heading_like_first_line(tmp_path: Path) -> None:
    assert pdf(tmp_path, [("Weekly brief", 10, False), *BODY]).title == "Weekly brief"
    doc = pdf(tmp_path, [("Shelling resumed near the northern checkpoint on Tuesday.", 10, False), *BODY])
    assert doc.title is None and doc.metadata["title_origin"] == "none"
