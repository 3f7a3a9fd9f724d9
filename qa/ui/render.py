"""HTML for the chat and the sources panel, built by hand with every untrusted string escaped.

Everything that came from a document (titles, passages, sources, URLs) or from the model (which
can echo a passage) is untrusted. ``esc`` escapes HTML and also turns the characters that
Markdown, KaTeX and Gradio's templates treat specially into entities, so text shows as text in
``gr.Chatbot`` (Markdown + HTML) and ``gr.HTML`` alike. Only http(s) URLs become links. The
output never contains a newline, so the Chatbot's Markdown parser sees one raw HTML block.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from qa.answer.chain import NOT_COVERED
from qa.text.markers import MARKER, markers_of, strip_markers
from qa.text.sentences import sentence_spans, split_sentences
from qa.text.words import content_words
from qa.types import Passage
from qa.ui.state import ChatTurn

# HTML's own characters, then Markdown / template / LaTeX syntax, as entities (they read the same).
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    | {c: f"&#{ord(c)};" for c in "*_`[](){}#!|~\\$"}
)
NOT_COVERED_HINT = (
    "The closest passages are in the sources panel, for inspection — they are not evidence for an answer."
)


def esc(text: object) -> str:
    """Escape ``text`` for HTML, neutralise Markdown/template syntax, keep line breaks as ``<br>``."""
    escaped = str(text).translate(_ENTITIES).replace("\r\n", "\n")
    return escaped.replace("\n", "<br>")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) URL with a host; otherwise None (shown as text, not a link)."""
    if not url or any(ord(c) < 33 for c in url) or "\\" in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def display_source(source: str | None, url: str | None = None) -> str:
    """Where a report came from, as a user should see it: its URL, else its file's name (never the
    server's path to it, e.g. the app's upload directory)."""
    if url and safe_url(url):
        return url
    if not source:
        return "unknown source"
    if "://" in source:
        return source
    return Path(source).name or source


def link(url: str | None, label: str) -> str:
    """An external link for an http(s) ``url``; anything else is shown as escaped text."""
    href = safe_url(url)
    if href is None:
        return f'<span class="cq-text-url">{esc(label)}</span>'
    return (
        f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'
    )


def anchor(turn: int, n: int) -> str:
    return f"cq-t{turn}-p{n}"


