"""Front matter as users write it: blank first lines, unknown keys, every date key, lists."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ingest.chunking import Chunk
from ingest.dates import DATE_KEYS, DATE_ORIGINS
from ingest.errors import LoadError
from ingest.indexer import chunk_metadata
from ingest.loaders import load
from qa.store.chroma import DocRecord
from tests.hostile import PROSE


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


JEKYLL = """---

layout: product

category: products
title: "Somalia: Drought and Displacement"
region_id: "AF"
date_published: 2017-03-22
thumbnail: "Somalia_thumb.jpg"
featured: true
lat: 2.165610
events:
keywords:
  - Somalia
  - Food Security
tweet: "Drought in Somalia"
---
{body}
"""


def test_front_matter_opening_with_a_blank_line_and_unknown_keys(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "p.md", JEKYLL.format(body=PROSE)))
    assert (doc.title, doc.published) == ("Somalia: Drought and Displacement", "2017-03-22")
    assert doc.metadata["date_origin"] == "front_matter"
    assert doc.metadata["date_precision"] == "day"
    assert doc.text == PROSE
    for key in ("layout", "category", "region_id", "thumbnail", "featured", "lat", "tweet"):
        assert key in doc.metadata, key
    assert (doc.metadata["layout"], doc.metadata["featured"], doc.metadata["lat"]) == ("product", True, 2.16561)
    assert "events" not in doc.metadata  # an empty value is dropped
    assert "date_published" not in doc.metadata  # it became `published`
    assert doc.metadata["keywords"] == ["Somalia", "Food Security"]


def test_blank_lines_with_spaces_before_the_first_key(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "p.md", f"---\n  \n\t\ntitle: T\nlayout: post\n---\n{PROSE}"))
    assert (doc.title, doc.text, doc.metadata["layout"]) == ("T", PROSE, "post")


@pytest.mark.parametrize(
    "key",
    [
        "published",
        "date",
        "date_published",
        "datePublished",
        "pubdate",
        "created",
        "PUBLISHED",
        "Date",
        "DatePublished",
        "PubDate",
    ],
)
def test_each_date_key(tmp_path: Path, key: str) -> None:
    [doc] = load(write(tmp_path, "r.md", f"---\ntitle: T\n{key}: 2021-06-17\n---\n{PROSE}"))
    assert doc.published == "2021-06-17"
    assert doc.metadata["date_origin"] == "front_matter"


def test_a_date_key_alone_makes_front_matter(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.md", f"---\ndatePublished: March 16, 2011\n---\n{PROSE}"))
    assert (doc.published, doc.text) == ("2011-03-16", PROSE)


def test_date_keys_in_order_first_present_wins(tmp_path: Path) -> None:
    assert DATE_KEYS == ("published", "date", "date_published", "datepublished", "pubdate", "created")
    front = (
        "---\ntitle: T\ncreated: 2020-01-01\npubdate: 2020-02-02\ndate_published: 2020-03-03\n"
        "date: 2020-04-04\n---\n" + PROSE
    )
    [doc] = load(write(tmp_path, "r.md", front))
    assert doc.published == "2020-04-04"
    assert doc.metadata["created"] == "2020-01-01"  # the keys not used stay as metadata
    assert "date" not in doc.metadata


def test_an_unreadable_date_key_gives_way_to_the_next(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        [doc] = load(write(tmp_path, "r.md", f"---\ntitle: T\npublished: soon\ncreated: 2020-01-01\n---\n{PROSE}"))
    assert doc.published == "2020-01-01"
    assert "cannot read the date" in caplog.text


def test_no_date_is_origin_none(tmp_path: Path) -> None:
    [doc] = load(write(tmp_path, "r.md", f"---\ntitle: T\nlayout: post\n---\n{PROSE}"))
    assert doc.published is None
    assert doc.metadata["date_origin"] == "none"
    assert "date_precision" not in doc.metadata


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[Sudan, famine]", ["Sudan", "famine"]),
        ("\n  - Sudan\n  - food insecurity", ["Sudan", "food insecurity"]),
        ("Sudan, famine ,  IDPs", ["Sudan", "famine", "IDPs"]),
        ("Sudan", ["Sudan"]),
        ("[2024, Sudan]", ["2024", "Sudan"]),
    ],
)
@pytest.mark.parametrize("key", ["keywords", "tags", "Keywords"])
def test_keywords_and_tags_are_lists(tmp_path: Path, key: str, value: str, expected: list[str]) -> None:
    [doc] = load(write(tmp_path, "r.md", f"---\ntitle: T\n{key}: {value}\n---\n{PROSE}"))
    assert doc.metadata[key.lower()] == expected
    assert doc.text == PROSE


def test_a_block_without_any_known_key_is_text(tmp_path: Path) -> None:
    text = "---\nNote: the figures below are provisional\n---\n" + PROSE
    [doc] = load(write(tmp_path, "r.md", text))
    assert doc.text.startswith("---\nNote: the figures")
    assert doc.metadata["date_origin"] == "none"


def test_markdown_rules_stay_text(tmp_path: Path) -> None:
    for text in (
        "---\n\nIntro paragraph.\n\n---\n" + PROSE,
        "---\n\n- a list item\n- another\n\n---\n" + PROSE,
        "---\n\nWarning: not a key block, never closed.\n\n" + PROSE,
    ):
        [doc] = load(write(tmp_path, "r.md", text))
        assert doc.text.startswith("---"), text


def test_broken_front_matter_with_known_keys_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.md", "---\n\ntitle: [unclosed\ndate: 2020-01-01\n---\n" + PROSE)
    with pytest.raises(LoadError, match="broken front matter") as caught:
        load(path)
    assert caught.value.source == path and path in str(caught.value)
    path = write(tmp_path, "open.md", "---\n\ntitle: T\ndate: 2020-01-01\n" + PROSE)
    with pytest.raises(LoadError, match="never closed"):
        load(path)


@pytest.mark.parametrize("key", ["Date_Published", "pubdate", "created"])
def test_header_lines_read_the_same_date_keys(tmp_path: Path, key: str) -> None:
    [doc] = load(write(tmp_path, "r.txt", f"Title: T\n{key}: 23 March 2024\n\n{PROSE}"))
    assert (doc.published, doc.text) == ("2024-03-23", PROSE)
    assert doc.metadata["date_origin"] == "front_matter"


def test_jsonl_reads_the_same_date_keys(tmp_path: Path) -> None:
    lines = [
        {"text": "One.", "datePublished": "2024-03-23"},
        {"text": "Two.", "created": "2024-03-24", "pubdate": "2024-03-25"},
        {"text": "Three."},
    ]
    one, two, three = load(write(tmp_path, "r.jsonl", "\n".join(json.dumps(x) for x in lines)))
    assert (one.published, two.published, three.published) == ("2024-03-23", "2024-03-25", None)
    assert [d.metadata["date_origin"] for d in (one, two, three)] == ["front_matter", "front_matter", "none"]
    assert two.metadata["created"] == "2024-03-24"


def test_chunk_metadata_carries_the_date_origin() -> None:
    chunk = Chunk(index=0, text="x", start=0, end=1, page=1)
    dated = DocRecord(
        doc_id="a",
        source="s",
        published="2003-10-01",
        extra=json.dumps({"date_origin": "text", "date_precision": "month"}),
    )
    meta = chunk_metadata(dated, chunk)
    assert (meta["date_origin"], meta["date_precision"], meta["published_ts"]) == ("text", "month", 20031001)
    undated = chunk_metadata(DocRecord(doc_id="b", source="s"), chunk)
    assert (undated["date_origin"], undated["date_precision"]) == ("none", None)
    assert set(DATE_ORIGINS) == {"front_matter", "html_meta", "text", "pdf_metadata", "feed", "none"}


def test_date_origin_reaches_the_stored_chunks(settings, store, tmp_path: Path) -> None:
    from ingest.service import run_ingest

    dated = write(tmp_path, "dated.md", JEKYLL.format(body=PROSE))
    undated = write(tmp_path, "undated.txt", "Aid convoys were delayed again near the border.")
    report = run_ingest(settings, store, [dated, undated])
    assert len(report.ids("added")) == 2, report.to_json()
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    origins = {meta["source"]: (meta["date_origin"], meta.get("date_precision")) for meta in metas}
    assert origins == {dated: ("front_matter", "day"), undated: ("none", None)}
    [record] = [r for r in store.records() if r.source == dated]
    assert json.loads(record.extra)["date_origin"] == "front_matter"
