"""The matplotlib drawing of the cost-curve figure's panels: the curves of one problem
(`draw_curves`), the N-ranges where a quantum scheme is cheaper (`shade`), the crossovers
(`mark_crossovers`), the operating points (`mark_operating_points`), the quantum / best naive
classical ratio (`draw_ratios`) and the legend (`legend_handles`). Each function draws on the axes
it is given from the data of [`qdist.reports.plots.series`][qdist.reports.plots.series] and the
styles of [`qdist.reports.plots.style`][qdist.reports.plots.style].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from qdist.reports.plots.series import Curve, ratio
from qdist.reports.plots.style import Style

SHADE_ALPHA = 0.11


def log2_label(N: float) -> str:
    """``N ≈ 2^k`` (mathtext), with the exact N too while it is short."""
    k = math.log2(N)
    exact = f"= {int(N)} " if N < 10**5 else ""
    return rf"$N {exact}\approx 2^{{{k:.1f}}}$"


def set_log_axes(ax, x_max: float) -> None:
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlim(2, x_max)
    ax.grid(True, which="major", alpha=0.3)


def draw_curves(ax, cs: Mapping[str, Curve], st: Mapping[str, Style], scale: float = 1.0) -> None:
    """Closed forms as lines (a worst-case bound as a band, filled down to the measured-copies
    model when there is one) and simulated points as open markers of the scheme's colour."""
    for name, c in cs.items():
        s = st[name]
        if c.N:
            ax.plot(c.N, c.y, label=s.label, **s.line_kw(scale))
        if c.sim_N:  # labelled only when the scheme has no line
            ax.plot(
                c.sim_N,
                c.sim_y,
                ls="none",
                marker="o",
                mfc="none",
                mec=s.color,
                mew=1.3,
                ms=6 * scale,
                zorder=6,
                label=None if c.N else s.label,
            )
    if "tomography" in cs and "tomography-model" in cs:
        lo, hi = cs["tomography-model"], cs["tomography"]
        common = sorted(set(lo.N) & set(hi.N))
        ylo, yhi = dict(zip(lo.N, lo.y, strict=True)), dict(zip(hi.N, hi.y, strict=True))
        ax.fill_between(
            common,
            [ylo[n] for n in common],
            [yhi[n] for n in common],
            color=st["tomography"].color,
            alpha=0.12,
            lw=0,
            zorder=1,
        )


def shade(ax, spans: Sequence[tuple[float, float, str]], strips: bool = False) -> None:
    """Light vertical fills over [N_from, N_to] in each given colour (``strips``: one thin strip
    per span along the bottom of the axes instead, so that overlapping ranges stay readable)."""
    for i, (lo, hi, colour) in enumerate(spans):
        if strips:
            ax.axvspan(lo, hi, ymin=0.045 * i, ymax=0.045 * (i + 1), color=colour, alpha=0.55, lw=0, zorder=1)
        else:
            ax.axvspan(lo, hi, color=colour, alpha=SHADE_ALPHA, lw=0, zorder=0)


def mark_crossovers(
    ax, points: Sequence[tuple[int, float, str]], x_max: float, text: bool = True, text_from: float = 0
) -> None:
    """A star at each crossover (N, communication, colour) inside the window, with ``N ≈ 2^k``
    (``text``: large, with the label; else small, labelled only beyond ``text_from``)."""
    for i, (N, y, colour) in enumerate(points):
        if N > x_max:
            continue
        ax.plot([N], [y], "*", color=colour, mec="black", mew=0.7, ms=15 if text else 10, zorder=8)
        if not text and N > text_from:
            _small_label(ax, log2_label(N), N, y, colour, -1)
        if text:
            ax.annotate(
                log2_label(N),
                (N, y),
                xytext=(0, -20 - 12 * i),
                textcoords="offset points",
                ha="center",
                color=colour,
                fontsize=9,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                zorder=9,
            )


