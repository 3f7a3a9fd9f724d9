"""Each format's happy path, metadata, encodings and input expansion."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ingest.dates import to_iso_date
from ingest.errors import LoadError, SkippedInput
from ingest.loaders import SUPPORTED_EXTENSIONS, expand_inputs, is_supported, load
from ingest.loaders.clean import normalize_text
from tests.conftest import SAMPLE
from tests.hostile import PROSE, docx_bytes, pdf_bytes

SEED = SAMPLE  # the bundled copy of the seed report


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


def test_seed_title_line_is_metadata_not_body() -> None:
    [doc] = load(str(SEED))
    assert doc.title == "ISIS-K Continues to Challenge Taliban Rule in Afghanistan and Beyond"
    assert not doc.text.startswith("Title:")
    assert doc.text.startswith("In the ongoing power struggle")
    assert doc.published is None
    assert doc.source == str(SEED)


def test_header_lines_give_metadata(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "r.txt",
        "title: Night raid\nPUBLISHED: March 23rd, 2024\n"
        "Author: A. Writer\nSource: Field Office\n\nThe raid began at dawn: witnesses said.",
    )
    [doc] = load(source)
    assert (doc.title, doc.published, doc.author) == ("Night raid", "2024-03-23", "A. Writer")
    assert doc.metadata["source_name"] == "Field Office"
    assert doc.source == source
    assert doc.text == "The raid began at dawn: witnesses said."


def test_body_sentence_with_colon_is_not_a_header(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.txt", "Update: the ceasefire held overnight.\nMore text."))
    assert doc.title is None
    assert doc.text.startswith("Update: the ceasefire")


def test_front_matter(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "r.md",
        "---\ntitle: Port blockade\npublished: 2024-03-23\n"
        "source: Reuters\nurl: https://example.org/a\nauthor: [A, B]\ntags: [sea, trade]\n"
        "region: Black Sea\n---\n# Heading\n\n" + PROSE,
    )
    [doc] = load(source)
    assert (doc.title, doc.published, doc.url, doc.author) == (
        "Port blockade",
        "2024-03-23",
        "https://example.org/a",
        "A, B",
    )
    assert doc.source == source
    assert doc.metadata["source_name"] == "Reuters"
    assert doc.metadata["region"] == "Black Sea"
    assert doc.metadata["tags"] == ["sea", "trade"]
    assert doc.text.startswith("# Heading")
    assert (doc.metadata["date_origin"], doc.metadata["date_precision"]) == ("front_matter", "day")


def test_markdown_heading_is_title_when_no_metadata(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.md", "# Situation report 12\n\n" + PROSE))
    assert doc.title == "Situation report 12"


def test_markdown_rule_at_start_is_text(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.md", "---\n\nIntro paragraph.\n\n---\n" + PROSE))
    assert doc.text.startswith("---")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Café in Kharkiv — “naïve” reports"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    [doc] = load(write(tmp_path, "r.txt", data))
    assert doc.text == text


def test_latin1(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.txt", "Señor Müller à Genève".encode("latin-1")))
    assert doc.text == "Señor Müller à Genève"


def test_text_normalisation() -> None:
    assert normalize_text("e\u0301\x07a\r\nb\n\n\n\n\nc  \n") == "éa\nb\n\nc"


def test_html(tmp_path: Path) -> None:
    page = (
        '<html><head><title>Strike on Kharkiv</title><meta name="author" content="Jane Doe">'
        '<meta property="og:site_name" content="Conflict Monitor">'
        '<meta property="article:published_time" content="2024-03-23T10:00:00Z"></head>'
        "<body><nav>Home | About</nav><article><h1>Strike on Kharkiv</h1><p>"
        + PROSE
        + "</p><p>Regional authorities reported damage.</p></article></body></html>"
    )
    [doc] = load(write(tmp_path, "page.html", page))
    assert (doc.title, doc.author, doc.published) == ("Strike on Kharkiv", "Jane Doe", "2024-03-23")
    assert doc.metadata["site_name"] == "Conflict Monitor"
    assert doc.metadata["date_origin"] == "html_meta"
    assert "Shelling resumed" in doc.text and "Home | About" not in doc.text


def test_pdf_pages_and_metadata(tmp_path: Path) -> None:
    data = pdf_bytes(
        ["First page about the blockade.", "Second page about the talks."],
        info={"Title": "Weekly brief", "Author": "Desk", "CreationDate": "D:20240323120000Z"},
    )
    [doc] = load(write(tmp_path, "brief.pdf", data))
    assert (doc.title, doc.author, doc.published) == ("Weekly brief", "Desk", "2024-03-23")
    assert (doc.metadata["date_origin"], doc.metadata["title_origin"]) == ("pdf_metadata", "pdf_metadata")
    first, second = doc.pages
    assert doc.text[first.start : first.end] == "First page about the blockade."
    assert doc.text[second.start : second.end] == "Second page about the talks."
    assert (first.page, second.page, second.start - first.end) == (1, 2, 2)
    assert doc.page_at(doc.text.index("talks")) == 2


def test_pdf_skips_empty_pages_in_spans(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.pdf", pdf_bytes(["", "Only the second page has text."])))
    assert [span.page for span in doc.pages] == [2]
    assert doc.published is None
    assert doc.metadata["date_origin"] == "none"


def test_docx(tmp_path: Path) -> None:
    data = docx_bytes(
        ["Convoy report", PROSE],
        table=[["Town", "Status"], ["Izium", "contested"]],
        title="Convoy report",
        author="Field team",
    )
    [doc] = load(write(tmp_path, "r.docx", data))
    assert (doc.title, doc.author, doc.published) == ("Convoy report", "Field team", None)
    assert "Town | Status\nIzium | contested" in doc.text
    assert doc.text.index("Convoy report") < doc.text.index("Izium")
    assert "created" in doc.metadata
    assert doc.metadata["date_origin"] == "none"  # a DOCX's created date is never its date


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        {"text": "One.", "title": "A", "source": "agency-1", "date": "2024-03-23", "region": "north"},
        {"text": "Two.", "url": "https://example.org/2", "published": "Sat, 23 Mar 2024 10:00:00 GMT"},
        {"text": "Three.", "author": "B"},
    ]
    source = write(
        tmp_path, "feed.jsonl", "\n".join(json.dumps(line) for line in lines[:2]) + "\n\n" + json.dumps(lines[2]) + "\n"
    )
    one, two, three = load(source)
    assert (one.source, one.published, one.metadata["region"]) == ("agency-1", "2024-03-23", "north")
    assert (two.source, two.url, two.published) == ("https://example.org/2",) * 2 + ("2024-03-23",)
    assert (three.source, three.author) == (f"{source}#4", "B")
    assert [d.metadata["date_origin"] for d in (one, two, three)] == ["front_matter"] * 2 + ["none"]


RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Monitor</title>
<item><title>Talks stall</title><link>https://example.org/talks</link><dc:creator>Ann</dc:creator>
<pubDate>Sat, 23 Mar 2024 23:30:00 -0500</pubDate><description>short</description>
<content:encoded><![CDATA[<p>Talks <b>stalled</b> again.</p><script>x()</script><p>Next round Monday.</p>]]></content:encoded></item>
<item><title>Summary only</title><link>https://example.org/summary</link>
<pubDate>Sun, 24 Mar 2024 08:00:00 GMT</pubDate><description>&lt;p&gt;Just a summary.&lt;/p&gt;</description></item>
<item><title>No text</title><link>https://example.org/empty</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom monitor</title>
<entry><title>Atom one</title><link href="https://example.org/a1"/><id>a1</id>
<published>2024-03-20T09:00:00+02:00</published><updated>2024-03-21T09:00:00Z</updated>
<author><name>Bo</name></author><content type="html">&lt;p&gt;Atom content.&lt;/p&gt;</content></entry>
<entry><title>Atom two</title><id>a2</id><updated>2024-03-22T09:00:00Z</updated>
<summary>Atom summary.</summary></entry>
</feed>"""


