"""The evaluation report as Markdown tables, JSON and a reliability plot (PNG)."""

import json
from pathlib import Path

RETRIEVAL_METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def retrieval_table(report: dict) -> list[str]:
    """Each setting's R@1 / R@5 / MRR@10 for customers, agents and all."""
    header = ["setting"] + [f"{group} {m}" for group in ("customers", "agents", "all") for m in ("R@1", "R@5", "MRR@10")]
    rows = []
    for setting, by_group in report["retrieval"].items():
        cells = [f"{by_group[group][m]:.3f}" if group in by_group else "-" for group in ("customer", "agent", "all") for m in ("R@1", "R@5", "MRR@10")]
        rows.append([setting] + cells)
    return _table(header, rows)


def kb_table(report: dict) -> list[str]:
    """Per kb: R@1 / R@5 with and without the associated questions."""
    with_q, without_q = report["retrieval"]["in kb, fused, not re-ranked"], report["retrieval"]["in kb, no associated questions"]
    rows = [
        [group[3:], str(with_q[group]["n"]), f"{without_q[group]['R@1']:.3f}", f"{with_q[group]['R@1']:.3f}", f"{without_q[group]['R@5']:.3f}", f"{with_q[group]['R@5']:.3f}"]
        for group in with_q if group.startswith("kb:")
    ]
    return _table(["kb", "questions", "R@1 without", "R@1 with", "R@5 without", "R@5 with"], rows)


def answers_table(report: dict) -> list[str]:
    measures = ("answered_with_key_phrase", "answered_with_wrong_passage", "answerable_handed_off", "unanswerable_answered")
    rows = [[group] + [f"{report['answers'][group][m]:.3f}" for m in measures] for group in ("customer", "agent", "all") if group in report["answers"]]
    return _table(["asked by", "answered right", "answered wrong", "answerable handed off", "unanswerable answered"], rows)


def to_markdown(report: dict) -> str:
    meta = report["meta"]
    versions = ", ".join(f"{kb} {version}" for kb, version in meta["index_versions"].items())
    lines = [
        f"# kefu eval — {meta['split']} split",
        "",
        f"{meta['date']} · {meta['machine']} · model {meta['model']} · fusion {meta['fusion']}",
        f"indexes: {versions}",
        f"{meta['questions']} questions ({meta['answerable']} answerable, {meta['unanswerable']} not) · "
        "thresholds: answer ≥ " + ", ".join(f"{p} {t}" for p, t in meta["answer_threshold"].items()) + f"; suggest ≥ {meta['suggest_threshold']}",
        "",
        "## Retrieval (answerable questions, each asked in its kb unless the setting says otherwise)",
        "",
        *retrieval_table(report),
        "",
        "### Per knowledge base, without and with the associated questions",
        "",
        *kb_table(report),
        "",
        "## Answers (asked in their kb)",
        "",
        *answers_table(report),
        "",
        f"Unanswerable questions asked with no kb (all kbs mixed) and answered: {report['unanswerable_answered_no_kb']:.3f}",
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
        "## The decision model (standardised weights: log-odds per standard deviation of each feature)",
        "",
        *_table(["feature", "weight"], [[name, f"{weight:+.3f}"] for name, weight in sorted(meta["decision"]["weights"].items(), key=lambda kv: -abs(kv[1]))]),
        "",
        f"Fitted {meta['decision']['fitted'].get('date', '?')} on the gold {meta['decision']['fitted'].get('split', '?')} half; "
        f"cross-validated AUC {meta['decision']['fitted'].get('cv_auc', '?')}.",
        "",
        f"## Calibration (expected calibration error {report['ece']:.3f}; confidence = the model's calibrated probability that the top passage answers)",
        "",
        *_table(["confidence", "questions", "mean confidence", "accuracy"], [[r["bin"], str(r["count"]), f"{r['mean_confidence']:.3f}", f"{r['accuracy']:.3f}"] for r in report["reliability"]]),
        "",
        f"A perfectly calibrated model would show an ECE of {report['ece_by_chance']['mean']:.3f} on these confidences from sampling alone "
        f"(95 % of draws under {report['ece_by_chance']['p95']:.3f}).",
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
