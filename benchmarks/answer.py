"""Answer speed and memory with the bundled Qwen on this machine, prompt cache on against off.

    .venv/bin/python benchmarks/answer.py [--questions 100] [--sweep] [--sweep-questions 8]

One run reports: model load time; prompt-eval and generation tokens/s; first-token and total time
for a first question, the same question repeated, a new question, and a new question right after
a follow-up rewrite call, each with the prompt cache on and off; resident memory across N
questions through the whole chain. ``--sweep`` adds answer accuracy against the number of
passages given to the model (top_k) on a few gold questions from eval/. ``--contexts`` measures
only the first token of new questions with fixed chunks against sentence windows, interleaved in
one run over real dev questions (``--store`` reuses a data dir holding eval/real/corpus). Writes
(merges into) benchmarks/results/answer.json.

Target: with the cache on, a warm question's first token costs no more than 1.2x the time to
evaluate its own passages and question at the measured prompt-eval rate.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python benchmarks/<script>.py`

from benchmarks._common import RESULTS, SAMPLES, machine, offline, rss_mb, stamp, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "When was ISIS-K established, and by whom?",
    "Which school of Islam do the Taliban adhere to?",
    "How many people were killed in the Moscow attack?",
    "Which embassies has ISIS-K threatened in Afghanistan?",
    "What did Afghanistan's foreign ministry call for after the Moscow attack?",
    "How have ISIS-K's tactics changed?",
    "Why does ISIS-K criticise the Taliban?",
    "Where has ISIS-K carried out attacks outside Afghanistan?",
]
FOLLOW_UP = ("And which countries did it target?", [("user", QUESTIONS[0]), ("assistant", "In 2015 [1].")])


class EvalCounter:
    """Counts the tokens ``llama.eval`` evaluates: prompt tokens before the first token, then generated."""

    def __init__(self, llama) -> None:
        self.llama, self.real = llama, llama.eval
        self.calls: list[int] = []
        llama.eval = self._eval

    def _eval(self, tokens) -> None:
        self.calls.append(len(tokens))
        self.real(tokens)


def timed_answer(chat, counter: EvalCounter, messages) -> dict:
    """First-token and total seconds of one streamed answer, with the tokens evaluated."""
    counter.calls.clear()
    static, total = chat.token_counts(messages)
    started, first, prompt_evaluated, parts = time.perf_counter(), None, 0, []
    for chunk in chat.stream(messages):
        if first is None:
            first, prompt_evaluated = time.perf_counter() - started, sum(counter.calls)
        parts.append(str(chunk.content))
    total_s = time.perf_counter() - started
    generated = len(counter.calls) - _prompt_calls(counter.calls, prompt_evaluated) + 1
    return {
        "first_token_s": round(first or total_s, 3),
        "total_s": round(total_s, 3),
        "prompt_tokens": total,
        "static_tokens": static,
        "dynamic_tokens": total - static,
        "prompt_tokens_evaluated": prompt_evaluated,
        "generated_tokens": generated,
        "gen_tok_per_s": round((generated - 1) / (total_s - first), 1) if first and generated > 1 else None,
        "answer": "".join(parts).strip(),
    }


def _prompt_calls(calls: list[int], prompt_evaluated: int) -> int:
    seen, n = 0, 0
    while seen < prompt_evaluated:
        seen, n = seen + calls[n], n + 1
    return n


def messages_for(retriever, question: str):
    from qa.answer.chain import answer_prompt, format_context

    prompt, _ = answer_prompt()
    passages = retriever.retrieve(question).passages
    return prompt.format_messages(context=format_context(passages), question=question)


def scenario(chat, counter, chain) -> dict:
    """First question, the same again, a new one, then a rewrite call and another new one."""
    chat.llama.reset()
    retriever = chain.retriever
    out = {
        "first": timed_answer(chat, counter, messages_for(retriever, QUESTIONS[0])),
        "same_again": timed_answer(chat, counter, messages_for(retriever, QUESTIONS[0])),
        "new_question": timed_answer(chat, counter, messages_for(retriever, QUESTIONS[1])),
    }
    started = time.perf_counter()
    rewritten = chain.rewrite(*FOLLOW_UP)
    out["rewrite_s"] = round(time.perf_counter() - started, 3)
    out["after_rewrite"] = timed_answer(chat, counter, messages_for(retriever, rewritten or FOLLOW_UP[0]))
    out["after_rewrite"]["question"] = rewritten
    return out


def memory_run(chain, n: int) -> dict:
    """RSS across ``n`` questions through the whole chain; every fifth one is a follow-up."""
    samples = []
    for i in range(n):
        if i % 5 == 4:
            chain.ask(FOLLOW_UP[0], history=FOLLOW_UP[1])
        else:
            chain.ask(QUESTIONS[i % len(QUESTIONS)])
        samples.append(round(rss_mb()[0]))
    ten = samples[min(9, n - 1)]
    return {
        "questions": n,
        "rss_mb_after_first": samples[0],
        "rss_mb_after_10": ten,
        "rss_mb_after_last": samples[-1],
        "growth_mb_after_10": samples[-1] - ten,
        "peak_rss_mb": round(rss_mb()[1]),
        "rss_mb_every_10": samples[::10],
    }


def speed_run(settings, store, n_questions: int) -> dict:
    from qa.backends.chat import resolve_model_path
    from qa.backends.llamacpp import LlamaCppChat
    from qa.factory import build_chain, make_retriever

    path = resolve_model_path(settings)
    on = LlamaCppChat(
        model_path=path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, max_tokens=settings.max_tokens
    )
    off = on.model_copy(update={"prompt_cache": False})
    loaded_before = on.is_loaded
    started = time.perf_counter()
    counter = EvalCounter(on.llama)
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()[0]
    retriever = make_retriever(settings, store)

    def AnswerChain(r, model):  # the default gate and checks, as make_chain builds them
        return build_chain(r, model, aliases=r.aliases, reports=store.document_text)

    cache_off = scenario(off, counter, AnswerChain(retriever, off))
    cache_on = scenario(on, counter, AnswerChain(retriever, on))
    base = cache_off["first"]
    prompt_rate = base["prompt_tokens_evaluated"] / base["first_token_s"]
    gen_rates = [
        r["gen_tok_per_s"]
        for s in (cache_on, cache_off)
        for r in s.values()
        if isinstance(r, dict) and r["gen_tok_per_s"]
    ]
    result = {
        "model_loaded_before_first_use": loaded_before,
        "model_load_s": round(load_s, 2),
        "rss_mb_models_loaded": round(rss_loaded),
        "prompt_eval_tok_per_s": round(prompt_rate, 1),
        "gen_tok_per_s": round(sum(gen_rates) / len(gen_rates), 1),
        "cache_on": cache_on,
        "cache_off": cache_off,
        "targets": targets(cache_on, cache_off, prompt_rate),
        "prefix_cache": {"entries": len(on.loaded.prefixes), "mb": round(on.loaded.prefixes.size_bytes / 2**20, 1)},
    }
    counter.llama.eval = counter.real
    if n_questions:
        result["memory"] = memory_run(AnswerChain(retriever, on), n_questions)
    return result


def targets(on: dict, off: dict, prompt_rate: float) -> dict:
    """First token of warm questions against 1.2x (passages + question) / prompt-eval rate."""
    out = {}
    for case in ("new_question", "after_rewrite"):
        bound = 1.2 * on[case]["dynamic_tokens"] / prompt_rate
        out[case] = {
            "first_token_s": on[case]["first_token_s"],
            "bound_s": round(bound, 3),
            "met": on[case]["first_token_s"] <= bound,
            "speedup_vs_cache_off": round(off[case]["first_token_s"] / on[case]["first_token_s"], 2),
        }
    return out


def context_sweep(settings, n_questions: int, top_ks=(2, 4, 6)) -> dict:
    """Answer accuracy (a gold answer string in the text) against passages given to the model."""
    from ingest.service import run_ingest
    from qa.factory import make_chain, make_store

    gold = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines() if line.strip()]
    picked = [q for q in gold if q["type"] in ("factoid", "numeric")][::2][:n_questions]
    store = make_store(settings)
    run_ingest(settings, store, [str(ROOT / "eval" / "corpus")])
    rows = []
    for k in top_ks:
        chain = make_chain(settings.model_copy(update={"top_k": k}), store)
        answers = [chain.ask(q["question"]) for q in picked]
        hits = [any(a.casefold() in ans.text.casefold() for a in q["answer"]) for q, ans in zip(picked, answers)]
        rows.append(
            {
                "top_k": k,
                "accuracy": round(sum(hits) / len(hits), 3),
                "abstained": sum(a.abstained for a in answers),
                "mean_passages": round(sum(len(a.passages) for a in answers) / len(answers), 2),
                "mean_first_token_s": round(sum(a.timings.first_token_s or 0 for a in answers) / len(answers), 2),
                "mean_total_s": round(sum(a.timings.total_s for a in answers) / len(answers), 2),
                "misses": [q["id"] for q, hit in zip(picked, hits) if not hit],
            }
        )
        logging.getLogger(__name__).info("top_k=%d accuracy %.2f", k, rows[-1]["accuracy"])
    return {"questions": [q["id"] for q in picked], "chunk_size": settings.chunk_size, "by_top_k": rows}


def context_run(settings, store, n_questions: int, budget: int) -> dict:
    """First token of new questions (retrieval included) with fixed chunks and with sentence
    windows, the two interleaved question by question in one run, prompt cache on (the static
    prefix warm), over answerable questions of the real dev split."""
    from qa.backends.chat import resolve_model_path
    from qa.backends.llamacpp import LlamaCppChat
    from qa.eval.dataset import load_questions
    from qa.factory import make_retriever

    gold = [q for q in load_questions(ROOT / "eval" / "real" / "questions.jsonl", split="dev") if q.answers]
    picked = [q for q in gold if not q.history and not q.as_of][::7][:n_questions]
    chat = LlamaCppChat(
        model_path=resolve_model_path(settings),
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        max_tokens=settings.max_tokens,
    )
    counter = EvalCounter(chat.llama)
    contexts = {
        "chunks": make_retriever(settings.model_copy(update={"context_tokens": 0}), store),
        f"windows {budget}": make_retriever(settings.model_copy(update={"context_tokens": budget}), store),
    }
    timed_answer(chat, counter, messages_for(contexts["chunks"], "warm-up: what happened?"))  # the static prefix
    rows: dict[str, list[dict]] = {name: [] for name in contexts}
    for q in picked:
        for name, retriever in contexts.items():
            started = time.perf_counter()
            messages = messages_for(retriever, q.question)
            retrieve_s = time.perf_counter() - started
            got = timed_answer(chat, counter, messages)
            rows[name].append({"id": q.id, "retrieve_s": round(retrieve_s, 3), **got})
    counter.llama.eval = counter.real

    def mean(name: str, key: str) -> float:
        return round(sum(r[key] for r in rows[name]) / len(rows[name]), 3)

    out = {"questions": [q.id for q in picked], "by_context": {}}
    for name in contexts:
        first = round(mean(name, "retrieve_s") + mean(name, "first_token_s"), 3)
        out["by_context"][name] = {
            "retrieve_s": mean(name, "retrieve_s"),
            "prompt_first_token_s": mean(name, "first_token_s"),
            "first_token_s": first,
            "dynamic_tokens": mean(name, "dynamic_tokens"),
            "answers": [{"id": r["id"], "answer": r["answer"]} for r in rows[name]],
        }
    base, windows = out["by_context"]["chunks"], out["by_context"][f"windows {budget}"]
    out["first_token_speedup"] = round(base["first_token_s"] / windows["first_token_s"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100, help="questions in the memory run (0 skips it)")
    parser.add_argument("--sweep", action="store_true", help="also measure accuracy against top_k")
    parser.add_argument("--sweep-only", action="store_true", help="only the accuracy sweep")
    parser.add_argument("--sweep-questions", type=int, default=8)
    parser.add_argument("--contexts", action="store_true", help="only: first token, fixed chunks vs sentence windows")
    parser.add_argument("--context-questions", type=int, default=12)
    parser.add_argument("--budget", type=int, default=None, help="windows budget (default: the settings' default)")
    parser.add_argument("--store", type=Path, default=None, help="a data dir holding eval/real/corpus (--contexts)")
    args = parser.parse_args()
    offline()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from ingest.service import run_ingest
    from qa.factory import make_store
    from qa.settings import Settings

    host = machine()
    previous = RESULTS / "answer.json"
    result = json.loads(previous.read_text()) if previous.exists() else {}
    earlier = {k: result.pop(k) for k in ("measured_at", "machine") if k in result}
    with tempfile.TemporaryDirectory(prefix="cqa-bench-answer-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", _env_file=None)
        if args.contexts:
            settings = settings.model_copy(update={"data_dir": args.store or settings.data_dir})
            store = make_store(settings)
            if args.store is None:
                run_ingest(settings, store, [str(ROOT / "eval" / "real" / "corpus")])
            budget = args.budget or Settings(_env_file=None).context_tokens or 300
            result["contexts"] = {**stamp(host), **context_run(settings, store, args.context_questions, budget)}
            path = write_result("answer.json", result, host, file_stamp=earlier or None)
            print(json.dumps({k: v for k, v in result["contexts"].items() if k != "by_context"}, indent=1))
            for name, row in result["contexts"]["by_context"].items():
                print(name, {k: v for k, v in row.items() if k != "answers"})
            print(f"wrote {path}")
            return
        if not args.sweep_only:
            store = make_store(settings)
            run_ingest(settings, store, [str(SAMPLES / "isis-k-taliban.txt")])
            result.update(speed_run(settings, store, args.questions))
        if args.sweep or args.sweep_only:
            sweep_settings = settings.model_copy(update={"data_dir": Path(tmp) / "sweep", "collection": "sweep"})
            result["context_sweep"] = context_sweep(sweep_settings, args.sweep_questions)
    path = write_result("answer.json", result, host)
    print(summary(result) + f"\nwrote {path}")


def summary(r: dict) -> str:
    if "cache_on" not in r:
        return json.dumps(r.get("context_sweep"), indent=1)
    lines = [
        f"model load {r['model_load_s']} s; prompt eval {r['prompt_eval_tok_per_s']} tok/s; "
        f"generation {r['gen_tok_per_s']} tok/s",
        f"{'case':<15}{'cache':>6}{'first tok s':>12}{'total s':>9}{'evaluated':>10}{'dynamic':>8}",
    ]
    for case in ("first", "same_again", "new_question", "after_rewrite"):
        for mode in ("on", "off"):
            c = r[f"cache_{mode}"][case]
            lines.append(
                f"{case:<15}{mode:>6}{c['first_token_s']:>12.2f}{c['total_s']:>9.2f}"
                f"{c['prompt_tokens_evaluated']:>10}{c['dynamic_tokens']:>8}"
            )
    for case, t in r["targets"].items():
        lines.append(
            f"target {case}: {t['first_token_s']} s <= {t['bound_s']} s: {t['met']} ({t['speedup_vs_cache_off']}x vs off)"
        )
    if "memory" in r:
        m = r["memory"]
        lines.append(
            f"memory: {m['questions']} questions, RSS {m['rss_mb_after_first']} -> {m['rss_mb_after_last']} MB, peak {m['peak_rss_mb']} MB"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
