"""The figure of test accuracy against link noise (``accuracy_vs_noise.png``,
[link models][link-models]): one line per trained quantum model, test accuracy against the strength
p of the channel every link applies to every qubit, with the mean |f̃| of the readouts on a second
axis (what the noise does to the values the head sees). Data: the dictionaries of
[`accuracy_vs_noise`][qdist.learn.noise_sweep.accuracy_vs_noise].
"""

from __future__ import annotations

import io
from collections.abc import Mapping

__all__ = ["plot_accuracy_vs_noise"]


def plot_accuracy_vs_noise(sweeps: Mapping[str, Mapping], title: str = "") -> bytes:
    """PNG bytes: test accuracy (solid, left axis) and mean |f̃_c| (dotted, right axis) against the
    noise strength, one colour per model ``name → sweep``."""
    if not sweeps:
        raise ValueError("sweeps: expected at least one model's sweep")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax2 = ax.twinx()
    kinds = set()
    for i, (name, sw) in enumerate(sweeps.items()):
        colour = f"C{i}"
        kinds.add(sw["kind"])
        ax.plot(
            sw["strengths"], sw["test_accuracy"], marker="o", color=colour, label=f"{name}: test accuracy"
        )
        ax2.plot(
            sw["strengths"],
            sw["mean_abs_readout"],
            ls=":",
            marker=".",
            color=colour,
            label=f"{name}: mean |f̃|",
        )
    kind = " / ".join(sorted(kinds))
    ax.set(
        xlabel=f"{kind} strength p on every qubit at every hop",
        ylabel="test accuracy (noisy readouts, exact expectations)",
        ylim=(0.0, 1.02),
        title=title or "test accuracy against link noise (trained on ideal links)",
    )
    ax2.set_ylabel("mean |f̃_c| of the test readouts")
    ax2.set_ylim(bottom=0.0)
    ax.grid(alpha=0.3)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
