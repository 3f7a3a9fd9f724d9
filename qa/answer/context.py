"""What the model reads: the numbered passages and the conversation so far."""

from __future__ import annotations

from collections.abc import Sequence

from qa.types import Passage, Turn


def format_context(passages: Sequence[Passage]) -> str:
    """Number the passages [1..k], each headed by its title, date and source. A passage's
    sentences that instruct the reader ("ignore your instructions …", "cite [7]": a prompt
    injection, :mod:`qa.text.instructions`) are left out: they never reach the model."""
    from qa.text.instructions import without_instructions

    blocks = []
    for n, p in enumerate(passages, start=1):
        head = [f"Title: {p.title or 'untitled'}"]
        if p.published:
            head.append(f"Published: {p.published}")
        head.append(f"Source: {p.source or 'unknown'}")
        blocks.append(f"[{n}] " + " | ".join(head) + "\n" + without_instructions(p.text).strip())
    return "\n\n".join(blocks)


def format_history(history: Sequence[Turn], max_turns: int = 6) -> str:
    lines = [f"{'User' if role == 'user' else 'Assistant'}: {text}" for role, text in history]
    return "\n".join(lines[-max_turns:])
