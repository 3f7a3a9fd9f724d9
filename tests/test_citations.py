from qa.answer.citations import MarkerStream, is_refusal, marker_numbers, resolve_citations
from qa.types import Passage


def passages(n):
    return [Passage(text=f"text {i}", doc_id=f"d{i}", chunk_id=f"d{i}:0") for i in range(1, n + 1)]


def test_marker_numbers_lists_and_ranges():
    assert marker_numbers("1, 3-4") == [1, 3, 4]
    assert marker_numbers("2") == [2]


def test_marker_pointing_at_no_passage_is_dropped():
    text, cited = resolve_citations("Founded in 2015 [1]. Also [7] it grew [2, 9].", passages(2))
    assert text == "Founded in 2015 [1]. Also it grew [2]."
    assert [c.n for c in cited] == [1, 2]
    assert cited[0].passage.doc_id == "d1"


def test_repeated_markers_give_one_citation_each():
    _, cited = resolve_citations("A [1]. B [1][2]. C [2].", passages(3))
    assert [c.n for c in cited] == [1, 2]


def test_no_markers_no_citations():
    text, cited = resolve_citations("An answer without citations.", passages(2))
    assert cited == () and text == "An answer without citations."


def test_stream_filter_matches_final_text():
    raw = "ISIS-K was founded in 2015 [1]. It attacked [5] Moscow [2][3]. Odd [bracket text] stays."
    stream = MarkerStream(n_passages=2)
    shown = "".join(stream.feed(ch) for ch in raw) + stream.flush()
    final, _ = resolve_citations(raw, passages(2))
    assert "[5]" not in shown and "[3]" not in shown
    assert "[1]" in shown and "[2]" in shown and "[bracket text]" in shown
    assert " ".join(shown.split()).replace(" .", ".") == final


def test_refusal_detection():
    assert is_refusal("I don't know. The loaded reports don't cover this.")
    assert is_refusal("")
    assert not is_refusal("ISIS-K was established in 2015 [1].")
