"""The check after generation: every answer sentence must be stated by a passage it cites.

Cheap checks first: the sentence's names and figures must occur in a cited passage (or, if the
model cited the wrong one, in another retrieved passage: the marker is moved there). A sentence
that passes, but whose cited passage lacks some of the question's own content words, is
undecided: the chat model is asked a yes/no question about it when a judge is configured.
Unsupported sentences are dropped and reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from qa.answer.citations import is_refusal, resolve_citations
from qa.checks.base import Draft, Verdict
from qa.checks.gate import evidence_text
from qa.text.instructions import without_instructions
from qa.text.markers import MARKER, markers_of, strip_markers
from qa.text.sentences import split_sentences
from qa.text.terms import key_terms, name_found, names_in, numbers_in, prefix_key, without_dates
from qa.text.words import content_words
from qa.types import Passage, SentenceCheck

log = logging.getLogger(__name__)

SUPPORTED, RECITED, JUDGED, UNSUPPORTED = "supported", "recited", "judged", "unsupported"
Judge = Callable[[str, str, str], bool]  # (passage text, question, sentence) -> stated?


def missing_from(sentence: str, passage_text: str, aliases=None) -> list[str]:
    """The sentence's names and figures that the passage does not contain."""
    terms = key_terms(MARKER.sub("", sentence))
    numbers = numbers_in(passage_text.replace("-", " "))
    missing = [x for x in sorted(terms.numbers) if x not in numbers]
    return missing + [n for n in sorted(terms.names) if not name_found(n, passage_text, aliases)]


def focus_missing(question: str, passage_text: str) -> list[str]:
    """Content words of the question (what it asks about) absent from the passage."""
    have = {prefix_key(w) for w in content_words(passage_text, figures=False)}
    return sorted(w for w in content_words(question, figures=False) if prefix_key(w) not in have)


def words_not_in(sentence: str, passage_text: str, share: float = 0.5) -> list[str]:
    """The content words of ``sentence`` the passage lacks (by prefix, so inflections match),
    when they are more than ``share`` of them; else nothing."""
    words = sorted(content_words(strip_markers(sentence), figures=False))
    if not words:
        return []
    have = {prefix_key(w) for w in content_words(passage_text, figures=False)}
    lacking = [w for w in words if prefix_key(w) not in have]
    return lacking if len(lacking) > share * len(words) else []


