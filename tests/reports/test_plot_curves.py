"""The cost-curve figure (``curves.png``) on rows built from the real closed forms, as
``run_curves`` builds them (``schemes_for`` + ``crossovers``, N = 2 … 2³⁰): the PNG decodes to the
documented size, the zoom window follows the crossovers, and the figure copes with no finite
crossover, a lower-bound scheme, a tomography model, simulated points for some schemes only, a scheme
with simulated points only, and operating points (drawn, and checked)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from matplotlib.image import imread

from qdist.reports.crossovers import crossovers
from qdist.reports.plot_curves import _plot, figure, figure_pixels
from qdist.reports.plots import series, style
from qdist.reports.schemes import schemes_for

CFG = {
    "epsilon": 0.1,
    "delta": 0.05,
    "layers": 3,  # the interleaved wide model: no cheap classical protocol applies
    "parties": 2,
    "schedule": "interleaved",
    "model": "diag",
    "bits": 32,
    "margin": "sqrtN",
    "steps": 10,
    "batch": 1,
}
GRID = [2**k for k in range(1, 31)]


def _row(task, name, problem, kind, N, comm, source="formula"):
    return {
        "task": task,
        "problem": problem,
        "scheme": name,
        "kind": kind,
        "N": N,
        "n": max(1, (N - 1).bit_length()),
        "communication": comm,
        "source": source,
    }


def _sweep(task):
    schemes = schemes_for(task, CFG)
    rows = [_row(task, s.name, s.problem, s.kind, N, s.cost(N).communication) for N in GRID for s in schemes]
    return schemes, rows, crossovers(schemes, GRID)


@pytest.fixture(scope="module")
def inference():
    return _sweep("inference")


@pytest.fixture(scope="module")
def gradient():
    return _sweep("gradient")


def _decode(png: bytes) -> np.ndarray:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(io.BytesIO(png))


def _legend(fig, column=0) -> list[str]:
    return [t.get_text() for t in fig.axes[4 * column + 3].get_legend().get_texts()]


def test_gradient_png_decodes_at_its_size_and_zooms_to_four_times_the_crossover(gradient):
    schemes, rows, cross = gradient
    shadow = cross["shadow"]["vs_best_classical"]
    assert shadow is not None and shadow < 2**20  # the premise: the shadow gradient crosses
    img = _decode(_plot("gradient", rows, cross, CFG, "ε = 0.1"))
    w, h = figure_pixels(1)
    assert img.shape[:2] == (h, w) and img.shape[2] in (3, 4)
    assert img[..., :3].std() > 0.05  # not a blank canvas
    cs = series.curves(rows, "model")
    assert series.zoom_max(cs, cross) == 4 * shadow
    # up to 2^60 tomography's worst-case bound crosses too (~2^42): it does not set the window
    grid60 = [2**k for k in range(1, 61)]
    cross60 = crossovers(schemes, grid60)
    assert cross60["tomography"]["vs_best_classical"] > 4 * shadow
    rows60 = [
        _row("gradient", s.name, s.problem, s.kind, N, s.cost(N).communication)
        for N in grid60
        for s in schemes
    ]
    assert series.zoom_max(series.curves(rows60, "model"), cross60) == 4 * shadow
    only_tomo = {"tomography": cross60["tomography"]}  # the only finite one: then it counts
    assert (
        series.zoom_max(series.curves(rows60, "model"), only_tomo)
        == 4 * cross60["tomography"]["vs_best_classical"]
    )
    fig = figure("gradient", rows, cross, CFG, "")
    main, ratio_ax, full = fig.axes[:3]
    assert main.get_xlim() == pytest.approx((2, 4 * shadow))
    assert full.get_xlim() == pytest.approx((2, 2**30))
    assert ratio_ax.get_yscale() == "log" and any(t.get_text() == "break-even" for t in ratio_ax.texts)
    # the ratio lines are cost / best naive classical cost, from the closed forms themselves
    sh = next(s for s in schemes if s.name == "shadow")
    classical = [s for s in schemes if s.kind == "classical"]
    want = [sh.cost(N).communication / min(c.cost(N).communication for c in classical) for N in GRID]
    colour = style.styles({n: c.kind for n, c in cs.items()})["shadow"].color
    got = next(ln for ln in ratio_ax.get_lines() if ln.get_color() == colour and len(ln.get_xdata()) > 1)
    assert np.allclose(got.get_ydata(), want, rtol=1e-12)
    labels = _legend(fig)
    assert "layer shadows (quantum)" in labels and "parameter shift (quantum)" in labels
    assert "ship the data (naive classical, upper bound)" in labels
    assert "shadow tomography (quantum, worst-case bound)" in labels
    assert "quantum cheaper (layer shadows)" in labels
    assert "simulated protocol (exact ledger)" not in labels  # no simulated rows, no entry
    assert main.get_title() == "Gradient of the compositional model: communication per gradient"


def test_inference_has_two_columns_and_the_linear_problem_no_finite_crossover(inference):
    schemes, rows, cross = inference
    assert cross["linear-quantum"]["vs_best_classical"] is None
    # amplitude estimation crosses (quadratic advantage): it sets the linear window …
    ae = cross["linear-amplitude-estimation"]["vs_best_classical"]
    assert ae is not None and series.zoom_max(series.curves(rows, "linear"), cross) == 4 * ae
    # … without it the linear problem has no finite crossover
    AE = "linear-amplitude-estimation"
    schemes = [s for s in schemes if s.name != AE]
    rows = [r for r in rows if r["scheme"] != AE]
    cross = {k: v for k, v in cross.items() if k != AE}
    img = _decode(_plot("inference", rows, cross, CFG, ""))
    w, h = figure_pixels(2)
    assert img.shape[:2] == (h, w)
    # no crossover: the window ends where the quantum / classical ratio is smallest, at least 2^20
    lq = next(s for s in schemes if s.name == "linear-quantum")
    cl = [s for s in schemes if s.problem == "linear" and s.kind == "classical"]
    r = {N: lq.cost(N).communication / min(c.cost(N).communication for c in cl) for N in GRID}
    n_best = min(r, key=r.get)
    assert series.zoom_max(series.curves(rows, "linear"), cross) == max(n_best, 2**20)
    fig = figure("inference", rows, cross, CFG, "")
    assert fig.axes[4].get_xlim() == pytest.approx((2, max(n_best, 2**20)))
    assert not any(t.startswith("quantum cheaper") for t in _legend(fig, 1))
    assert fig.axes[4].get_title().startswith("Linear classifier")
    assert "quantum protocol" in _legend(fig, 0)


def test_lower_bound_and_tomography_model_and_partial_simulated_points(gradient):
    _, rows, cross = gradient
    extra = [_row("gradient", "lower-bound", "model", "lower-bound", N, math.sqrt(N)) for N in GRID]
    tomo = {r["N"]: r["communication"] for r in rows if r["scheme"] == "tomography"}
    extra += [_row("gradient", "tomography-model", "model", "quantum", N, tomo[N] / 100) for N in GRID]
    sim = [
        {**r, "source": "simulated"}
        for r in rows
        if r["scheme"] in ("shadow", "pipeline") and r["N"] <= 8  # the other schemes: no points
    ]
    sim += [_row("gradient", "sim-only", "model", "quantum", 4, 1e4, "simulated")]  # no closed form
    all_rows = rows + extra + sim
    img = _decode(_plot("gradient", all_rows, cross, CFG, ""))
    assert img.shape[:2] == figure_pixels(1)[::-1]
    fig = figure("gradient", all_rows, cross, CFG, "")
    labels = _legend(fig)
    assert labels.count("simulated protocol (exact ledger)") == 1
    assert "classical lower bound" in labels
    assert "shadow tomography (quantum, measured-copies model)" in labels
    assert "sim only (quantum)" in labels
    st = style.styles({r["scheme"]: r["kind"] for r in all_rows})
    assert labels.count("quantum below the classical lower bound from here on") == 0  # none given
    assert st["lower-bound"].color == "black" and st["lower-bound"].ls != "-"
    assert st["tomography"].band and not st["tomography-model"].band
    assert st["tomography"].color == st["tomography-model"].color
    # the simulated points are open markers in the colour of their scheme
    main = fig.axes[0]
    pts = [ln for ln in main.get_lines() if ln.get_linestyle() == "None" and ln.get_marker() == "o"]
    assert {ln.get_markeredgecolor() for ln in pts} >= {st["shadow"].color, st["pipeline"].color}
    assert all(ln.get_markerfacecolor() == "none" for ln in pts)


def test_operating_points_are_drawn_and_checked(gradient):
    _, rows, cross = gradient
    ops = [{"label": "trained (digits, 3 seeds)", "N": 64, "communication": 3.0e4, "scheme": "shadow"}]
    fig = figure("gradient", rows, cross, CFG, "", operating_points=ops)
    main = fig.axes[0]
    assert "trained (digits, 3 seeds)" in [t.get_text() for t in main.texts]
    filled = [
        ln for ln in main.get_lines() if list(ln.get_xdata()) == [64] and ln.get_markerfacecolor() != "none"
    ]
    assert filled and list(filled[0].get_ydata()) == [3.0e4]
    assert "operating point" in _legend(fig)
    assert _decode(_plot("gradient", rows, cross, CFG, "", ops)).shape[:2] == figure_pixels(1)[::-1]
    # an operating point beyond the crossover window widens it
    far = [{"label": "far", "N": 2**20, "communication": 1e6}]
    assert series.zoom_max(series.curves(rows, "model"), cross, [2**20]) == 2**21
    assert figure("gradient", rows, cross, CFG, "", far).axes[0].get_xlim()[1] == pytest.approx(2**21)
    bad = [
        (
            [{"label": "x", "N": 0, "communication": 1.0}],
            r"operating_points\[0\]\['N'\]: expected an integer ≥ 1",
        ),
        ([{"label": "x", "N": 4, "communication": -1}], r"\['communication'\]: expected a number > 0"),
        ([{"N": 4, "communication": 1.0}], r"\['label'\]: expected a string"),
        ([{"label": "x", "N": 4, "communication": 1.0, "scheme": "nope"}], r"\['scheme'\]: expected one of"),
        ({"label": "x"}, r"operating_points: expected a sequence of dicts"),
    ]
    for points, msg in bad:
        with pytest.raises(ValueError, match=msg):
            _plot("gradient", rows, cross, CFG, "", points)


def test_labels_and_titles_are_in_words():
    for task in ("inference", "gradient", "training"):
        for s in schemes_for(task, CFG):
            label = style.scheme_label(s.name, s.kind)
            assert "quantum (quantum)" not in label and ("-" not in s.name or s.name not in label), label
        for prob in ("model", "linear"):
            title = style.problem_title(task, prob, CFG)
            assert "—" not in title and "communication" in title
    assert style.scheme_label("ship-model", "classical") == "ship the model (naive classical, upper bound)"
    assert style.scheme_label("importance-sampling", "classical") == (
        "importance sampling (classical protocol, upper bound)"
    )
    assert style.scheme_label("gap-hamming", "lower-bound") == "gap hamming (classical lower bound)"
    assert style.problem_title("training", "model", CFG) == (
        "Training the compositional model: communication for T = 10 steps"
    )


def test_bad_rows_name_the_argument():
    with pytest.raises(ValueError, match="rows: expected at least one row"):
        _plot("gradient", [], {}, CFG, "")
    with pytest.raises(ValueError, match="rows: scheme 'x' has kind 'oracle'"):
        _plot("gradient", [_row("gradient", "x", "model", "oracle", 2, 1.0)], {}, CFG, "")


def test_the_n_below_a_lower_bound_is_marked(inference):
    schemes, rows, cross = inference
    # a lower bound of 2⌈√N⌉ bits: the quantum inference protocol (~4e4 qubits) drops below it by 2^30
    bound = lambda N: 2 * (math.isqrt(N - 1) + 1)  # noqa: E731
    q = next(s for s in schemes if s.name == "quantum")
    below = next(N for N in GRID if q.cost(N).communication < bound(N))
    rows = rows + [_row("inference", "hard", "model", "lower-bound", N, bound(N)) for N in GRID]
    cross = {k: dict(v) for k, v in cross.items()}
    cross["quantum"]["vs_lower_bound"] = {"hard": below}
    fig = figure("inference", rows, cross, CFG, "")
    assert "quantum below the classical lower bound from here on" in _legend(fig, 0)
    assert "hard (classical lower bound)" in _legend(fig, 0)
    full = fig.axes[2]
    hexes = [ln for ln in full.get_lines() if ln.get_marker() == "h"]
    assert [list(ln.get_xdata()) for ln in hexes] == [[below]]
    assert any("below the lower bound" in t.get_text() for t in full.texts)
