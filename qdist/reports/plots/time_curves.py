"""The figure of network time against N (``curves_time.png``, [the time model][link-models-time]):
one line per quantum scheme, its expected ``network_seconds`` (closed form) against N on log-log
axes, next to its communication (qubits + ebits + bits) on a second panel. Data: the formula rows
of [`run_curves`][qdist.reports.curves.run_curves] with ``--metric time``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

__all__ = ["plot_time_curves"]


def plot_time_curves(rows: Sequence[Mapping], title: str = "") -> bytes:
    """PNG bytes: for every quantum scheme of ``rows`` (formula rows with a ``network_seconds``),
    seconds against N (left) and communication against N (right)."""
    lines: dict[str, list[tuple[int, float, float]]] = {}
    for r in rows:
        if r["source"] == "formula" and r["kind"] == "quantum" and r.get("network_seconds") not in (None, ""):
            lines.setdefault(r["scheme"], []).append(
                (r["N"], float(r["network_seconds"]), r["communication"])
            )
    if not lines:
        raise ValueError("rows: expected formula rows of quantum schemes with network_seconds")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, axc) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    for i, (name, pts) in enumerate(sorted(lines.items())):
        pts.sort()
        N = [p[0] for p in pts]
        ax.plot(N, [p[1] for p in pts], color=f"C{i}", label=name)
        axc.plot(N, [p[2] for p in pts], color=f"C{i}", label=name)
    for a, label in ((ax, "network time (s, expected)"), (axc, "communication (qubits + ebits + bits)")):
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("N (features)")
        a.set_ylabel(label)
        a.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
