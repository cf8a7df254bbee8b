"""The figure of the cost curves (``curves.png``; [which kind of bound a classical curve is][classical-bounds]): per problem
a column of

1. the main panel, zoomed to where the curves cross — N = 2 … 4× the largest finite crossover
   (shadow tomography's worst-case bound counts only when no other scheme crosses; with no
   crossover, to the N of the smallest quantum / classical ratio, at least 2²⁰) — with the closed
   forms as lines, the simulated ledger points as open markers, the N-range where each quantum
   scheme with a finite crossover is cheaper than every classical upper bound shaded in its
   colour, the crossovers starred (``N ≈ 2^k``) and the operating points labelled;
2. the ratio of each quantum scheme to the best naive classical scheme (log y, break-even at 1);
3. the full range N = 2 … 2^{n_max}, with the zoom window's edge marked;
4. the legend, in words.

Quantum schemes are solid lines, classical protocols (upper bounds on the classical cost) dashed
with markers, a lower bound dotted black, shadow tomography's worst-case bound a faint band.
The data come from [`qdist.reports.plots.series`][qdist.reports.plots.series], the words and
styles from [`qdist.reports.plots.style`][qdist.reports.plots.style].
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

from qdist.reports.plots import panels, series, style

#: Figure size per problem column (inches) and resolution: the PNG is
#: (FIG_WIDTH · DPI · problems) × (FIG_HEIGHT · DPI) pixels.
FIG_WIDTH = 9.0
FIG_HEIGHT = 11.5
DPI = 100
HEIGHTS = (4.4, 1.8, 2.3, 1.4)  # main, ratio, full range, legend


def figure_pixels(n_problems: int) -> tuple[int, int]:
    """(width, height) in pixels of the figure for ``n_problems`` problem columns."""
    return round(FIG_WIDTH * DPI * n_problems), round(FIG_HEIGHT * DPI)


def _at(c: series.Curve, N: int) -> float:
    """The curve at N: its value at the first grid point ≥ N (the costs are steps in n = ⌈log₂ N⌉)."""
    return next((y for n, y in zip(c.N, c.y, strict=True) if n >= N), c.y[-1] if c.y else 1.0)


def _column(fig, gs, j: int, task: str, prob: str, cs: dict, cross: Mapping, cfg: Mapping, ops: list) -> None:
    st = style.styles({n: c.kind for n, c in cs.items()})
    best = series.best_classical(cs)
    fin = series.finite_crossovers(cross, cs)
    crossing = [n for n in fin if n not in series.WORST_CASE] or list(fin)
    x_zoom = series.zoom_max(cs, cross, [p["N"] for p in ops])
    x_full = max((n for c in cs.values() for n in c.N + c.sim_N), default=x_zoom)
    stars = [
        (N, float(cross[name].get("communication_at_crossover") or _at(cs[name], N)), st[name].color)
        for name, N in fin.items()
    ]
    spans = [(N, x_full, st[name].color) for name, N in fin.items()]
    below = [
        (N, _at(cs[name], N), st[name].color)
        for name, (_, N) in series.lower_bound_crossings(cross, cs).items()
    ]
    focus = [n for n, c in cs.items() if c.kind != "quantum" or n in crossing]
    if not fin:
        focus = list(cs)
    focus += [p["scheme"] for p in ops if p.get("scheme") in cs]

    ax = fig.add_subplot(gs[0, j])
    panels.shade(ax, spans)
    panels.draw_curves(ax, cs, st)
    panels.mark_crossovers(ax, stars, x_zoom)
    panels.mark_below_bound(ax, below, x_zoom)
    panels.mark_operating_points(ax, ops, st, x_zoom)
    panels.set_log_axes(ax, x_zoom)
    lo, hi = series.y_range(cs, focus, x_zoom)
    op_y = [p["communication"] for p in ops if p["N"] <= x_zoom]
    ax.set_ylim(min([lo] + [y / 3 for y in op_y]), max([hi] + [y * 3 for y in op_y]))
    if not fin:
        ax.text(
            0.98,
            0.03,
            rf"no crossover up to $N = 2^{{{math.log2(x_full):.0f}}}$: no quantum scheme is cheaper"
            "\nthan the best classical upper bound for every larger N",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.6"},
        )
    ax.set_title(style.problem_title(task, prob, cfg), fontsize=11)
    ax.set_ylabel("communication (qubits + bits)")
    ax.tick_params(labelbottom=False)

    axr = fig.add_subplot(gs[1, j], sharex=ax)
    panels.shade(axr, spans)
    ratio_focus = crossing or [n for n, c in cs.items() if c.kind == "quantum"]
    panels.draw_ratios(axr, cs, st, best, ratio_focus, x_zoom, fin)
    axr.set_xlim(2, x_zoom)
    axr.grid(True, which="major", alpha=0.3)
    axr.set_ylabel("quantum ÷ best\nclassical upper bound")
    axr.set_xlabel("N (input dimension)")

    axf = fig.add_subplot(gs[2, j])
    panels.shade(axf, spans, strips=True)
    panels.draw_curves(axf, cs, st, scale=0.75)
    panels.mark_crossovers(axf, stars, x_full, text=False, text_from=x_zoom)
    panels.mark_below_bound(axf, below, x_full, text=False, text_from=x_zoom)
    panels.mark_operating_points(axf, ops, st, x_full, text=False)
    panels.set_log_axes(axf, x_full)
    if x_zoom < x_full:
        axf.axvline(x_zoom, color="0.35", lw=1.0, ls=(0, (4, 2)), zorder=1)
        axf.annotate(
            "◀ zoomed above",
            (x_zoom, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color="0.3",
        )
    axf.set_title(rf"Full range, $N = 2 \ldots 2^{{{math.log2(x_full):.0f}}}$", fontsize=9.5)
    axf.set_xlabel("N (input dimension)")
    axf.set_ylabel("communication")

    extra = [(f"quantum cheaper ({style.words(name)})", {"patch": st[name].color}) for name in fin]
    if any(c.sim_N for c in cs.values()):
        extra.append(
            (
                "simulated protocol (exact ledger)",
                {"ls": "none", "marker": "o", "mfc": "none", "mec": "black", "mew": 1.3},
            )
        )
    if stars:
        extra.append(
            (
                "crossover: quantum cheaper from here on",
                {"ls": "none", "marker": "*", "color": "0.5", "mec": "black", "ms": 12},
            )
        )
    if below:
        extra.append(
            (
                "quantum below the classical lower bound from here on",
                {"ls": "none", "marker": "h", "color": "0.5", "mec": "black", "ms": 10},
            )
        )
    if ops:
        extra.append(
            ("operating point", {"ls": "none", "marker": "o", "color": "0.5", "mec": "black", "ms": 8})
        )
    handles, labels = panels.legend_handles(ax, extra)
    axl = fig.add_subplot(gs[3, j])
    axl.axis("off")
    axl.legend(
        handles,
        labels,
        loc="upper center",
        ncol=2,
        fontsize=8.5,
        frameon=False,
        handlelength=3.2,
        columnspacing=1.5,
    )


def figure(
    task: str,
    rows: Sequence[Mapping],
    cross: Mapping,
    cfg: Mapping,
    title_extra: str,
    operating_points: Sequence[Mapping] = (),
):
    """The matplotlib ``Figure`` of [`_plot`][qdist.reports.plot_curves._plot] (axes per problem
    column: main, ratio, full range, legend)."""
    from matplotlib.figure import Figure

    probs = series.problems(rows)
    if not probs:
        raise ValueError("rows: expected at least one row, got none")
    by_problem = {p: series.curves(rows, p) for p in probs}
    ops = series.check_operating_points(operating_points, by_problem)
    w, h = figure_pixels(len(probs))
    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, layout="constrained")
    gs = fig.add_gridspec(len(HEIGHTS), len(probs), height_ratios=HEIGHTS)
    for j, prob in enumerate(probs):
        mine = [p for p in ops if p["problem"] == prob]
        _column(fig, gs, j, task, prob, by_problem[prob], cross, cfg, mine)
    fig.suptitle(
        "Communication, quantum against classical protocols (lines: closed forms)\n" + title_extra,
        fontsize=10,
    )
    return fig


def _plot(
    task: str,
    rows: Sequence[Mapping],
    cross: Mapping,
    cfg: Mapping,
    title_extra: str,
    operating_points: Sequence[Mapping] = (),
) -> bytes:
    """``curves.png`` as PNG bytes, from the rows and crossovers of
    [`run_curves`][qdist.reports.curves.run_curves] (one configuration). ``operating_points``:
    dicts ``{"label", "N", "communication", "scheme" (optional), "problem" (optional)}``, each
    drawn as a filled marker with its label (e.g. the configuration a demo trained). The PNG is
    [`figure_pixels`][qdist.reports.plot_curves.figure_pixels] in size."""
    fig = figure(task, rows, cross, cfg, title_extra, operating_points)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