# -- the answer ----------------------------------------------------------------------------
def render_answer_text(text: str, turn: int, linkable: Iterable[int]) -> str:
    """Escaped answer text; each ``[n]`` with n in ``linkable`` becomes a link to passage n."""
    allowed, out, last = set(linkable), [], 0
    for match in MARKER.finditer(text):
        out.append(esc(text[last : match.start()]))
        numbers = match.group(1)
        if numbers.isdigit() and int(numbers) in allowed:
            n = int(numbers)
            out.append(f'<a class="cq-cite" href="#{anchor(turn, n)}" title="Show passage {n}">[{n}]</a>')
        else:
            out.append(esc(match.group(0)))
        last = match.end()
    out.append(esc(text[last:]))
    paragraphs = [p for p in "".join(out).split("<br><br>") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def filters_line(active: dict[str, str]) -> str:
    if not active:
        return '<div class="cq-filters">Filters: none — all loaded reports</div>'
    shown = " · ".join(f"{esc(k.replace('_', '-'))} {esc(v)}" for k, v in active.items())
    return f'<div class="cq-filters">Filters: {shown}</div>'


def render_assistant(turn: ChatTurn, index: int) -> str:
    """The assistant's message for ``turn``: status while waiting, then the answer and its footer."""
    parts: list[str] = []
    answer = turn.answer
    if turn.error:
        parts.append(f'<p class="cq-error">{esc(turn.error)}</p>')
    elif answer is not None and answer.abstained:
        reason = f" ({esc(answer.reason)}.)" if answer.reason else ""
        parts.append(f'<p class="cq-abstain"><strong>{esc(NOT_COVERED)}</strong>{reason}</p>')
        if "store is empty" in (answer.reason or ""):
            parts.append('<p class="cq-hint">No reports are loaded yet: add some in the Library tab.</p>')
        elif answer.passages:
            parts.append(f'<p class="cq-hint">{esc(NOT_COVERED_HINT)}</p>')
    elif answer is not None:
        parts.append(render_answer_text(answer.text, index, (c.n for c in answer.citations)))
        if not answer.citations:
            parts.append(
                '<p class="cq-hint">This answer cites no passage; the passages consulted are in the sources panel.</p>'
            )
        parts.append(verification(answer))
        if answer.redrafted:
            check, _, why = answer.redrafted.partition(": ")
            parts.append(
                '<details class="cq-redrafted"><summary>A check withheld the model&#39;s first answer; this '
                f"second one passed every check.</summary>Withheld by the {esc(check)} check: {esc(why)}</details>"
            )
    elif turn.stopped:
        if turn.text:
            parts.append(render_answer_text(turn.text, index, range(1, len(turn.passages) + 1)))
        parts.append(
            '<p class="cq-stopped"><strong>Stopped.</strong> This partial answer was not checked against '
            "the passages: do not rely on it.</p>"
        )
    else:
        if turn.text:
            parts.append(render_answer_text(turn.text, index, range(1, len(turn.passages) + 1)))
        parts.append(f'<p class="cq-status">{esc(turn.status)}</p>')
    parts.append(filters_line(answer.filters if answer is not None else turn.filters.active()))
    if turn.rewritten:
        parts.append(f'<details class="cq-rewritten"><summary>Searched for</summary>{esc(turn.rewritten)}</details>')
    return "".join(parts)


_CHECK_LABELS = {
    "supported": ("✓", "verified: its names and figures are in passage"),
    "recited": ("✓", "verified after moving its citation to passage"),
    "judged": ("✓", "confirmed by the model against passage"),
    "unsupported": ("✗", "removed: no cited passage states it"),
}


def verification(answer) -> str:
    """Each answer sentence and whether it was verified against its passage (or removed)."""
    checks = list(getattr(answer, "sentences", ()))
    if not checks:
        return ""
    kept = sum(1 for c in checks if c.kept)
    removed = len(checks) - kept
    summary = f"✓ {kept} of {len(checks)} sentence(s) verified against the cited passages"
    if removed:
        summary += f"; {removed} sentence(s) removed: the cited passages don&#39;t state them"
    items = []
    for c in checks:
        mark, label = _CHECK_LABELS.get(c.status, ("?", c.status))
        where = f" [{', '.join(str(n) for n in c.cites)}]" if c.cites and c.kept else ""
        missing = f" (not found: {esc(', '.join(c.missing))})" if c.missing else ""
        text = esc(strip_markers(c.text))
        items.append(
            f'<li class="cq-check cq-{esc(c.status)}">{mark} {text} <em>{esc(label)}{where}{missing}</em></li>'
        )
    opened = " open" if removed else ""
    return f'<details class="cq-dropped"{opened}><summary>{summary}</summary><ul>{"".join(items)}</ul></details>'


def chat_messages(turns: Sequence[ChatTurn]) -> list[dict[str, str]]:
    """The ``gr.Chatbot`` value: user and assistant messages, all content pre-escaped HTML."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": f"<p>{esc(turn.question)}</p>"})
        messages.append({"role": "assistant", "content": render_assistant(turn, i)})
    return messages


# -- which passage sentences a citation points at ----------------------------------------------
def citing_sentences(answer_text: str) -> dict[int, list[str]]:
    """For each marker n, the answer sentences that cite it (markers removed)."""
    cited: dict[int, list[str]] = {}
    for sentence in split_sentences(answer_text):
        numbers = markers_of(sentence)
        plain = MARKER.sub(" ", sentence)
        for n in dict.fromkeys(numbers):
            cited.setdefault(n, []).append(plain)
    return cited


def emphasis_spans(passage_text: str, citing: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of the passage sentences that best match the citing sentences.

    For each citing sentence, the passage sentence sharing the most content words with it (at
    least one); a plain lexical overlap, so it works whatever the model quotes or paraphrases.
    """
    sentences = [(s, e, content_words(passage_text[s:e])) for s, e in sentence_spans(passage_text)]
    chosen: set[tuple[int, int]] = set()
    for claim in citing:
        words = content_words(claim)
        scored = [(len(words & sw), -start, start, end) for start, end, sw in sentences]
        best = max(scored, default=None)
        if best and best[0] > 0:
            chosen.add((best[2], best[3]))
    return sorted(chosen)


def render_passage_text(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [esc(text[last:start]), f"<mark>{esc(text[start:end])}</mark>"]
        last = end
    out.append(esc(text[last:]))
    return "".join(out)


# -- the sources panel -------------------------------------------------------------------
def render_passage(p: Passage, element_id: str, label: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    meta = [f'<span class="cq-date">{esc(p.dated)}</span>']
    meta.append(link(p.url, display_source(p.source, p.url)))
    if p.page:
        meta.append(f"p. {esc(p.page)}")
    meta.append(f'<span class="cq-score">similarity {p.score:.2f}</span>')
    return (
        f'<article class="cq-passage" id="{element_id}">'
        f'<header><span class="cq-n">{esc(label)}</span> <strong class="cq-title">{esc(p.title or "untitled")}</strong></header>'
        f'<div class="cq-meta">{" · ".join(meta)}</div>'
        f'<div class="cq-text">{render_passage_text(p.text, spans)}</div></article>'
    )


def _section(title: str, items: list[str]) -> str:
    return f'<h4 class="cq-section">{esc(title)}</h4>' + "".join(items) if items else ""


def render_turn_sources(turn: ChatTurn, index: int) -> str:
    """Cited passages (cited span emphasised), then the retrieved but uncited ones; or, for an
    abstention, the closest passages offered for inspection."""
    answer = turn.answer
    if answer is not None and answer.abstained:
        closest = [render_passage(p, f"cq-t{index}-c{i}", "·") for i, p in enumerate(answer.passages, 1)]
        return (
            _section("Closest passages — not evidence for an answer", closest)
            or '<p class="cq-empty">No passage was found.</p>'
        )
    if answer is None:
        if not turn.retrieved:
            return f'<p class="cq-status">{esc(SEARCHING_PANEL)}</p>'
        if not turn.passages:
            closest = [render_passage(p, f"cq-t{index}-c{i}", "·") for i, p in enumerate(turn.consulted, 1)]
            return (
                _section("Closest passages — not evidence for an answer", closest)
                or '<p class="cq-empty">No passage was found.</p>'
            )
        retrieved = [render_passage(p, anchor(index, n), f"[{n}]") for n, p in enumerate(turn.passages, 1)]
        return _section("Retrieved passages", retrieved)
    citing = citing_sentences(answer.text)
    cited_numbers = [c.n for c in answer.citations]
    cited = [
        render_passage(c.passage, anchor(index, c.n), f"[{c.n}]", emphasis_spans(c.passage.text, citing.get(c.n, [])))
        for c in sorted(answer.citations, key=lambda c: c.n)
    ]
    others = [
        render_passage(p, anchor(index, n), f"[{n}]")
        for n, p in enumerate(answer.passages, 1)
        if n not in cited_numbers
    ]
    return _section("Cited", cited) + _section("Retrieved, not cited", others)


SEARCHING_PANEL = "Searching the reports… the passages appear here as soon as they are found."
EMPTY_PANEL = (
    '<div class="cq-sources"><p class="cq-empty">Ask a question: the passages the answer draws on '
    "appear here as soon as they are found. Click a [n] marker in an answer to jump to its passage.</p></div>"
)


def render_sources(turns: Sequence[ChatTurn]) -> str:
    """Every turn's passages, newest first; only the newest is expanded."""
    if not turns:
        return EMPTY_PANEL
    blocks = []
    for index in reversed(range(len(turns))):
        turn = turns[index]
        is_open = " open" if index == len(turns) - 1 else ""
        blocks.append(
            f'<details class="cq-turn" id="cq-turn-{index}"{is_open}>'
            f"<summary>Q{index + 1}: {esc(turn.question)}</summary>"
            f"{filters_line(turn.answer.filters if turn.answer else turn.filters.active())}"
            f"{render_turn_sources(turn, index)}</details>"
        )
    return '<div class="cq-sources">' + "".join(blocks) + "</div>"
