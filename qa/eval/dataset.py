"""The gold question file: one JSON object per line, read into :class:`GoldQuestion`.

Each line has ``question`` (required), ``answer`` (a string, a list of acceptable strings, or
missing/null for "unanswerable: the right output is a refusal"), ``sources`` (file names, paths,
URLs or doc ids of the supporting documents), and optionally ``id``, ``as_of`` (YYYY-MM-DD),
``history`` (earlier turns ``[{"role", "content"}]``) and ``type``; the real sets add ``split``
(``dev`` or ``test``, fixed by story), ``story``, ``leave_out`` (documents the eval removes from the
store for this question: a near miss whose answering report is gone while its story stays) and
``chain`` (the reports of an update chain, oldest first). Other keys (``evidence``) are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ConflictQAError

ROLES = ("user", "assistant")
UNTYPED = "untyped"


@dataclass(frozen=True)
class GoldQuestion:
    """One question of the gold set, with what counts as a right answer."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    as_of: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    type: str = UNTYPED
    split: str | None = None
    story: str | None = None
    leave_out: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    # strings whose presence in what the reader is shown means the model obeyed an instruction
    # planted in a report (the prompt-injection set, eval/injection/)
    injection: tuple[str, ...] = ()

    @property
    def unanswerable(self) -> bool:
        """No gold answer: the right output is a refusal."""
        return not self.answers


class DatasetError(ConflictQAError):
    """A line of the question file cannot be used; the message names the file and line."""


def load_questions(
    path: Path, limit: int | None = None, split: str | None = None, *, sample: int | None = None, seed: int = 0
) -> list[GoldQuestion]:
    """Read ``path`` (JSON lines; blank lines skipped), keeping the questions of ``split`` (all
    when None), then the first ``limit`` of them, or a ``sample`` of that many stratified by type."""
    for flag, n in (("--first", limit), ("--limit", sample)):
        if n is not None and n < 1:
            raise DatasetError(f"{flag} must be at least 1, got {n}.")
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"Cannot read the question file {path}: {exc.strerror or exc}.") from exc
    questions: list[GoldQuestion] = []
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            questions.append(_parse_line(line, f"{path}:{lineno}", default_id=f"q{lineno}"))
    _check_unique_ids(questions, path)
    if split is not None:
        if split not in SPLITS:
            raise DatasetError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}.")
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise DatasetError(f"{path} holds no question of the {split!r} split.")
    if not questions:
        raise DatasetError(f"{path} holds no questions: write one JSON object per line with a 'question'.")
    if sample:
        return stratified_sample(questions, sample, seed)
    return questions[:limit] if limit else questions


def stratified_sample(questions: list[GoldQuestion], n: int, seed: int = 0) -> list[GoldQuestion]:
    """``n`` questions drawn in turn from each type (a seeded shuffle within each), in file order:
    a small run still holds answerable, near-miss and out-of-corpus questions, so every refusal
    metric can be computed. The same seed draws the same questions."""
    import random

    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(q.type, []).append(i)
    for members in groups.values():
        rng.shuffle(members)
    picked: list[int] = []
    queues = [groups[t] for t in sorted(groups)]
    while len(picked) < min(n, len(questions)):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop())
    return [questions[i] for i in sorted(picked)]


def _parse_line(line: str, where: str, default_id: str) -> GoldQuestion:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg}).") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: each line must be a JSON object with a 'question'.")
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise DatasetError(f"{where}: 'question' must be a non-empty string.")
    return GoldQuestion(
        id=str(raw.get("id") or default_id),
        question=question.strip(),
        answers=_strings(raw.get("answer"), "answer", where),
        sources=_strings(raw.get("sources"), "sources", where),
        as_of=_as_of(raw.get("as_of"), where),
        history=_history(raw.get("history"), where),
        type=str(raw.get("type") or UNTYPED),
        split=_split(raw.get("split"), where),
        story=str(raw["story"]) if raw.get("story") else None,
        leave_out=_strings(raw.get("leave_out"), "leave_out", where),
        chain=_strings(raw.get("chain"), "chain", where),
        injection=_strings(raw.get("injection"), "injection", where),
    )


SPLITS = ("dev", "test")


def _split(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if value not in SPLITS:
        raise DatasetError(f"{where}: 'split' must be one of {', '.join(SPLITS)}, got {value!r}.")
    return value


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    """A string or a list of strings (empty ones dropped); None means none."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: '{key}' must be a string or a list of strings, got {value!r}.")
    return tuple(v.strip() for v in value if v.strip())


def _as_of(value: Any, where: str) -> str | None:
    from qa.text.dates import parse_date

    if value is None:
        return None
    try:
        return parse_date(str(value), f"{where}: as_of")
    except ConflictQAError as exc:
        raise DatasetError(str(exc)) from exc


def _history(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    turns = []
    for turn in value if isinstance(value, list) else [value]:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise DatasetError(
                f'{where}: \'history\' must be a list of {{"role": "user"|"assistant", "content": ...}}, got {turn!r}.'
            )
        turns.append((turn["role"], turn["content"]))
    return tuple(turns)


def _check_unique_ids(questions: list[GoldQuestion], path: Path) -> None:
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise DatasetError(f"{path}: the id {q.id!r} is used twice; give each question its own id.")
        seen.add(q.id)
