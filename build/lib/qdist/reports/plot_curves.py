"""The plot of the cost curves (``curves.png``): log-log lines of the closed forms per problem, the
simulated points as markers, and the crossovers against the best classical scheme marked.
"""

from __future__ import annotations

import io
import math

# ------------------------------------------------------------------------------------------------
# plot
# ------------------------------------------------------------------------------------------------


def _label(name: str, kind: str) -> str:
    """Legend text in words: which protocol, and what kind of bound its curve is."""
    if kind == "classical":
        return f"{name} (naive classical protocol: upper bound)"
    if name == "tomography":
        return "shadow tomography (worst-case bound)"
    if name == "quantum":
        return "quantum protocol"
    return f"{name} (quantum)"


def _plot(task: str, rows: list[dict], cross: dict, cfg: dict, title_extra: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = [p for p in ("model", "linear") if any(r["problem"] == p for r in rows)]
    fig, axes = plt.subplots(1, len(problems), figsize=(7.5 * len(problems), 5.5), squeeze=False)
    for ax, prob in zip(axes[0], problems, strict=True):
        names = list(dict.fromkeys(r["scheme"] for r in rows if r["problem"] == prob))
        for i, name in enumerate(names):
            color = f"C{i}"
            f = [r for r in rows if r["scheme"] == name and r["problem"] == prob and r["source"] == "formula"]
            kind = f[0]["kind"]
            ax.plot(
                [r["N"] for r in f],
                [max(r["communication"], 1) for r in f],
                color=color,
                ls="-" if kind == "quantum" else "--",
                label=_label(name, kind),
            )
            sim = [
                r for r in rows if r["scheme"] == name and r["problem"] == prob and r["source"] == "simulated"
            ]
            if sim:
                ax.plot(
                    [r["N"] for r in sim],
                    [max(r["communication"], 1) for r in sim],
                    "o",
                    color=color,
                    mfc="none",
                    ms=6,
                )
            c = cross.get(name, {}).get("vs_best_classical") if kind == "quantum" else None
            if c is not None:
                ax.axvline(c, color=color, ls=":", lw=1)
                y = cross[name].get("communication_at_crossover") or 1
                ax.plot([c], [y], "*", color=color, ms=12)
                ax.annotate(
                    f"N={c}" if c < 2**20 else f"N≈2^{math.log2(c):.1f}",
                    (c, y),
                    color=color,
                    fontsize=8,
                    rotation=90,
                    va="bottom",
                )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("N (input dimension)")
        ax.set_ylabel("communication: qubits + bits")
        ax.set_title(
            f"{task} — {prob}" + (" (margin " + str(cfg["margin"]) + ")" if prob == "linear" else "")
        )
        ax.grid(True, which="major", alpha=0.3)
        ax.plot([], [], "ko", mfc="none", label="simulated (ledger)")
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(title_extra, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
