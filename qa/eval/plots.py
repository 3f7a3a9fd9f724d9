"""PNG plots of an eval run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

from qa.eval.runner import EvalReport
from qa.eval.scoring import HITS_KS, LATENCIES


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_plots(report: EvalReport, out_dir: Path) -> list[Path]:
    """Hits@k for k=1..10, the latency distribution, and accuracy by question type."""
    return [
        plot_hits_curve(report, out_dir / "hits_at_k.png"),
        plot_latency(report, out_dir / "latency.png"),
        plot_by_type(report, out_dir / "by_type.png"),
        plot_refusal_tradeoff(report, out_dir / "refusal_tradeoff.png"),
    ]


_WHY = {
    "recall": "no unanswerable question in this run",
    "false_refusal_rate": "no answerable question in this run",
    "precision": "nothing was refused at any bar",
}


def left_out(report: EvalReport) -> dict[str, str]:
    """The refusal curves this run cannot compute, each with the reason (drawn as a note, not a line)."""
    return {key: why for key, why in _WHY.items() if report.tradeoff and all(p[key] is None for p in report.tradeoff)}


def _note(ax, missing: dict[str, str]) -> None:
    if missing:
        text = "Not drawn: " + "; ".join(f"{k.replace('_', ' ')} ({why})" for k, why in missing.items())
        ax.text(0.01, 0.97, text, transform=ax.transAxes, fontsize=7, color="dimgrey", va="top", wrap=True)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def plot_hits_curve(report: EvalReport, path: Path) -> Path:
    plt = _pyplot()
    values = [report.aggregates.get(f"hits@{k}") for k in HITS_KS]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(list(HITS_KS), [v if v is not None else float("nan") for v in values], marker="o")
    ax.axvline(report.config.get("top_k", 4), color="grey", linestyle=":", label="top_k")
    ax.set(
        xlabel="k (documents)",
        ylabel="Hits@k",
        ylim=(0, 1.02),
        xticks=list(HITS_KS),
        title=f"Hits@k over {report.aggregates.get('n_answerable', '?')} questions with gold sources",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_latency(report: EvalReport, path: Path) -> Path:
    plt = _pyplot()
    series = {name: [r.timings[name] for r in report.rows if r.timings.get(name) is not None] for name in LATENCIES}
    series = {name: values for name, values in series.items() if values}
    fig, ax = plt.subplots(figsize=(6, 4))
    if series:
        ax.boxplot(list(series.values()), showmeans=True)
        ax.set_xticks(range(1, len(series) + 1), list(series))
    ax.set(ylabel="seconds", title="Latency per question")
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def plot_by_type(report: EvalReport, path: Path) -> Path:
    plt = _pyplot()
    types = list(report.by_type)
    metrics = ["hits@4"] + ([] if report.config.get("retrieval_only") else ["accuracy"])
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(types) + 2), 4))
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [report.by_type[t].get(metric) for t in types]
        xs = [x + i * width for x in range(len(types))]
        shown = [(x, v) for x, v in zip(xs, values) if v is not None]
        ax.bar([x for x, _ in shown], [v for _, v in shown], width, label=metric)
        for x, v in zip(xs, values):
            if v is None:  # not computable for this type (no gold sources, or retrieval only): no bar
                ax.text(x, 0.02, "n/a", ha="center", fontsize=7, color="dimgrey")
    ax.set_xticks(
        [x + width * (len(metrics) - 1) / 2 for x in range(len(types))],
        [f"{t}\n(n={report.by_type[t]['n']})" for t in types],
        fontsize=8,
    )
    ax.set(ylim=(0, 1.02), ylabel="share", title="By question type")
    ax.legend(loc="upper right")
    return _save(fig, path)


def plot_refusal_tradeoff(report: EvalReport, path: Path) -> Path:
    """Refusal precision and recall of the gate as its relevance bar varies (names check on/off)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    nan = float("nan")
    missing = left_out(report)
    for names, style in ((True, "-"), (False, "--")):
        points = [p for p in report.tradeoff if p["names_check"] is names]
        xs = [p["threshold"] for p in points]
        label = "gate" + (" + names/figures check" if names else ", relevance bar only")
        for key, color in (("recall", "tab:blue"), ("precision", "tab:green"), ("false_refusal_rate", "tab:red")):
            if key in missing:
                continue
            ys = [p[key] if p[key] is not None else nan for p in points]
            ax.plot(xs, ys, style, color=color, label=f"{key.replace('_', ' ')} ({label})")
    bar = report.config.get("min_relevance")
    if bar is not None:
        ax.axvline(bar, color="grey", linestyle=":", label=f"operating point ({bar})")
    final = report.aggregates
    if final.get("refusal_recall") is not None:
        ax.scatter(
            [bar],
            [final["refusal_recall"]],
            color="tab:blue",
            marker="*",
            s=120,
            zorder=3,
            label="whole pipeline: refusal recall",
        )
    if final.get("false_refusal_rate") is not None:
        ax.scatter(
            [bar],
            [final["false_refusal_rate"]],
            color="tab:red",
            marker="*",
            s=120,
            zorder=3,
            label="whole pipeline: false refusals",
        )
    ax.set(
        xlabel="relevance bar (cosine similarity)",
        ylabel="share",
        ylim=(-0.02, 1.02),
        title="Refusal trade-off of the gate before generation",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="center right")
    _note(ax, missing)
    return _save(fig, path)
