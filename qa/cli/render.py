"""Terminal rendering of answers and document lists (rich)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qa.store.chroma import DocRecord
from qa.types import Answer, Passage


def passage_line(n: int | None, p: Passage) -> str:
    where = p.url or p.source or "unknown source"
    bits = [f"[{n}]" if n else "-", p.title or "untitled", "—", where]
    bits.append(f"({p.dated})")
    if p.page:
        bits.append(f"p. {p.page}")
    return " ".join(bits)


def snippet(text: str, width: int = 300) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def print_answer_footer(answer: Answer, console: Console, streamed: str = "") -> None:
    """After the streamed answer: what the checks made of it, then the cited passages or what
    was consulted. ``streamed`` is the model's text as it was printed; when the checks after
    generation refused it or changed it, the checked answer is printed so the reader sees it."""
    if answer.abstained:
        if streamed.strip():
            reason = f" ({escape(answer.reason)})" if answer.reason else ""
            console.print(f"\n\n[bold]Checked: not an answer.[/] {escape(answer.text)}{reason}")
        elif answer.text:
            console.print(escape(answer.text))
        shown = answer.passages
        heading = "Closest passages (not evidence for an answer):"
    else:
        if streamed.strip() and " ".join(streamed.split()) != " ".join(answer.text.split()):
            console.print(f"\n\n[bold]Checked answer:[/] {escape(answer.text)}")
        console.print()
        shown = tuple(c.passage for c in answer.citations)
        heading = "Cited passages:" if shown else "Sources consulted (the answer cites none):"
        if not shown:
            shown = answer.passages
    if answer.filters:
        console.print(f"[dim]filters: {escape(', '.join(f'{k}={v}' for k, v in answer.filters.items()))}[/]")
    if not shown:
        return
    console.print(f"\n[bold]{heading}[/]")
    numbers = {c.passage.chunk_id: c.n for c in answer.citations}
    for i, p in enumerate(shown, start=1):
        n = numbers.get(p.chunk_id) or (None if answer.citations else i)
        console.print(f"[cyan]{escape(passage_line(n, p))}[/]")
        console.print(f"    {escape(snippet(p.text))}")


def print_docs_table(records: Sequence[DocRecord], console: Console) -> None:
    if not records:
        console.print("No documents yet: run `conflict-qa ingest PATH`.")
        return
    table = Table("doc_id", "title", "published", "source", "chunks")
    for r in records:
        table.add_row(r.doc_id, escape(r.title or ""), r.published or "", escape(r.source), str(r.chunks))
    console.print(table)
    console.print(f"{len(records)} documents, {sum(r.chunks for r in records)} chunks")
