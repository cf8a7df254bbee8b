"""Training reports: ``report.json``, learning curves and accuracy against communication.

`write_training_report` writes, atomically (temp file + ``os.replace``), into ``out_dir``:

* ``report.json`` — ``{"format", "datasets", "models", "files", ...}``; ``models[name]`` has the
  summary fields ``test_accuracy``, ``train_accuracy``, ``qubits_sent``, ``classical_bits_sent``,
  ``ebits_sent``, ``transmissions`` (every quantum transmission attempt, lost ones included), ``gradient_copies``, ``wall_seconds`` (plus ``kind``, ``method``, ``task``, losses, messages,
  copies, ``num_params``) and the details: ``communication`` (total and per purpose),
  ``inference_per_sample``, ``model``, ``config``, per-epoch ``history`` (exact losses and
  accuracies, communication of the epoch and cumulative, wall time) and per-step ``steps``;
* ``learning_curves.png`` — per task: exact training loss and test accuracy against the epoch;
* ``accuracy_vs_communication.png`` — per task: test accuracy against the cumulative
  communication (qubits + classical bits, log scale) for the quantum and classical models; a model
  with no communication (the exact-gradient reference) is drawn as a dashed horizontal line.

Plots use matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

from qdist.learn.checkpoint import write_bytes

FORMAT = "qdist-training-report-v1"
SUMMARY_FIELDS = (
    "test_accuracy",
    "train_accuracy",
    "qubits_sent",
    "classical_bits_sent",
    "ebits_sent",
    "transmissions",
    "gradient_copies",
    "wall_seconds",
)


def _task_of(result) -> str:
    return getattr(result, "task", "") or "task"


def build_report(results: Sequence, datasets: dict | None = None, extra: dict | None = None) -> dict:
    """The report dictionary for a list of [`qdist.learn.train.TrainResult`][qdist.learn.TrainResult]."""
    models = {}
    for r in results:
        if r.name in models:
            raise ValueError(f"results: two models are named {r.name!r}")
        models[r.name] = {"task": _task_of(r), **r.to_dict()}
    return {"format": FORMAT, "datasets": dict(datasets or {}), "models": models, **(extra or {})}


def _style(name: str, kind: str) -> dict:
    if kind == "classical":
        return {"color": "tab:gray", "marker": "s"}
    palette = {"exact": "tab:blue", "shadow": "tab:orange", "param-shift": "tab:green", "spsa": "tab:red"}
    for key, color in palette.items():
        if key in name:
            return {"color": color, "marker": "o"}
    return {"color": "tab:purple", "marker": "^"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def plot_learning_curves(results: Sequence) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(_task_of(r) for r in results))
    fig, axes = plt.subplots(len(tasks), 2, figsize=(11, 3.6 * len(tasks)), squeeze=False)
    for row, task in enumerate(tasks):
        ax_l, ax_a = axes[row]
        for r in results:
            if _task_of(r) != task:
                continue
            hist = [h for h in r.history if h.get("epoch", 0) > 0]
            ep = [h["epoch"] for h in hist]
            st = _style(r.name, r.kind)
            ax_l.plot(ep, [h["train_loss"] for h in hist], label=r.name, color=st["color"])
            ax_a.plot(ep, [h["test_accuracy"] for h in hist], label=f"{r.name} (test)", color=st["color"])
            ax_a.plot(ep, [h["train_accuracy"] for h in hist], ls=":", color=st["color"], alpha=0.7)
        ax_l.set(xlabel="epoch", ylabel="training loss (exact)", title=f"{task}: loss")
        ax_a.set(xlabel="epoch", ylabel="accuracy", title=f"{task}: test (solid) / train (dotted)")
        ax_l.legend(fontsize=8)
        ax_a.legend(fontsize=8, loc="best")
        ax_l.grid(alpha=0.3)
        ax_a.grid(alpha=0.3)
    fig.tight_layout()
    data = _png(fig)
    plt.close(fig)
    return data


def plot_accuracy_vs_communication(results: Sequence) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(_task_of(r) for r in results))
    fig, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.4), squeeze=False)
    for col, task in enumerate(tasks):
        ax = axes[0][col]
        any_line = False
        for r in results:
            if _task_of(r) != task:
                continue
            hist = [h for h in r.history if h.get("epoch", 0) > 0]
            comm = [h["cumulative"]["qubits"] + h["cumulative"]["classical_bits"] for h in hist]
            acc = [h["test_accuracy"] for h in hist]
            st = _style(r.name, r.kind)
            what = "qubits + bits" if r.kind == "quantum" else "bits"
            if comm and comm[-1] > 0:
                ax.plot(comm, acc, marker=st["marker"], ms=3, color=st["color"], label=f"{r.name} ({what})")
                any_line = True
            elif acc:
                ax.axhline(
                    acc[-1],
                    ls="--",
                    color=st["color"],
                    label=f"{r.name}: {acc[-1]:.3f} (simulation-only, no communication)",
                )
        if any_line:
            ax.set_xscale("log")
        ax.set(
            xlabel="communication so far: qubits + classical bits (log)",
            ylabel="test accuracy",
            title=f"{task}: accuracy against communication",
        )
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    data = _png(fig)
    plt.close(fig)
    return data


def write_training_report(
    out_dir,
    results: Sequence,
    *,
    datasets: dict | None = None,
    extra: dict | None = None,
    plots: bool = True,
) -> dict:
    """Write report.json and the plots into ``out_dir``; returns the report (with ``files``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(results, datasets, extra)
    files = {"report": str(out / "report.json")}
    if plots and results:
        write_bytes(out / "learning_curves.png", plot_learning_curves(results))
        write_bytes(out / "accuracy_vs_communication.png", plot_accuracy_vs_communication(results))
        files["learning_curves"] = str(out / "learning_curves.png")
        files["accuracy_vs_communication"] = str(out / "accuracy_vs_communication.png")
    report["files"] = {**report.get("files", {}), **files}
    write_bytes(out / "report.json", (json.dumps(report, indent=2, default=_json_default) + "\n").encode())
    return report


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"report: cannot serialise {type(o).__name__}")


def format_table(results: Sequence) -> str:
    """A plain-text table: model, test/train accuracy, qubits, classical bits, gradient copies, time."""
    head = ("model", "task", "test acc", "train acc", "qubits", "classical bits", "grad copies", "wall s")
    rows = []
    for r in results:
        s = r.summary()
        rows.append(
            (
                r.name,
                _task_of(r),
                f"{s['test_accuracy']:.3f}",
                f"{s['train_accuracy']:.3f}",
                f"{s['qubits_sent']:.3e}" if s["qubits_sent"] else "0",
                f"{s['classical_bits_sent']:.3e}" if s["classical_bits_sent"] else "0",
                f"{s['gradient_copies']:.3e}" if s["gradient_copies"] else "0",
                f"{s['wall_seconds']:.1f}",
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells) -> str:
        return "  ".join(
            str(c).rjust(w) if i > 1 else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


__all__ = [
    "FORMAT",
    "SUMMARY_FIELDS",
    "build_report",
    "format_table",
    "plot_accuracy_vs_communication",
    "plot_learning_curves",
    "write_training_report",
]