def _small_label(ax, text: str, N: float, y: float, colour: str, side: int) -> None:
    ax.annotate(
        text,
        (N, y),
        xytext=(0, 9 * side),
        textcoords="offset points",
        ha="center",
        va="bottom" if side > 0 else "top",
        color=colour,
        fontsize=7.5,
        zorder=9,
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
    )


def mark_below_bound(
    ax, points: Sequence[tuple[int, float, str]], x_max: float, text: bool = True, text_from: float = 0
) -> None:
    """A hexagon where a quantum scheme drops below a classical lower bound (N, cost, colour)."""
    for i, (N, y, colour) in enumerate(points):
        if N > x_max:
            continue
        ax.plot([N], [y], "h", color=colour, mec="black", mew=0.9, ms=12 if text else 8, zorder=8)
        if not text and N > text_from:
            _small_label(ax, "below the lower bound, " + log2_label(N), N, y, colour, 1)
        if text:
            ax.annotate(
                "below the lower bound\n" + log2_label(N),
                (N, y),
                xytext=(0, 14 + 12 * i),
                textcoords="offset points",
                ha="center",
                color=colour,
                fontsize=8.5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                zorder=9,
            )


def mark_operating_points(
    ax, points: Sequence[Mapping], st: Mapping[str, Style], x_max: float, text: bool = True
) -> None:
    """A filled marker and (``text``) a label at each operating point inside the window."""
    for i, p in enumerate(points):
        if p["N"] > x_max:
            continue
        colour = st[p["scheme"]].color if p.get("scheme") in st else "black"
        ax.plot(
            [p["N"]],
            [p["communication"]],
            "o",
            color=colour,
            mec="black",
            mew=1.0,
            ms=9 if text else 6,
            zorder=9,
        )
        if not text:
            continue
        ax.annotate(
            p["label"],
            (p["N"], p["communication"]),
            xytext=(-10, 14 + 12 * i),
            textcoords="offset points",
            ha="right",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "alpha": 0.9},
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.8},
            zorder=9,
        )


def draw_ratios(
    ax,
    cs: Mapping[str, Curve],
    st: Mapping[str, Style],
    best: Mapping[int, float],
    focus: Sequence[str],
    x_max: float,
    crossings: Mapping[str, int] | None = None,
) -> None:
    """Each quantum scheme's cost ÷ the best naive classical cost (log y), a line at 1 labelled
    break-even with a star at each crossover; the y range covers the ``focus`` schemes in the
    window and the line at 1. (The lines join the sweep's N; a crossover is exact.)"""
    from matplotlib.transforms import blended_transform_factory

    shown = []
    for name, c in cs.items():
        if c.kind != "quantum":
            continue
        N, r = ratio(c, best)
        if N:
            ax.plot(N, r, **st[name].line_kw())
            if name in focus:
                shown += [v for n, v in zip(N, r, strict=True) if n <= x_max]
    ax.axhline(1.0, color="black", lw=1.1, zorder=4)
    for name, N in (crossings or {}).items():
        if N <= x_max:
            ax.plot([N], [1.0], "*", color=st[name].color, mec="black", mew=0.7, ms=11, zorder=8)
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(0.01, 1.0, "break-even", transform=tr, va="bottom", ha="left", fontsize=8.5, zorder=9)
    ax.set_yscale("log")
    if shown:
        lo, hi = min(shown + [1.0]), max(shown + [1.0])
        ax.set_ylim(max(lo / 3, 1e-8), min(hi * 3, 1e8))


def legend_handles(ax, extra: Sequence[tuple[str, dict]]) -> tuple[list, list]:
    """The schemes' lines of ``ax`` plus ``extra`` entries: (label, {"patch": colour} or Line2D
    keywords)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    for label, kw in extra:
        if "patch" in kw:
            handles.append(Patch(color=kw["patch"], alpha=SHADE_ALPHA * 2.5, lw=0))
        else:
            handles.append(Line2D([], [], **kw))
        labels.append(label)
    return handles, labels
