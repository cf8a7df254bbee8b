"""Closed-form communication costs of every protocol ([protocols and communication][protocols-and-communication]), exact on Python integers.

Nothing here builds a 2ⁿ array: the formulas take a [`ModelSpec`][qdist.network.model.ModelSpec] (pure
integers) and extend to N = 2⁶⁰ and beyond. The simulated ledgers of
[`qdist.network.protocols`][qdist.network.protocols] and [`qdist.network.classical`][qdist.network.classical] equal these formulas exactly;
the tests check it configuration by configuration.

Notation: n = ⌈log₂ N⌉ qubits, H = forward hops per copy (K − 1 for a pipeline, L − 1 interleaved),
P = parameters, P_k = parameters of party k, b = bits per float (32 by default, 64 as an option),
S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉ shots (Hoeffding for a ±1-valued mean; m simultaneous estimates use δ/m).

Quantum protocols (per sample):

* inference, ``classes`` = m readouts to ±ε each: S = S(ε, δ/m) copies, S·H·n qubits, S·H hop messages;
  if the last owner is not Alice and the result goes to Alice, one message of S·m bits back (one bit
  per shot and readout).
* gradient, parameter shift: 2P·S₂(ε, δ/P) copies, S₂ = ⌈ln(2/δ)/ε²⌉ (Hoeffding for the difference); each copy makes the H forward hops with n qubits;
  the last owner then sends every other party k its gradient block (P_k floats, b bits each).
* gradient, SPSA (biased baseline): 2·samples·S(ε, δ) copies, forward passes as parameter shift.
* gradient, layer shadows / shadow tomography (ancilla methods): the estimator runs once per segment
  s (the layers a party applies in one visit of the register), with δ_s = δ·P_s/P. Each of its
  copies carries the ancilla (n + 1 qubits) forward through all H hops, then back to the owner of
  segment s for the uncompute U_{>j}† (H − s hops): 2H − s hops. The owner measures and keeps its own
  derivatives: no classical message. Copies: layer shadows S(ε, δ/P) per commuting layer (exact);
  shadow tomography one threshold-search run per segment, a random number of copies bounded by
  `tomography_copies` — polylogarithmic in P_s, so it stays polylog(N) even when a party
  holds N parameters.
* gradient, exact: the adjoint sweep is a simulation-only reference — no communication at all.

Classical baselines on the classical counterpart of the model (N floats per activation, b bits each):

* pipeline: inference H·N·b (+ b bits of result to Alice); gradient 2·H·N·b (activations forward,
  activation gradients back) per sample.
* ship-the-data: the model site is Bob. Alice sends x (N·b) and her parameters (P_A·b), parties
  k ≥ 2 send theirs (P_k·b); inference returns b bits to Alice, a gradient step returns every party's
  gradient block (P − P_Bob)·b.
* ship-the-model: every party k ≥ 1 sends its parameters to Alice ((P − P_A)·b); a gradient step
  also returns their gradient blocks ((P − P_A)·b).

Training: T steps of SGD on the mean readout over a batch of B fresh samples: the per-sample parts
are paid T·B times, the per-step parts (parameters, gradient blocks) T times.

Physical links ([link models][link-models]): the quantum protocols' closed forms take ``links``
and gain the link terms of [`qdist.network.link_costs`][qdist.network.link_costs] — on a teleport
hop the qubits become ebits plus two classical bits each (and one more message per register), and
``transmissions`` is the expectation Σ k/(1 − p) under heralded loss (exactly qubits + ebits when no
link loses).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qdist.estimators.protocol import CopyShape
from qdist.estimators.sizing import shots_for as _shots_for
from qdist.gradients import BUILTIN, get_estimator
from qdist.network import link_costs
from qdist.network.links import IDEAL, Links, check_links
from qdist.network.model import ModelSpec
from qdist.validate import check_bits, check_count, check_delta, check_epsilon  # noqa: F401 (re-exported)
from shadows.tomography_estimator import run_bound

DEFAULT_BITS = 32
#: the built-in estimators (any registered estimator works too: `qdist.gradients.get_estimator`)
QUANTUM_GRADIENT_METHODS = tuple(BUILTIN)
#: built-in estimators whose copies carry an ancilla (one run per segment)
ANCILLA_METHODS = tuple(name for name, e in BUILTIN.items() if e.ancilla)
CLASSICAL_SCHEMES = ("pipeline", "ship-data", "ship-model")
TASKS = ("inference", "gradient", "training")


# ------------------------------------------------------------------------------------------------
# argument checks (one-line messages naming the argument)
# ------------------------------------------------------------------------------------------------


def shots_for(epsilon: float, delta: float) -> int:
    """S(ε, δ) = ⌈2 ln(2/δ)/ε²⌉ (`qdist.estimators.sizing.shots_for`, after this module's checks)."""
    return _shots_for(check_epsilon(epsilon), check_delta(delta))


# ------------------------------------------------------------------------------------------------
# totals
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostTotals:
    """Totals of a protocol: the same numbers as [`Ledger.totals`][qdist.network.ledger.Ledger.totals].

    ``transmissions`` defaults to ``qubits + ebits`` (no loss); under heralded loss the closed forms
    put its expectation here (a float), the ledgers the sampled count."""

    qubits: int = 0
    classical_bits: int = 0
    messages: int = 0
    copies: int = 0
    ebits: int = 0
    transmissions: int | float | None = None

    def __post_init__(self):
        if self.transmissions is None:
            object.__setattr__(self, "transmissions", self.qubits + self.ebits)

    def __add__(self, other: CostTotals) -> CostTotals:
        return CostTotals(
            self.qubits + other.qubits,
            self.classical_bits + other.classical_bits,
            self.messages + other.messages,
            self.copies + other.copies,
            self.ebits + other.ebits,
            self.transmissions + other.transmissions,
        )

    def scale(self, k: int) -> CostTotals:
        return CostTotals(
            self.qubits * k,
            self.classical_bits * k,
            self.messages * k,
            self.copies * k,
            self.ebits * k,
            self.transmissions * k,
        )

    @property
    def communication(self) -> int:
        """qubits + ebits + classical bits: the single number the curves compare (a qubit and a bit
        count the same; by Holevo a qubit carries at most one bit of accessible information; a
        teleported qubit costs its ebit and its two bits)."""
        return self.qubits + self.ebits + self.classical_bits

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def matches(totals: dict, formula: CostTotals) -> bool:
    """Whether a ledger's totals equal the closed form: every total exactly; ``transmissions``
    exactly when no link loses (the closed form's is then an int), otherwise it is a sampled count
    whose expectation the closed form gives (compared statistically in the tests)."""
    want = formula.to_dict()
    if not isinstance(formula.transmissions, int):
        want["transmissions"] = totals.get("transmissions")
    return totals == want


# ------------------------------------------------------------------------------------------------
# quantum protocols
# ------------------------------------------------------------------------------------------------


def _result_back(spec: ModelSpec, result_to: str) -> bool:
    if result_to not in ("alice", "last"):
        raise ValueError(f"result_to: expected 'alice' or 'last', got {result_to!r}")
    return result_to == "alice" and spec.last_owner != 0


def quantum_inference_cost(
    spec: ModelSpec, epsilon: float, delta: float, result_to: str = "alice", links: Links = IDEAL
) -> CostTotals:
    """S = S(ε, δ/m) copies through H hops of n qubits (+ S·m bits back to Alice), with the link
    terms of ``links`` (module docstring)."""
    m = spec.classes
    S = shots_for(epsilon, check_delta(delta) / m)
    back = _result_back(spec, result_to)
    H, n = spec.hops, spec.n
    ideal = CostTotals(S * H * n, S * m if back else 0, S * H + (1 if back else 0), S)
    links = check_links(links)
    if links.ideal:
        return ideal
    return link_costs.linked_totals(ideal, link_costs.inference_traffic(spec, S, back)[0], links)


def segment_deltas(spec: ModelSpec, delta: float) -> list[float]:
    """δ_s = δ·P_s/P: the failure budget of segment s (union bound over the parameters)."""
    P = spec.num_params
    return [delta * spec.segment_params(s) / P for s in range(len(spec.segments))]


def copy_shape(spec: ModelSpec, segment: int | None = None) -> CopyShape:
    """What an estimator's closed form needs: the whole gradient (``segment=None``) or one segment."""
    P = spec.num_params
    segs = range(len(spec.segments)) if segment is None else [segment]
    layers = sum(c for s in segs for _, c in gate_layers(spec, s))
    own = P if segment is None else spec.segment_params(segment)
    return CopyShape(num_params=own, total_params=P, layers=layers, num_qubits=spec.n)


def estimator_copies(spec: ModelSpec, method, epsilon: float, delta: float, samples: int = 1):
    """Closed-form copies of one gradient sample, asked of the estimator itself: an int (the
    forward-pass estimators) or one int per segment (the ancilla estimators, one run per segment)."""
    est = get_estimator(method)
    opts = {"samples": check_count(samples, "samples")} if "samples" in est.defaults else {}
    if est.ancilla:
        return [est.copies(copy_shape(spec, s), epsilon, delta, opts) for s in range(len(spec.segments))]
    return est.copies(copy_shape(spec), epsilon, delta, opts)


def param_shift_copies(spec: ModelSpec, epsilon: float, delta: float) -> tuple[int, int]:
    """``(shots per circuit, copies)`` = (S₂, 2P·S₂) with S₂ = ⌈ln(2P/δ)/ε²⌉ (Hoeffding for the
    difference of the two shifted means, `qdist.estimators.sizing.difference_shots_for`)."""
    S = get_estimator("param-shift").sized_options(copy_shape(spec), epsilon, check_delta(delta))["shots"]
    return S, estimator_copies(spec, "param-shift", epsilon, delta)


def gate_layers(spec: ModelSpec, segment: int) -> list[tuple[int, int]]:
    """``[(size, count), …]``: the commuting layers that `shadows.layers.find_layers` finds in
    segment s — per model layer an RY layer and an RZ layer of n rotations each, plus for a ``diag``
    layer ONE layer of its 2ⁿ − 1 Z-string rotations (they all commute; overlapping supports are
    allowed, [layers of commuting generators][layer-shadows-layers]). Counts, not lists: valid for
    n = 60."""
    owner, a, b = spec.segments[segment]
    n, ell = spec.n, b - a
    out = [(n, 2 * ell)]
    if spec.model == "diag" and owner != 0:
        out += [(2**n - 1, ell)]
    return [(size, count) for size, count in out if count]


def shadow_copies(spec: ModelSpec, epsilon: float, delta: float) -> list[int]:
    """Layer shadows, derandomised basis: S(ε, δ/P) copies per commuting layer give all P
    derivatives to ±ε w.p. ≥ 1 − δ (union bound); copies per segment = layers · S(ε, δ/P)."""
    return estimator_copies(spec, "shadow", check_epsilon(epsilon), check_delta(delta))


def tomography_run_bound(epsilon: float, delta: float, num_observables: int, dim: int) -> int:
    """Worst-case copies of one threshold-search run (`shadows.tomography_estimator.run_bound`)."""
    return run_bound(check_epsilon(epsilon), check_delta(delta), num_observables, dim)


def tomography_copies(spec: ModelSpec, epsilon: float, delta: float) -> list[int]:
    """Upper bound on the copies of shadow tomography per segment: ONE threshold-search run per
    segment s on copies of the (n+1)-qubit ancilla state, with the 2·P_s observables its owner
    measures locally, dimension 2ⁿ⁺¹ and failure δ_s = δ·P_s/P — Õ(log²(2P_s)·(n+1)/ε⁴). The
    count a run consumes is random and usually far smaller (the simulated ledgers use it)."""
    return estimator_copies(spec, "tomography", check_epsilon(epsilon), check_delta(delta))


def spsa_copies(epsilon: float, delta: float, samples: int = 1) -> int:
    """SPSA with ``samples`` random directions, S(ε, δ) shots per evaluation: 2·samples·S copies
    (biased: ε is the shot noise of each evaluation, not an accuracy of the gradient)."""
    from qdist.estimators.spsa import SPSA

    shape = CopyShape(1, 1, 0, 1)
    return SPSA.copies(
        shape, check_epsilon(epsilon), check_delta(delta), {"samples": check_count(samples, "samples")}
    )


def default_segment_copies(spec: ModelSpec, method: str, epsilon: float, delta: float) -> list[int]:
    """Closed-form copies per segment of an ancilla estimator (exact for shadows, an upper bound
    for tomography)."""
    return estimator_copies(spec, method, epsilon, delta)


def ancilla_hops(spec: ModelSpec, segment: int) -> int:
    """2H − s: forward through all H hops, back to the owner of segment s."""
    return 2 * spec.hops - segment


def gradient_parts(
    spec: ModelSpec,
    method: str,
    epsilon: float,
    delta: float,
    bits: int = DEFAULT_BITS,
    copies=None,
    samples: int = 1,
    links: Links = IDEAL,
) -> tuple[CostTotals, CostTotals]:
    """``(per sample, per step)`` costs of a quantum gradient: the copies' journeys are paid per
    sample, the gradient blocks sent back once per step (the last owner aggregates the batch).

    Args:
        copies: the estimator's copies for one sample if known — an int (param-shift, spsa) or a
            list with one int per segment (shadow, tomography). Default: the closed forms
            `param_shift_copies`, `spsa_copies` (with ``samples`` directions),
            `shadow_copies` and the upper bound `tomography_copies`.
        links: the [link models][link-models]; their terms enter the per-sample part (the
            gradient blocks are classical).
    """
    per_sample, per_step = _ideal_gradient_parts(spec, method, epsilon, delta, bits, copies, samples)
    links = check_links(links)
    if links.ideal or per_sample.copies == 0:
        return per_sample, per_step
    if copies is None:
        copies = estimator_copies(spec, method, epsilon, delta, samples)
    hops, _ = link_costs.gradient_traffic(spec, method, [copies], check_bits(bits))
    return link_costs.linked_totals(per_sample, hops, links), per_step


def _ideal_gradient_parts(spec, method, epsilon, delta, bits, copies, samples):
    b = check_bits(bits)
    check_epsilon(epsilon)
    check_delta(delta)
    est = get_estimator(method)
    if copies is None:
        copies = estimator_copies(spec, est, epsilon, delta, samples)
    H, n = spec.hops, spec.n
    if est.ancilla:
        per_seg = list(copies)
        if len(per_seg) != len(spec.segments):
            raise ValueError(
                f"copies: expected one count per segment ({len(spec.segments)}), got {len(per_seg)}"
            )
        msgs = sum(int(c) * ancilla_hops(spec, s) for s, c in enumerate(per_seg))
        return CostTotals(msgs * (n + est.ancilla), 0, msgs, sum(int(c) for c in per_seg)), CostTotals()
    c = int(copies)
    if c == 0:  # a simulation-only reference (exact): no communication at all
        return CostTotals(), CostTotals()
    results = spec.num_params - spec.party_params(spec.last_owner)
    return CostTotals(c * H * n, 0, c * H, c), CostTotals(0, results * b, spec.parties - 1, 0)


def quantum_gradient_cost(
    spec: ModelSpec,
    method: str,
    epsilon: float,
    delta: float,
    bits: int = DEFAULT_BITS,
    copies=None,
    batch: int = 1,
    samples: int = 1,
    links: Links = IDEAL,
) -> CostTotals:
    """One gradient step over ``batch`` samples: ``batch``·(per sample) + (per step), see
    `gradient_parts`."""
    batch = check_count(batch, "batch")
    per_sample, per_step = gradient_parts(spec, method, epsilon, delta, bits, copies, samples, links)
    return per_sample.scale(batch) + per_step


# ------------------------------------------------------------------------------------------------
# classical baselines
# ------------------------------------------------------------------------------------------------


def classical_cost(
    spec: ModelSpec,
    scheme: str,
    task: str = "inference",
    bits: int = DEFAULT_BITS,
    result_to: str = "alice",
    batch: int = 1,
) -> CostTotals:
    """Inference of one sample, or one gradient step over ``batch`` samples (module docstring)."""
    b = check_bits(bits)
    batch = check_count(batch, "batch")
    if scheme not in CLASSICAL_SCHEMES:
        raise ValueError(f"scheme: expected one of {', '.join(CLASSICAL_SCHEMES)}, got {scheme!r}")
    if task not in ("inference", "gradient"):
        raise ValueError(f"task: expected 'inference' or 'gradient', got {task!r}")
    N, H, K, P = spec.features, spec.hops, spec.parties, spec.num_params
    P_A, P_B = spec.party_params(0), spec.party_params(1)
    if task == "inference":
        if scheme == "pipeline":
            back = _result_back(spec, result_to)
            return CostTotals(0, H * N * b + (b if back else 0), H + (1 if back else 0), 0)
        if scheme == "ship-data":
            back = result_to == "alice"
            _result_back(spec, result_to)
            return CostTotals(
                0, N * b + (P - P_B) * b + (b if back else 0), 2 + (K - 2) + (1 if back else 0), 0
            )
        return CostTotals(0, (P - P_A) * b, K - 1, 0)
    if scheme == "pipeline":
        return CostTotals(0, 2 * H * N * b * batch, 2 * H * batch, 0)
    if scheme == "ship-data":
        return CostTotals(0, batch * N * b + 2 * (P - P_B) * b, batch + 1 + 2 * (K - 2) + 1, 0)
    return CostTotals(0, 2 * (P - P_A) * b, 2 * (K - 1), 0)


def ship_model_once_cost(spec: ModelSpec, bits: int = DEFAULT_BITS) -> CostTotals:
    """Training by shipping the model ONCE: every party k ≥ 1 sends its parameters to Alice
    ((P − P_A)·b bits), Alice trains locally for all steps, and returns each party its trained
    block ((P − P_A)·b bits) — independent of the number of steps and of the batch. A naive
    classical protocol, i.e. an upper bound on the classical cost of training."""
    b = check_bits(bits)
    moved = spec.num_params - spec.party_params(0)
    return CostTotals(0, 2 * moved * b, 2 * (spec.parties - 1), 0)


def training_cost(per_step: CostTotals, steps: int) -> CostTotals:
    """T identical steps (the step cost already includes its batch)."""
    return per_step.scale(check_count(steps, "steps"))


def best_classical(
    spec: ModelSpec, task: str = "inference", bits: int = DEFAULT_BITS, **kw
) -> tuple[str, CostTotals]:
    """The cheapest classical scheme (by qubits + bits) and its cost."""
    costs = {s: classical_cost(spec, s, task, bits, **kw) for s in CLASSICAL_SCHEMES}
    name = min(costs, key=lambda s: costs[s].communication)
    return name, costs[name]
