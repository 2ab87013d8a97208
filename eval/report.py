"""The evaluation report as Markdown tables, JSON and a reliability plot (PNG)."""

import json
from pathlib import Path

RETRIEVAL_METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def retrieval_table(report: dict) -> list[str]:
    rows = [[mode] + [f"{scores[m]:.3f}" for m in RETRIEVAL_METRICS] for mode, scores in report["retrieval"].items()]
    return _table(["retrieval"] + list(RETRIEVAL_METRICS), rows)


def to_markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        f"# kefu eval — {meta['split']} split",
        "",
        f"{meta['date']} · {meta['machine']} · index {meta['index_version']} · model {meta['model']} · fusion {meta['fusion']}",
        f"{meta['questions']} questions ({meta['answerable']} answerable, {meta['unanswerable']} not) · "
        f"thresholds: answer ≥ {meta['answer_threshold']}, suggest ≥ {meta['suggest_threshold']}",
        "",
        "## Retrieval (answerable questions)",
        "",
        *retrieval_table(report),
        "",
        "## Answers",
        "",
        *_table(["measure", "share"], [[k.replace("_", " "), f"{v:.3f}"] for k, v in report["answers"].items()]),
        "",
        "## Handoff (positive = an unanswerable question handed to a person)",
        "",
        *_table(["precision", "recall", "F1", "false-handoff rate"], [[f"{report['handoff'][k]:.3f}" for k in ("precision", "recall", "f1", "false_handoff_rate")]]),
        "",
        "### Threshold sweep",
        "",
        *_table(
            ["answer threshold", "precision", "recall", "F1", "false handoffs", "answered", "answer precision"],
            [[f"{r['threshold']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['false_handoff_rate']:.3f}", str(r["answered"]), f"{r['answer_precision']:.3f}"] for r in report["sweep"]],
        ),
        "",
        f"## Calibration (expected calibration error {report['ece']:.3f})",
        "",
        *_table(["confidence", "questions", "mean confidence", "accuracy"], [[r["bin"], str(r["count"]), f"{r['mean_confidence']:.3f}", f"{r['accuracy']:.3f}"] for r in report["reliability"]]),
        "",
        f"Latency per question (retrieval + decision + composition, in-process): p50 {report['latency_ms']['p50']:.1f} ms, p95 {report['latency_ms']['p95']:.1f} ms",
        "",
    ]
    return "\n".join(lines)


def plot_reliability(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here or in CI
    import matplotlib.pyplot as plt

    table = report["reliability"]
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axis.plot([r["mean_confidence"] for r in table], [r["accuracy"] for r in table], marker="o", label="kefu")
    axis.set_xlabel("confidence")
    axis.set_ylabel("accuracy (top passage correct)")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_title(f"Reliability, {report['meta']['split']} split (ECE {report['ece']:.3f})")
    axis.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.md", folder / "reliability.png"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    paths[1].write_text(to_markdown(report), encoding="utf-8")
    plot_reliability(report, paths[2])
    return paths
