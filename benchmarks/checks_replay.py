"""Replay the gate and the checks after generation on a recorded eval run, without the model.

The model's drafts do not depend on the checks that run after it, so one run of
``conflict-qa eval`` with the gate and the checks switched off

    CONFLICT_QA_GATE=false CONFLICT_QA_VERIFY=false conflict-qa eval Q.jsonl --corpus DIR --out RUN

records, per question, the passages the model was given and what it wrote. This script applies
the current gate and checks to those drafts and scores the outcome as `conflict-qa eval` would:
refusal recall (near misses, out of corpus), false refusals, citation precision, lenient accuracy,
and a row per stage (what it refused, how many of those were right). The relevance bar alone is
the recorded run itself. The model verifier (a yes/no model call on sentences the cheap checks
leave undecided) runs only with ``--with-model``, which loads the bundled model as the chain would.

    python benchmarks/checks_replay.py RUN/report.json[,RUN2/report.json] Q.jsonl [--split dev] [--store RUN/store]
        [--checks claim,newer_report] [--gate coverage --gate-bar 0.5] [--bar 0.4] [--json OUT.json]
        [--with-model]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import offline  # noqa: E402


def _read(path: Path) -> str:
    """A recorded report.json, or one kept gzipped (benchmarks/results/recordings/*.json.gz)."""
    if path.suffix == ".gz":
        import gzip

        return gzip.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


def replay(
    report_path: Path,
    questions_path: Path,
    split: str | None,
    store_dir: Path | None,
    checks: str,
    gate_kind: str,
    gate_bar: float,
    bar: float,
    judge=None,
    fallback: Path | None = None,
    fallback_on: frozenset = frozenset(),
):
    from qa.answer.chain import NOT_COVERED, newest_report_note
    from qa.answer.citations import is_refusal, resolve_citations
    from qa.checks.base import Draft, run_checks
    from qa.eval import metrics as m
    from qa.eval import scoring
    from qa.eval.dataset import load_questions
    from qa.factory import build_checks, build_gate, make_aliases, make_retriever, make_store
    from qa.retrieve.recency import as_of_in, asks_for_latest
    from qa.settings import Settings
    from qa.types import Answer, Passage, answer_body

    recorded = {
        q["id"]: q
        for path in str(report_path).split(",")  # a run recorded in shards: RUN1/report.json,RUN2/report.json
        for q in json.loads(_read(Path(path)))["questions"]
    }
    gold = [q for q in load_questions(questions_path, split=split) if q.id in recorded]
    settings = Settings()
    if store_dir is not None:
        settings = settings.model_copy(update={"data_dir": store_dir, "chroma_url": None})
    aliases = make_aliases(settings)
    store = make_store(settings) if store_dir is not None else None
    reports = store.document_text if store is not None else None
    rarity = make_retriever(settings, store, aliases).lexical.rarity if store is not None else None
    gate = None if gate_kind == "off" else build_gate(gate_kind, aliases=aliases, rarity=rarity, bar=gate_bar)
    checks = build_checks(checks, aliases=aliases, reports=reports, judge=judge)

    def decide(q, rec):
        """The recorded draft ``rec`` of question ``q`` through the bar, the gate and the checks:
        ``(stage, reason, text, citations, withheld, recency, passages)``."""
        passages = tuple(
            Passage(
                **{k: p.get(k) for k in ("text", "doc_id", "title", "source", "url", "published", "page")},
                chunk_id=f"{p.get('doc_id')}:{p.get('n')}",
                score=p.get("score") or 0.0,
            )
            for p in rec.get("passages", [])
        )
        asked = rec.get("rewritten_question") or q.question
        stage, reason, text, citations = rec.get("refused_by"), rec.get("reason"), rec["text"], ()
        withheld = None
        recency = False
        if not rec["abstained"] and passages and max(p.score for p in passages) < bar:
            stage, reason, text = "relevance", "no passage is relevant enough to the question", NOT_COVERED
        elif not rec["abstained"]:
            if gate is not None and not (decision := gate(asked, passages)).allowed:
                stage, reason, text = "gate", decision.reason, NOT_COVERED
            else:
                raw = answer_body(text)  # without the notes the chain appended
                recency = asks_for_latest(asked) or as_of_in(asked) is not None or q.as_of is not None
                resolved, cites = resolve_citations(raw, list(passages))
                draft = Draft(
                    q.question,
                    asked,
                    asked,
                    resolved,
                    cites,
                    passages,
                    recency=recency,
                    as_of=q.as_of or as_of_in(asked),
                )
                if is_refusal(resolved):
                    stage, text = "model", NOT_COVERED
                else:
                    draft, refusal, name, _ = run_checks(checks, draft)
                    if refusal is not None:
                        stage, reason, text, withheld = name, refusal, NOT_COVERED, resolved
                    else:
                        stage, text, citations = None, draft.text, draft.citations
        return stage, reason, text, citations, withheld, recency, passages

    second = {}
    if fallback is not None:  # a second recorded draft per question (another prompt), tried on a refusal
        second = {q["id"]: q for path in str(fallback).split(",") for q in json.loads(_read(Path(path)))["questions"]}
    rows = []
    for q in gold:
        stage, reason, text, citations, withheld, recency, passages = decide(q, recorded[q.id]["answer"])
        redrafted = None
        if stage in fallback_on and q.id in second:
            first, other = recorded[q.id]["answer"], second[q.id]["answer"]
            if [x.get("doc_id") for x in first.get("passages", [])] != [
                x.get("doc_id") for x in other.get("passages", [])
            ]:
                print(f"warning: {q.id}: the second recording retrieved other passages", file=sys.stderr)
            again = decide(q, {**other, "passages": first.get("passages", [])})  # the chain reuses them
            if again[0] is None:
                redrafted, first_draft = f"{stage}: {reason}", withheld
                stage, reason, text, citations, withheld, recency, passages = again
                withheld = first_draft  # as the chain keeps it
        abstained = stage is not None
        answer = Answer(
            question=q.question,
            text=text,
            abstained=abstained,
            citations=citations,
            passages=passages,
            reason=reason if abstained else None,
            refused_by=stage,
            withheld=withheld,
            redrafted=redrafted,
        )
        if not abstained and recency and (note := newest_report_note(answer)):
            answer = replace(answer, text=answer.text + note)
        scores = scoring.answer_scores(q, answer)
        scores["correct"] = scoring.is_correct(q, answer, scores)
        rows.append(_Row(q, answer, scores))
    agg = {
        "n": len(rows),
        **{k: v for k, v in m.refusal_scores((r.gold.unanswerable, r.answer.abstained) for r in rows).items()},
        "citation_precision": m.mean_or_none(r.scores.get("citation_precision") for r in rows),
        "contains": m.mean_or_none(r.scores.get("contains") for r in rows),
        "lenient": m.mean_or_none(r.scores.get("lenient") for r in rows),
        "lenient_in_context": m.mean_or_none(
            r.scores.get("lenient") for r in rows if r.scores.get("gold_given") == 1.0
        ),
        "accuracy": m.mean_or_none(float(r.scores["correct"]) for r in rows),
        # where citation precision is lost: on right answers (a citation the checks failed to move
        # to the passage that states the answer) or on answers that should not have been given
        "citation_precision_right_answers": m.mean_or_none(
            r.scores.get("citation_precision") for r in rows if r.scores.get("lenient") == 1.0
        ),
        "citation_precision_other_answers": m.mean_or_none(
            r.scores.get("citation_precision") for r in rows if r.scores.get("lenient") != 1.0
        ),
        "cited_answers_wrong_or_unanswerable": sum(
            r.scores.get("citation_precision") is not None and r.scores.get("lenient") != 1.0 for r in rows
        ),
    }
    for kind in ("near_miss", "out_of_corpus"):
        group = [r for r in rows if r.gold.type == kind]
        agg[f"refusal_recall_{kind}"] = m.mean_or_none(float(r.answer.abstained) for r in group)
    for kind in ("latest", "as_of"):  # update chains: the newest (as-of) report's figure, leniently
        agg[f"lenient_{kind}"] = m.mean_or_none(r.scores.get("lenient") for r in rows if r.gold.type == kind)
    answerable = [r for r in rows if not r.gold.unanswerable]
    agg["false_refusals"] = m.mean_or_none(float(r.answer.abstained) for r in answerable)
    agg["second_drafts"] = scoring.second_drafts(rows)
    return agg, scoring.by_stage(rows), rows


class _Row:
    def __init__(self, gold, answer, scores):
        self.gold, self.answer, self.scores = gold, answer, scores


def main() -> None:
    offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("questions", type=Path)
    ap.add_argument("--split")
    ap.add_argument("--store", type=Path, help="the run's store directory (RUN/store), for whole-report reads")
    ap.add_argument("--checks", default="sentences,asked_kind,asked_about,report_names,newer_report")
    ap.add_argument("--gate", default="names", help="names, coverage or off")
    ap.add_argument("--gate-bar", type=float, default=0.5)
    ap.add_argument("--bar", type=float, default=0.0, help="a relevance bar above the recorded one")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--with-model",
        action="store_true",
        help="also run the model verifier (the bundled model answers the yes/no questions; slow)",
    )
    ap.add_argument(
        "--fallback",
        type=Path,
        help="a second recording of the same questions (another prompt): its draft is tried when the first is refused",
    )
    ap.add_argument(
        "--fallback-on",
        default="",
        help="the stages whose refusal tries the second draft (default: every check of --checks, as the chain does)",
    )
    ap.add_argument("--show", default="", help="print the questions a stage refused (its name)")
    args = ap.parse_args()
    judge = None
    if args.with_model:
        from qa.backends.chat import make_chat_model
        from qa.checks.support import model_judge
        from qa.settings import Settings

        judge = model_judge(make_chat_model(Settings()))
    agg, stages, rows = replay(
        args.report,
        args.questions,
        args.split,
        args.store,
        args.checks,
        args.gate,
        args.gate_bar,
        args.bar,
        judge,
        args.fallback,
        frozenset(s.strip() for s in (args.fallback_on or args.checks).split(",") if s.strip()),
    )
    print(json.dumps({"aggregates": agg, "refusals_by_stage": stages}, indent=1))
    for r in rows:
        if args.show and r.answer.refused_by == args.show:
            withheld = r.scores.get("withheld_lenient")
            right = r.gold.unanswerable or withheld == 0.0
            if r.gold.unanswerable:
                why = "no answer in the store"
            elif withheld is None:
                why = "refused before the model wrote an answer"
            else:
                why = "withheld a " + ("wrong" if right else "right") + " draft"
            print(f"- {'RIGHT' if right else 'WRONG'} ({why}) {r.gold.id}: {r.gold.question}\n    {r.answer.reason}")
    if args.json:
        args.json.write_text(json.dumps({"aggregates": agg, "refusals_by_stage": stages}, indent=1))


if __name__ == "__main__":
    main()
