"""The app's HTML: untrusted text is escaped, only http(s) links are clickable, citations link right."""

import re

import pytest

from qa.types import Answer, Citation, Filters, Passage
from qa.ui import render
from qa.ui.state import ChatTurn

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'


def passage(text="Established in 2015 by fighters. Later it attacked Moscow.", **kw) -> Passage:
    return Passage(text=text, doc_id=kw.pop("doc_id", "d1"), chunk_id=kw.pop("chunk_id", "d1:00000"), **kw)


def assert_inert(fragment: str) -> None:
    """No tag, handler or script URL from the payload survives as markup."""
    lowered = fragment.lower()
    assert "<script" not in lowered and "<img" not in lowered
    assert not re.search(r"<a[^>]+href=\"javascript", lowered)
    assert "onerror=" not in lowered.replace("onerror=&quot;", "")
    assert "\n" not in fragment, "one raw HTML block: the Chatbot's Markdown never parses our text"


def test_esc_neutralises_html_markdown_and_templates():
    out = render.esc(EVIL + " **bold** [t](javascript:alert(1)) ${x} {{y}} $$x$$")
    assert_inert(out)
    for raw in ("**", "](", "${", "{{", "$$"):
        assert raw not in out


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:x",
        "java\tscript:x",
        "data:text/html,x",
        "vbscript:x",
        "/etc/passwd",
        "file:///etc/passwd",
        "//evil.example/x",
        "https://",
        "http:\\\\evil",
    ],
)
def test_only_http_urls_are_links(url):
    assert render.safe_url(url) is None
    html = render.link(url, url)
    assert "<a " not in html and "cq-text-url" in html


def test_http_url_is_an_escaped_external_link():
    html = render.link('https://example.org/a?b=1&c="x"', "Example <b>")
    assert 'href="https://example.org/a?b=1&amp;c=&quot;x&quot;"' in html
    assert 'rel="noopener noreferrer nofollow"' in html and "&lt;b&gt;" in html


def test_valid_marker_is_a_link_and_invalid_marker_is_text():
    html = render.render_answer_text("Founded in 2015 [1]. Strong [9]. Both [1, 2].", 3, {1})
    assert html.count('class="cq-cite"') == 1
    assert 'href="#cq-t3-p1"' in html
    assert "&#91;9&#93;" in html and "cq-t3-p9" not in html


def test_model_output_is_escaped_in_the_chat():
    turn = ChatTurn("q <b>", Filters())
    turn.answer = Answer(
        question="q",
        text=f"Echo {EVIL} [1].",
        abstained=False,
        citations=(Citation(1, passage()),),
        passages=(passage(),),
    )
    messages = render.chat_messages([turn])
    assert messages[0]["content"] == "<p>q &lt;b&gt;</p>"
    assert_inert(messages[1]["content"])
    assert 'href="#cq-t0-p1"' in messages[1]["content"]


def test_passage_title_text_and_url_are_escaped():
    p = passage(text=f"Body {EVIL}.", title=f"Title {EVIL}", url="javascript:alert(9)", source=f"src {EVIL}")
    html = render.render_passage(p, "cq-t0-p1", "[1]", [(0, 5)])
    assert_inert(html)
    assert "javascript:alert" in html, "the bad URL is still shown, as text"


def test_emphasis_picks_the_passage_sentence_sharing_most_content_words():
    text = "The group was founded in 2015 in Nangarhar. In 2024 it attacked a concert hall in Moscow. Weather was mild."
    citing = render.citing_sentences("It attacked a Moscow concert hall in 2024 [1]. It was founded in 2015. [2]")
    assert list(citing) == [1, 2]
    ((start, end),) = render.emphasis_spans(text, citing[1])
    assert text[start:end] == "In 2024 it attacked a concert hall in Moscow."
    ((start, end),) = render.emphasis_spans(text, citing[2])
    assert text[start:end].startswith("The group was founded in 2015")
    assert render.emphasis_spans(text, ["Nothing shared here"]) == []


