"""Words and line styles of the cost-curve figure: a legend label per scheme that says which protocol
it is and what kind of bound its curve is, a title per (task, problem), and a `Style` per scheme —
quantum solid, classical protocols dashed with a marker (a distinct colour, dash pattern and marker
each), a lower bound dotted black, shadow tomography's worst-case bound a wide faint band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# ------------------------------------------------------------------------------------------------
# words
# ------------------------------------------------------------------------------------------------

WORDS = {
    "quantum": "quantum protocol",
    "param-shift": "parameter shift",
    "shadow": "layer shadows",
    "tomography": "shadow tomography",
    "tomography-model": "shadow tomography",
    "pipeline": "pipeline",
    "ship-data": "ship the data",
    "ship-model": "ship the model",
    "ship-model-once": "ship the model once",
    "linear-quantum": "quantum inner-product test",
    "linear-ship-data": "ship the data",
    "linear-ship-model": "ship the model",
    "linear-sketch": "shared random sketch",
    "importance-sampling": "importance sampling",
    "lower-bound-hard-family": "classical lower bound, hard family (a scaling, constant 1)",
}
#: The naive classical protocols (the rest of kind ``classical`` are cleverer protocols, still
#: upper bounds on the classical cost).
NAIVE = ("pipeline", "ship-data", "ship-model", "ship-model-once", "linear-ship-data", "linear-ship-model")


def words(name: str) -> str:
    """A scheme's name in words (``ship-data`` → ``ship the data``; unknown: dashes → spaces)."""
    return WORDS.get(name) or name.removeprefix("linear-").replace("-", " ")


def scheme_label(name: str, kind: str) -> str:
    """Legend text: the protocol in words and, in parentheses, what kind of curve it is."""
    w = words(name)
    if name == "tomography":
        return "shadow tomography (quantum, worst-case bound)"
    if name == "tomography-model":
        return "shadow tomography (quantum, measured-copies model)"
    if kind == "quantum":
        return w if "quantum" in w else f"{w} (quantum)"
    if kind == "classical":
        return f"{w} ({'naive classical' if name in NAIVE else 'classical protocol'}, upper bound)"
    if "lower bound" in w:
        return w if "classical" in w else f"classical {w}"
    return f"{w} (classical lower bound)"


def _margin(cfg: Mapping) -> str:
    m = cfg.get("margin", "sqrtN")
    return "γ = 1/√N (worst case)" if m in (None, "sqrtN") else f"γ = {m}"


def problem_title(task: str, problem: str, cfg: Mapping) -> str:
    """The title of one problem's panel, in words."""
    if problem == "linear":
        return f"Linear classifier sign⟨w, x⟩ at margin {_margin(cfg)}: communication per prediction"
    what = "the compositional model" if problem == "model" else f"the {problem} problem"
    if task == "inference":
        return f"Inference with {what}: communication per prediction"
    if task == "gradient":
        return f"Gradient of {what}: communication per gradient"
    if task == "training":
        steps, batch = cfg.get("steps"), cfg.get("batch")
        per = f"T = {steps} steps" + (f", batch {batch}" if batch not in (None, 1) else "")
        return f"Training {what}: communication for {per}"
    return f"{task} of {what}: communication"


# ------------------------------------------------------------------------------------------------
# line styles
# ------------------------------------------------------------------------------------------------

QUANTUM_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#17becf", "#637939")
CLASSICAL_COLOURS = ("#d62728", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79")
CLASSICAL_DASHES = (
    (0, (6, 3)),
    (0, (7, 2, 1.5, 2)),
    (0, (3, 1.5)),
    (0, (8, 2, 1.5, 2, 1.5, 2)),
    (0, (11, 3)),
    (0, (4, 1, 1, 1)),
)
CLASSICAL_MARKERS = ("s", "^", "D", "v", "P", "X")


@dataclass(frozen=True)
class Style:
    """How one scheme is drawn: matplotlib line keywords and its legend label."""

    label: str
    color: str
    ls: object = "-"
    lw: float = 2.0
    alpha: float = 1.0
    marker: str | None = None
    zorder: float = 3.0
    band: bool = False  # a worst-case bound: a wide faint line

    def line_kw(self, scale: float = 1.0) -> dict:
        kw = {
            "color": self.color,
            "ls": self.ls,
            "lw": self.lw * scale,
            "alpha": self.alpha,
            "zorder": self.zorder,
            "solid_capstyle": "butt",
        }
        if self.marker and scale >= 1:
            kw.update(marker=self.marker, markevery=0.1, ms=5.5, mec=self.color)
        return kw


def styles(kinds: Mapping[str, str]) -> dict[str, Style]:
    """A `Style` per scheme (``{name: kind}``, in drawing order); ``tomography-model``, when
    present, takes ``tomography``'s colour, and ``tomography`` becomes its band."""
    out: dict[str, Style] = {}
    nq = nc = 0
    tomo_colour = None
    for name, kind in kinds.items():
        label = scheme_label(name, kind)
        if kind == "lower-bound":
            out[name] = Style(label, "black", ls=(0, (1, 1.4)), lw=2.2, zorder=4)
        elif kind == "classical":
            i = nc % len(CLASSICAL_COLOURS)
            out[name] = Style(
                label, CLASSICAL_COLOURS[i], CLASSICAL_DASHES[i], 1.7, marker=CLASSICAL_MARKERS[i]
            )
            nc += 1
        elif name in ("tomography", "tomography-model") and tomo_colour is not None:
            out[name] = Style(label, tomo_colour)
        else:
            colour = QUANTUM_COLOURS[nq % len(QUANTUM_COLOURS)]
            nq += 1
            if name in ("tomography", "tomography-model"):
                tomo_colour = colour
            out[name] = Style(label, colour, lw=2.2, zorder=5)
    if "tomography" in out:
        t = out["tomography"]
        out["tomography"] = Style(t.label, t.color, lw=6.0, alpha=0.28, zorder=2, band=True)
    if "tomography-model" in out:
        t = out["tomography-model"]
        out["tomography-model"] = Style(t.label, t.color, lw=2.2, zorder=5)
    return out