class Verifier:
    """Checks answer sentences against the passages they cite."""

    def __init__(self, aliases=None, judge: Judge | None = None, documents: Callable[[str], str] | None = None) -> None:
        self.aliases = aliases
        self.judge = judge
        self.documents = documents  # doc_id -> the whole report's text, when a store is at hand

    def check(self, question: str, answer: str, passages: Sequence[Passage]) -> list[SentenceCheck]:
        reports: dict[str, str] = {}

        def report(doc_id: str) -> str:
            """The whole report, read from the store only when a sentence needs it (then kept)."""
            if doc_id not in reports:
                same = evidence_text([q for q in passages if q.doc_id == doc_id])
                reports[doc_id] = f"{same}\n{self.documents(doc_id)}" if self.documents else same
            return reports[doc_id]

        return [self._sentence(question, s, passages, report) for s in split_sentences(answer)]

    def _sentence(
        self, question: str, sentence: str, passages: Sequence[Passage], report: Callable[[str], str]
    ) -> SentenceCheck:
        cited = [n for n in dict.fromkeys(markers_of(sentence)) if 1 <= n <= len(passages)]
        texts = {n: evidence_text([passages[n - 1]]) for n in range(1, len(passages) + 1)}
        # The question's own names, and the days of its dates ("as of 3 April 2024" restated).
        asked = names_in(question) | (numbers_in(question) - numbers_in(without_dates(question)))

        def gaps(n: int) -> list[str]:
            # A name the sentence repeats from the question is its topic, not its claim: the same
            # report naming it elsewhere is enough ("The bazaar reopened on ..." in a report about
            # the Qarzai Bazaar). The question's words are then missing from the passage, so the
            # judge, when there is one, still decides.
            doc_id = passages[n - 1].doc_id
            return [
                g
                for g in missing_from(sentence, texts[n], self.aliases)
                if not (g in asked and (g.isdigit() or name_found(g, report(doc_id), self.aliases)))
            ]

        supporting = [n for n in cited if not gaps(n)]
        status = SUPPORTED
        if not supporting:
            supporting = [n for n in texts if not gaps(n)][:1]
            status = RECITED
        if not supporting:
            missing = missing_from(sentence, "\n".join(texts[n] for n in cited) if cited else "", self.aliases)
            return SentenceCheck(
                sentence, tuple(cited), UNSUPPORTED, self._named_wrongly(sentence, missing, asked, texts)
            )
        if not key_terms(MARKER.sub("", sentence)):
            if not cited:
                return SentenceCheck(sentence, (), UNSUPPORTED, ("no citation",))
            # No name or figure to check: the sentence's own words must be the passage's (most
            # of them), or it says what no passage does ("You answer questions about …" [1]).
            if unsaid := words_not_in(sentence, texts[supporting[0]]):
                return SentenceCheck(sentence, tuple(cited), UNSUPPORTED, tuple(unsaid))
        if self.judge and focus_missing(question, texts[supporting[0]]):
            passage = without_instructions(passages[supporting[0] - 1].text)
            if not self.judge(passage, question, strip_markers(sentence)):
                return SentenceCheck(sentence, tuple(supporting), UNSUPPORTED, ("the verifier said no",))
            status = JUDGED if status == SUPPORTED else status
        return SentenceCheck(sentence, tuple(supporting), status)

    def _named_wrongly(
        self, sentence: str, missing: list[str], asked: set[str], texts: dict[int, str]
    ) -> tuple[str, ...]:
        """What to name as missing. When the cited passage lacks only the question's own names, it
        is about something else, and what the sentence claims is missing from the passage that does
        name them: "Fairfield (not in the passage naming Kobe Bryant)", not "Kobe Bryant"."""
        topic = [g for g in missing if g in asked and not g.isdigit()]
        if not topic or len(topic) < len(missing):
            return tuple(missing)
        for text in texts.values():
            if all(name_found(g, text, self.aliases) for g in topic):
                claimed = [g for g in missing_from(sentence, text, self.aliases) if g not in asked]
                if claimed:
                    return tuple(f"{g} (not in the passage naming {', '.join(topic)})" for g in claimed)
        return tuple(missing)


class SentenceSupport:
    """Every answer sentence must be stated by a passage it cites; the others are dropped."""

    name = "sentences"

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def __call__(self, draft: Draft) -> Verdict:
        checks = tuple(self.verifier.check(draft.focus, draft.text, draft.passages))
        text, citations = resolve_citations(rebuild(checks), list(draft.passages))
        checked = replace(draft, text=text, citations=citations, sentences=checks)
        if text and not is_refusal(text):
            return Verdict.replace(checked)
        reason = "no sentence of the model's answer is stated in the passages it cites"
        if dropped := [c for c in checks if not c.kept]:
            missing = ", ".join(dict.fromkeys(m for c in dropped for m in c.missing)) or "—"
            said = " ".join(strip_markers(c.text) for c in dropped)
            reason += f" (the model said: “{said}”; not in them: {missing})"
        return Verdict.refuse(reason, checked)


def rebuild(checks: Sequence[SentenceCheck]) -> str:
    """The answer from the kept sentences, each ending in the markers of its supporting passages."""
    out = []
    for c in checks:
        if not c.kept:
            continue
        body = strip_markers(c.text)
        marks = "".join(f"[{n}]" for n in c.cites)
        end = body[-1] if body and body[-1] in ".!?" else ""
        out.append(f"{body[: len(body) - len(end)].rstrip()} {marks}{end}" if marks else body)
    return " ".join(out)


def model_judge(chat_model) -> Judge:
    """The chat model as a yes/no verifier (prompt in ``prompts/verify.txt``)."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from qa.answer.prompts import load_text

    prompt = load_text("verify.txt", frozenset({"passage", "question", "sentence"}))
    runnable = ChatPromptTemplate.from_messages([("human", prompt.text)]) | chat_model | StrOutputParser()

    def judge(passage: str, question: str, sentence: str) -> bool:
        reply = runnable.invoke({"passage": passage, "question": question, "sentence": sentence})
        verdict = reply.strip().lower().startswith("yes")
        log.info("verifier: %r -> %s", sentence[:80], verdict)
        return verdict

    return judge