def test_rss(tmp_path: Path) -> None:
    talks, summary = load(write(tmp_path, "monitor.rss", RSS))
    assert (talks.source, talks.url, talks.title, talks.author) == (
        "https://example.org/talks",
        "https://example.org/talks",
        "Talks stall",
        "Ann",
    )
    assert talks.published == "2024-03-23"  # the date as the feed writes it, not UTC
    assert talks.text == "Talks stalled again.\n\nNext round Monday."
    assert (summary.text, summary.published) == ("Just a summary.", "2024-03-24")
    assert talks.metadata["feed_title"] == "Monitor"
    assert talks.metadata["date_origin"] == summary.metadata["date_origin"] == "feed"


def test_atom(tmp_path: Path) -> None:
    source = write(tmp_path, "monitor.xml", ATOM)
    one, two = load(source)
    assert (one.url, one.published, one.author, one.text) == (
        "https://example.org/a1",
        "2024-03-20",
        "Bo",
        "Atom content.",
    )
    assert (two.source, two.url, two.published, two.text) == (f"{source}#2", None, "2024-03-22", "Atom summary.")


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2024-03-23", "2024-03-23"),
        ("2024-03-23T23:30:00-05:00", "2024-03-23"),
        ("March 23, 2024", "2024-03-23"),
        ("23 March 2024", "2024-03-23"),
        ("Mar. 5, 2024", "2024-03-05"),
        ("Saturday, March 23rd, 2024", "2024-03-23"),
        ("Sat, 23 Mar 2024 10:00:00 GMT", "2024-03-23"),
        ("D:20240323120000+01'00'", "2024-03-23"),
        ("2024/3/23", "2024-03-23"),
        ("23.03.2024", "2024-03-23"),
        ("03/04/2024", None),
        ("March 2024", None),
        ("2024-02-30", None),
        ("9999-01-01", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates(raw: str, iso: str | None) -> None:
    assert to_iso_date(raw) == iso


def test_unparseable_date_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        [doc] = load(write(tmp_path, "r.txt", "Date: the day after\n\nBody."))
    assert doc.published is None
    assert "cannot read the date" in caplog.text


def test_expand_inputs(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "b")
    (tmp_path / "a").mkdir()
    write(tmp_path / "a", "z.md", "z")
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".git", "config.txt", "x")
    write(tmp_path, ".hidden.txt", "x")
    inputs = [str(tmp_path), "https://example.org/x", str(tmp_path / "missing.txt")]
    assert list(expand_inputs(inputs)) == [
        str(tmp_path / "a" / "z.md"),
        str(tmp_path / "b.txt"),
        "https://example.org/x",
        str(tmp_path / "missing.txt"),
    ]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        load(str(tmp_path / "missing.txt"))
    with pytest.raises(LoadError, match="is a directory"):
        load(str(tmp_path))


def test_unsupported_is_skipped_not_failed(tmp_path: Path) -> None:
    with pytest.raises(SkippedInput, match=r"unsupported file type '\.png'.*\.txt"):
        load(write(tmp_path, "x.PNG", b"\x89PNG"))


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == {
        ".txt",
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".pdf",
        ".docx",
        ".jsonl",
        ".xml",
        ".rss",
        ".atom",
    }
    assert is_supported("A.PDF") and is_supported("https://x.org") and not is_supported("x.doc")