def test_sources_split_cited_from_uncited_and_mark_the_span():
    p1, p2 = passage(chunk_id="d1:0"), passage(text="Unrelated passage about rain.", chunk_id="d1:1")
    turn = ChatTurn("q", Filters(since="2024-01-01"))
    turn.answer = Answer(
        question="q",
        text="It attacked Moscow [1].",
        abstained=False,
        citations=(Citation(1, p1),),
        passages=(p1, p2),
        filters={"since": "2024-01-01"},
    )
    html = render.render_sources([turn])
    cited, uncited = html.split("Retrieved, not cited")
    assert 'id="cq-t0-p1"' in cited and "<mark>Later it attacked Moscow.</mark>" in cited
    assert 'id="cq-t0-p2"' in uncited and "<mark>" not in uncited
    assert "Filters: since 2024&#45;01&#45;01" in html or "Filters: since 2024-01-01" in html


def test_abstention_offers_closest_passages_as_not_evidence():
    turn = ChatTurn("cake?", Filters())
    turn.answer = Answer(
        question="cake?",
        text="The loaded reports don't cover this.",
        abstained=True,
        reason="no passage is relevant enough to the question",
        passages=(passage(),),
    )
    message = render.render_assistant(turn, 0)
    assert "The loaded reports don&#39;t cover this." in message and "closest passages" in message
    sources = render.render_sources([turn])
    assert "Closest passages — not evidence for an answer" in sources and "cq-t0-c1" in sources


def test_filters_are_shown_on_each_answer():
    turn = ChatTurn("q", Filters(as_of="2024-03-01", source="reuters"))
    assert "as-of 2024-03-01 · source reuters" in render.render_assistant(turn, 0)
    assert "Filters: none" in render.render_assistant(ChatTurn("q", Filters()), 0)


def test_older_turns_are_collapsed_newest_first():
    html = render.render_sources([ChatTurn("first", Filters()), ChatTurn("second", Filters())])
    assert html.index("Q2: second") < html.index("Q1: first")
    assert '<details class="cq-turn" id="cq-turn-1" open>' in html
    assert '<details class="cq-turn" id="cq-turn-0">' in html


def test_each_sentence_shows_whether_it_was_verified_and_dropped_ones_are_listed_escaped():
    from qa.types import SentenceCheck

    turn = ChatTurn("q", Filters())
    checks = (SentenceCheck("Kept [1].", (1,), "supported"), SentenceCheck(f"Made up {EVIL} [2].", (2,), "unsupported"))
    turn.answer = Answer(
        question="q",
        text="Kept [1].",
        abstained=False,
        citations=(Citation(1, passage()),),
        passages=(passage(),),
        sentences=checks,
    )
    html = render.render_assistant(turn, 0)
    assert "1 sentence(s) removed" in html and "Made up &lt;script&gt;" in html
    assert "1 of 2 sentence(s) verified" in html
    assert '<li class="cq-check cq-supported">✓ Kept.' in html and "[1]" in html
    assert '<li class="cq-check cq-unsupported">✗ Made up' in html
    assert_inert(html)


def test_an_answer_from_a_second_draft_says_a_check_withheld_the_first_and_why_escaped():
    turn = ChatTurn("q", Filters())
    turn.answer = Answer(
        question="q",
        text="Kept [1].",
        abstained=False,
        citations=(Citation(1, passage()),),
        passages=(passage(),),
        redrafted=f"sentences: not in them: {EVIL}",
    )
    html = render.render_assistant(turn, 0)
    assert "withheld the model&#39;s first answer" in html and "sentences check: not in them: &lt;script&gt;" in html
    assert_inert(html)
    from dataclasses import replace

    turn.answer = replace(turn.answer, redrafted=None)
    assert "first answer" not in render.render_assistant(turn, 0)
