"""Evidence first: the model copies the passage sentence that answers, then answers.

With ``CONFLICT_QA_EVIDENCE_FIRST`` the prompt (``prompts/answer_system_evidence.txt``) asks the
model to write ``Evidence: "<the sentence, word for word>" [n]`` and then ``Answer: ...``. A
small model that first has to find the sentence picks the asked figure or name from it more
often than one that answers at once (on 46 dev questions whose answer was in the passages:
24 → 32 right, none lost). Only the answer is the answer: the reader sees it stream, and the
checks read it; the citation already opens the passage with its sentence marked.
"""

from __future__ import annotations

import re

# "Answer:" opening a line, or right after the evidence's closing quote or marker on the same line
_ANSWER = re.compile(r"(?im)(?:^|(?<=[\]\"”.]))[ \t]*\**answer\**[ \t]*:(?:\*\*)?[ \t]*")
_EVIDENCE = re.compile(r"(?is)^\s*\**evidence\**\s*:.*?(?:\n|$)")


def answer_part(text: str) -> str:
    """The answer after the model's evidence line; a reply without the two labels is all answer."""
    found = _ANSWER.split(text, maxsplit=1)
    if len(found) == 2:
        return found[1].strip()
    return _EVIDENCE.sub("", text, count=1).strip() or text.strip()


class EvidenceStream:
    """Holds streamed tokens back until the ``Answer:`` label, then lets the answer through."""

    def __init__(self) -> None:
        self._text = ""
        self._shown = 0  # characters of the answer already let through
        self._open = False
        self._start = 0  # where the answer starts in ``_text``, once the label came

    def feed(self, token: str) -> str:
        self._text += token
        if not self._open:
            match = _ANSWER.search(self._text)
            if match is None:
                return ""
            self._open, self._start = True, match.end()
        answer = self._text[self._start :].lstrip()
        out, self._shown = answer[self._shown :], len(answer)
        return out

    def flush(self) -> str:
        """What is left at the end: the rest of the answer, or, if no label came, the reply as
        ``answer_part`` reads it."""
        if self._open:
            return ""
        return answer_part(self._text)
