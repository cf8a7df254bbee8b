"""Shot-based gradient estimators, registered with :func:`qdist.register_method` (DESIGN.md §4).

``qdist.grad(circuit, params, observable, method=…, shots=…, seed=…, state=None, data=None)``:

* ``"param-shift"`` — :func:`param_shift_gradient` (§4.1), shift rules for every qdist gate;
* ``"shadow"`` — :func:`shadow_gradient`, one ancilla state per layer and term (§4.2);
* ``"tomography"`` — :func:`shadows.tomography.tomography_gradient`, threshold search + online
  learning (§4.3);
* ``"spsa"`` — :func:`spsa_gradient`, simultaneous perturbation (biased, cheap baseline).

Every method returns a :class:`qdist.GradientResult` whose resource counts are exact: ``copies`` =
state preparations, ``circuits`` = distinct circuits (parameter bindings), ``shots`` = measurement
shots (one per copy), ``classical_seconds`` = classical post-processing (estimates from the
counts/shadows; for ``"tomography"`` the learner). ``extra["simulation_seconds"]`` is the time spent
emulating the device (state vectors and Born sampling). ``extra["exact_std_error"]`` is the
standard error computed from the exact outcome probabilities (known only to a simulator), next to the
empirical ``std_error`` a device user would get.

**Sampling is exact.** For a measurement basis the Born probabilities of the outcomes on the
measured wires are computed from the state vector and ``shots`` outcomes drawn from that
multinomial distribution (for one Pauli string this is Binomial sampling of ±1 with
``P(+1) = (1+⟨P⟩)/2``). A Pauli-sum observable is measured in qubit-wise-commuting groups
(``grouping="qwc"``, greedy first fit) or term by term (``grouping="terms"``), ``shots`` shots per
group per circuit. ``shots=None`` gives exact expectations (``copies = 0``).

**Seeds.** ``seed`` is an int or a ``jax.random.PRNGKey`` and is required whenever something is
sampled; same seed, same numbers.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jax.numpy as jnp
import numpy as np

from qdist.estimators.gradient import register_method
from qdist.estimators.result import GradientResult
from qdist.interop.observables import as_observable
from qdist.sim.circuit import Circuit, Op
from qdist.sim.gates import gate_spec
from qdist.sim.observables import Observable, PauliWord
from shadows.collect import ROTATIONS, collect_from_state, rng_from_seed
from shadows.estimate import estimate, std_factor
from shadows.layers import (
    ancilla_states,
    angle_slots,
    chain_matrix,
    executor,
    find_layers,
    layer_states,
    observable_terms,
    prepare_inputs,
    slot_values,
)

__all__ = [
    "MeasurementGroup",
    "basis_probabilities",
    "expval_estimate",
    "measurement_groups",
    "param_shift_gradient",
    "shadow_gradient",
    "shift_rule",
    "spsa_gradient",
]

_LETTER_CODE = {"X": 0, "Y": 1, "Z": 2}
_STATE_BUDGET = 2**23  # complex amplitudes simulated at once (128 MB)


# ---------------------------------------------------------------------------------------------
# argument checking
# ---------------------------------------------------------------------------------------------
def parse_options(method: str, options: dict, defaults: dict) -> dict:
    """Merge ``options`` into ``defaults``; an unknown name is a one-line ValueError naming it."""
    for name in options:
        if name not in defaults:
            raise ValueError(
                f"{name}: unknown option for method '{method}'; expected one of {', '.join(sorted(defaults))}"
            )
    return {**defaults, **options}


def check_shots(shots, allow_none: bool = True) -> int | None:
    if shots is None and allow_none:
        return None
    if isinstance(shots, (bool, np.bool_)) or not isinstance(shots, numbers.Integral) or int(shots) < 1:
        raise ValueError(f"shots: expected an integer ≥ 1{' or None' if allow_none else ''}, got {shots!r}")
    return int(shots)


def check_int(name: str, value, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise ValueError(f"{name}: expected an integer ≥ {low}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def make_rng(seed, method: str) -> np.random.Generator:
    """Generator from an explicit seed (int or jax PRNGKey); ``None`` is refused."""
    if seed is None:
        raise ValueError(
            f"seed: method '{method}' samples shots and needs an explicit seed (int or jax PRNGKey)"
        )
    return rng_from_seed(seed)


def check_observable(circuit: Circuit, observable) -> Observable:
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a qdist Circuit, got {type(circuit).__name__}")
    return as_observable(observable, circuit.num_qubits)


# ---------------------------------------------------------------------------------------------
# measurement: groups, Born probabilities, sampling
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasurementGroup:
    """Pauli terms measured together in one product basis ``basis`` ((wire, letter) sorted)."""

    basis: PauliWord
    terms: tuple[int, ...]

    @property
    def wires(self) -> tuple[int, ...]:
        return tuple(w for w, _ in self.basis)


def measurement_groups(words: Sequence[PauliWord], grouping: str = "qwc") -> tuple[MeasurementGroup, ...]:
    """Qubit-wise-commuting groups (greedy first fit in term order) or one group per term."""
    groups: list[tuple[dict, list[int]]] = []
    for t, word in enumerate(words):
        if grouping == "qwc":
            for basis, members in groups:
                if all(basis.get(w, p) == p for w, p in word):
                    basis.update(word)
                    members.append(t)
                    break
            else:
                groups.append((dict(word), [t]))
        else:
            groups.append((dict(word), [t]))
    return tuple(MeasurementGroup(tuple(sorted(b.items())), tuple(m)) for b, m in groups)


def basis_probabilities(states: np.ndarray, basis: PauliWord, num_wires: int) -> np.ndarray:
    """Born probabilities ``(B, 2^k)`` of the outcomes on the ``k`` wires of ``basis`` (sorted; first
    wire = most significant bit of the outcome index) after rotating each into its letter's eigenbasis
    (``H`` for X, ``H S†`` for Y); the other wires are traced out."""
    B = states.shape[0]
    t = np.asarray(states).reshape((B,) + (2,) * num_wires)
    for w, p in basis:
        if p != "Z":
            t = np.moveaxis(np.tensordot(ROTATIONS[_LETTER_CODE[p]], t, axes=([1], [w + 1])), 0, w + 1)
    probs = np.abs(t) ** 2
    keep = {w for w, _ in basis}
    other = tuple(w + 1 for w in range(num_wires) if w not in keep)
    if other:
        probs = probs.sum(axis=other)
    probs = probs.reshape(B, -1)
    return probs / probs.sum(axis=1, keepdims=True)


def outcome_signs(word: PauliWord, wires: Sequence[int]) -> np.ndarray:
    """``(2^k,)`` eigenvalue ±1 of ``word`` for every outcome on ``wires`` (first = MSB)."""
    k = len(wires)
    idx = np.arange(2**k)
    sign = np.ones(2**k)
    pos = {w: i for i, w in enumerate(wires)}
    for w, _ in word:
        sign *= 1 - 2 * ((idx >> (k - 1 - pos[w])) & 1)
    return sign


def sample_counts(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Exact multinomial outcome counts ``(B, 2^k)`` with ``shots`` shots per row."""
    p = np.clip(probs, 0.0, None)
    p = p / p.sum(axis=-1, keepdims=True)
    return rng.multinomial(shots, p)


def value_stats(probs: np.ndarray, values: np.ndarray, counts: np.ndarray | None, shots: int | None):
    """Per-row mean and single-shot variance of the outcome values ``values`` ``(2^k, m)``.

    Returns ``(mean, var, exact_mean, exact_var)`` each ``(B, m)``; with ``counts`` the mean and
    (unbiased, ``ddof=1``) variance are the empirical ones, otherwise the exact ones.
    """
    exact_mean = probs @ values
    exact_var = np.clip(probs @ values**2 - exact_mean**2, 0.0, None)
    if counts is None:
        return exact_mean, exact_var, exact_mean, exact_var
    mean = counts @ values / shots
    if shots > 1:
        var = np.clip((counts @ values**2 - shots * mean**2) / (shots - 1), 0.0, None)
    else:
        var = np.full_like(mean, np.nan)
    return mean, var, exact_mean, exact_var


def _rows_per_chunk(num_wires: int) -> int:
    return max(1, _STATE_BUDGET // 2**num_wires)  # a power of two


def _measure_batch(
    circuit: Circuit,
    psi,
    phi: np.ndarray,
    data,
    terms,
    groups: Sequence[MeasurementGroup],
    shots: int | None,
    rng: np.random.Generator | None,
):
    """Estimate ``Σ_k c_k⟨Q_k⟩`` on every row of the slot-value batch ``phi`` ``(B, J)``.

    Returns ``(mean (B,), var (B,), exact_var (B,))``: the estimate of ``f`` per row (sampled with
    ``shots`` per group, or exact), the variance of that estimate (``Σ_g s²_g/shots``, empirical)
    and its exact counterpart.
    """
    ex = executor(circuit)
    n = circuit.num_qubits
    B = phi.shape[0]
    mean = np.zeros(B)
    var = np.zeros(B)
    exact_var = np.zeros(B)
    if not groups:
        return mean, var, exact_var
    values = []
    for g in groups:
        v = np.zeros(2 ** len(g.wires))
        for t in g.terms:
            c, word = terms[t]
            v += c * outcome_signs(word, g.wires)
        values.append(v[:, None])
    step = _rows_per_chunk(n)
    for lo in range(0, B, step):
        hi = min(B, lo + step)
        rows = hi - lo
        padded = 1 << (rows - 1).bit_length()  # power-of-two batches: compiled kernels are reused
        block = np.concatenate([phi[lo:hi], np.repeat(phi[hi - 1 : hi], padded - rows, axis=0)])
        states = np.asarray(ex.run(jnp.broadcast_to(psi, (padded, psi.shape[1])), block, data))[:rows]
        for g, v in zip(groups, values, strict=True):
            probs = basis_probabilities(states, g.basis, n)
            counts = sample_counts(probs, shots, rng) if shots is not None else None
            m, s2, _, es2 = value_stats(probs, v, counts, shots)
            mean[lo:hi] += m[:, 0]
            if shots is not None:
                var[lo:hi] += s2[:, 0] / shots
                exact_var[lo:hi] += es2[:, 0] / shots
    return mean, var, exact_var


# ---------------------------------------------------------------------------------------------
# shift rules
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _gate_frequencies(name: str, pos: int) -> tuple[float, ...]:
    """Positive frequencies of ``f`` in angle ``pos`` of gate ``name``: differences of the
    eigenvalues of ``G = i M†∂M`` (``∂M`` by a central difference, step 1e-5, error ~1e-10; the
    spectrum is checked angle-independent at three random points, rounded to 1e-6)."""
    spec = gate_spec(name)
    rng = np.random.default_rng(7)
    h = 1e-5
    found = None
    for _ in range(3):
        a = rng.uniform(-np.pi, np.pi, spec.num_params)
        e = np.zeros_like(a)
        e[pos] = h
        m = np.asarray(spec.matrix(jnp.asarray(a)))
        dm = (np.asarray(spec.matrix(jnp.asarray(a + e))) - np.asarray(spec.matrix(jnp.asarray(a - e)))) / (
            2 * h
        )
        g = 1j * m.conj().T @ dm
        ev = np.linalg.eigvalsh((g + g.conj().T) / 2)
        diffs = np.abs(ev[:, None] - ev[None, :]).ravel()
        freqs = np.unique(np.round(diffs[diffs > 1e-6], 6))
        if found is not None and (freqs.shape != found.shape or not np.allclose(freqs, found, atol=1e-6)):
            return ()
        found = freqs
    return tuple(float(x) for x in found)


def shift_rule(op: Op, pos: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(shifts, coefficients)`` with ``∂f/∂φ = Σ_μ c_μ f(φ + s_μ)`` for angle ``pos`` of ``op``.

    * Pauli-rotation generators (RX, RY, RZ, RXX, RYY, RZZ, pauli_rot): ``s = ±π/2``, ``c = ±1/2``.
    * Other gates: the frequencies ``Ω`` of ``f`` in that angle are the eigenvalue differences of the
      angle's generator ``G = i M†∂M``. When ``Ω = ω·{1..R}`` the equidistant rule (Wierichs et al.
      2022) ``∂f = Σ_{μ=1}^{2R} ω(−1)^{μ−1}/(4R sin²(x_μ/2)) · f(φ + x_μ/ω)``, ``x_μ = (2μ−1)π/(2R)``,
      is exact: ``R = 1`` (2 terms, shift ±π/2) for PHASE, CPHASE and every angle of U; ``R = 2``,
      ``ω = 1/2`` (4 terms, shifts ±π/2, ±3π/2, coefficients ±(2±√2)/8) for CRX, CRY, CRZ and the
      θ of CU. No decomposition is needed.
    """
    if op.kind == "pauli_rot" or (op.kind == "gate" and gate_spec(op.name).generator is not None):
        return (math.pi / 2, -math.pi / 2), (0.5, -0.5)
    freqs = _gate_frequencies(gate_spec(op.name).name, pos) if op.kind == "gate" else ()
    if not freqs:
        raise ValueError(f"circuit: no parameter-shift rule for angle {pos} of op {op.name}")
    omega = freqs[0]
    ratios = np.asarray(freqs) / omega
    R = int(round(ratios[-1]))
    if not np.allclose(ratios, np.round(ratios), atol=1e-6) or R > 8:
        raise ValueError(f"circuit: no equidistant parameter-shift rule for angle {pos} of op {op.name}")
    period = 2 * math.pi / omega
    shifts, coeffs = [], []
    for mu in range(1, 2 * R + 1):
        x = (2 * mu - 1) * math.pi / (2 * R)
        s = x / omega
        s = s - period if s > period / 2 else s
        shifts.append(s)
        coeffs.append(omega * (-1) ** (mu - 1) / (4 * R * math.sin(x / 2) ** 2))
    return tuple(shifts), tuple(coeffs)


# ---------------------------------------------------------------------------------------------
# "param-shift"
# ---------------------------------------------------------------------------------------------
def param_shift_gradient(circuit: Circuit, params, observable: Observable, **options) -> GradientResult:
    """Parameter-shift gradient (DESIGN.md §4.1) with exact finite-shot sampling.

    Each trainable angle ``φ_j`` (slot) gets its shift rule (:func:`shift_rule`): 2 shifted circuits
    for Pauli-generator gates and PHASE/CPHASE/U angles, 4 for controlled rotations. Every shifted
    circuit is measured in each measurement group with ``shots`` shots; the gradient follows by the
    chain rule through shared/affine parameters. Variance of component i:
    ``Σ_{j→i} coeff_j² Σ_μ c_μ² Σ_g Var_g(φ + s_μ e_j)/shots``.

    Options: ``shots`` (int ≥ 1 or ``None`` = exact), ``seed``, ``state``, ``data``,
    ``grouping`` (``"qwc"`` | ``"terms"``).

    Resources: ``circuits = Σ_j (#terms of rule j)`` (= ``2·#angles`` for 2-term rules),
    ``copies = shots·circuits·#groups`` (0 when exact).
    """
    o = parse_options(
        "param-shift", options, {"shots": None, "seed": None, "state": None, "data": None, "grouping": "qwc"}
    )
    shots = check_shots(o["shots"])
    grouping = check_choice("grouping", o["grouping"], ("qwc", "terms"))
    obs = check_observable(circuit, observable)
    p, psi, d = prepare_inputs(circuit, params, o["state"], o["data"])
    rng = make_rng(o["seed"], "param-shift") if shots is not None else None
    t0 = time.perf_counter()
    slots = angle_slots(circuit)
    J = len(slots)
    rules = [shift_rule(circuit.ops[s.op], s.pos) for s in slots]
    phi0 = slot_values(slots, p)
    rows, coef_rows = [], []
    for j, (shifts, coeffs) in enumerate(rules):
        for s, c in zip(shifts, coeffs, strict=True):
            row = phi0.copy()
            row[j] += s
            rows.append(row)
            coef_rows.append((j, c))
    B = len(rows)
    R = np.zeros((J, B))
    for b, (j, c) in enumerate(coef_rows):
        R[j, b] = c
    terms = observable_terms(obs)
    groups = measurement_groups([w for _, w in terms], grouping)
    phi = np.array(rows).reshape(B, J)
    mean, var, exact_var = _measure_batch(circuit, psi, phi, d, terms, groups, shots, rng)
    t1 = time.perf_counter()
    C = chain_matrix(slots, circuit.num_params)
    value = C @ (R @ mean)
    std = np.sqrt((C**2) @ ((R**2) @ var))
    exact_std = np.sqrt((C**2) @ ((R**2) @ exact_var))
    t2 = time.perf_counter()
    copies = 0 if shots is None else shots * B * len(groups)
    return GradientResult(
        value=value,
        std_error=std,
        copies=copies,
        circuits=B,
        shots=copies,
        method="param-shift",
        classical_seconds=t2 - t1,
        expval=None,
        extra={
            "angles": J,
            "groups": len(groups),
            "grouping": grouping,
            "shots_per_circuit": shots,
            "rule_terms": [len(r[0]) for r in rules],
            "exact_std_error": exact_std.tolist(),
            "simulation_seconds": t1 - t0,
        },
    )


# ---------------------------------------------------------------------------------------------
# "shadow"
# ---------------------------------------------------------------------------------------------
def _layer_basis(layer, anc: int) -> PauliWord:
    """The layer's product basis: each generator's letters on its wires, Y on the ancilla."""
    letters = {w: p for word in layer.words for w, p in word}
    return tuple(sorted(letters.items())) + ((anc, "Y"),)


def _layer_value_matrices(layer, slots, wires: Sequence[int], anc: int):
    """``(touched, V, W, extra)`` for the parameters ``touched`` by the layer.

    ``V[o, i]`` is the value of ``O_i = Σ_{j→i} coeff_j (P_j ⊗ Y_anc)`` on outcome ``o`` of the layer
    basis (wires ``wires``), ``W`` the same without the ancilla factor, and
    ``extra_i = Σ_{j→i} coeff_j² (3^{|P_j|} − 1)`` the excess second moment of the random-Pauli
    shadow estimator over the derandomised one.
    """
    touched = sorted({slots[j].index for j in layer.slots})
    col = {i: c for c, i in enumerate(touched)}
    V = np.zeros((2 ** len(wires), len(touched)))
    W = np.zeros_like(V)
    extra = np.zeros(len(touched))
    for word, j in zip(layer.words, layer.slots, strict=True):
        i = col[slots[j].index]
        V[:, i] += slots[j].coeff * outcome_signs(tuple(word) + ((anc, "Y"),), wires)
        W[:, i] += slots[j].coeff * outcome_signs(tuple(word), wires)
        extra[i] += slots[j].coeff ** 2 * (3.0 ** len(word) - 1.0)
    return touched, V, W, extra


def layer_observables(layer, slots, touched, anc: int) -> list[Observable]:
    """``O_i = Σ_{j→i} coeff_j (P_j ⊗ Y_anc)`` for every parameter ``i`` in ``touched``."""
    out = []
    for i in touched:
        coeffs, words = [], []
        for word, j in zip(layer.words, layer.slots, strict=True):
            if slots[j].index == i:
                coeffs.append(slots[j].coeff)
                words.append(tuple(word) + ((anc, "Y"),))
        out.append(Observable(tuple(coeffs), tuple(words)))
    return out


def shadow_gradient(circuit: Circuit, params, observable: Observable, **options) -> GradientResult:
    """Layer-shadow gradient (DESIGN.md §4.2): all derivatives of a layer from one ancilla state.

    Layers come from :func:`shadows.layers.find_layers`; for layer ℓ and each Pauli term ``c_k Q_k``
    of ``O`` (linearity: controlled-O needs a unitary O, so one ancilla state per layer per term)
    the ``n+1``-qubit state ``Φ_{ℓk} = (|a_ℓ⟩|0⟩ + |b_{ℓk}⟩|1⟩)/√2`` (ancilla = wire ``n``, see
    :mod:`shadows.layers`) is prepared ``shots`` times and
    ``∂f/∂φ_j = −Σ_k c_k ⟨P_j ⊗ Y_anc⟩_{Φ_{ℓk}}`` for every slot j of the layer (chain rule to θ).

    Options:
        shots: copies of every ``Φ_{ℓk}`` (snapshots per layer per term), or ``None`` for the
            exact expectations.
        seed: int or jax PRNGKey (required when sampling).
        basis: ``"derandomized"`` (default) — the layer's observables ``P_j ⊗ Y_anc`` have
            disjoint system supports, hence are qubit-wise commuting, so every copy is measured in
            one product basis (ancilla in Y, each wire in the letter of the generator acting on it,
            other wires unmeasured): ordinary shot sampling, single-shot variance ``1 − ⟨·⟩²``.
            ``"random"`` — classical shadows (:func:`shadows.collect_from_state` on the layer's
            wires and the ancilla) in random Pauli bases with the ancilla column fixed to Y
            (recipe 1), estimated by :func:`shadows.estimate` with median of means over
            ``groups``. ``shadows.estimate`` assumes uniformly random recipes (factor 3 per
            qubit); the ancilla's recipe always matches, so its factor is 1 and the estimates and
            standard errors are divided by 3 exactly. Single-snapshot variance ``≤ 3^{w_j}``.
        groups: median-of-means groups for ``basis="random"`` (default ``min(10, shots)``).
        state, data: as for :func:`qdist.expval`.

    Resources: ``circuits = #layers·#terms``; ``copies = shots·#layers·#terms``.

    Raises:
        ValueError: a trainable op without a Pauli generator, e.g.
            ``"circuit: method 'shadow' needs Pauli-rotation generators; op 3 (U) has none"``.
    """
    o = parse_options(
        "shadow",
        options,
        {"shots": None, "seed": None, "state": None, "data": None, "basis": "derandomized", "groups": None},
    )
    shots = check_shots(o["shots"])
    basis = check_choice("basis", o["basis"], ("derandomized", "random"))
    obs = check_observable(circuit, observable)
    layers = find_layers(circuit, "shadow")
    p, _, _ = prepare_inputs(circuit, params, o["state"], o["data"])
    groups = None
    if basis == "random" and shots is not None:
        groups = min(10, shots) if o["groups"] is None else check_int("groups", o["groups"])
        if groups > shots:
            raise ValueError(f"groups: expected an integer between 1 and shots = {shots}, got {groups}")
    rng = make_rng(o["seed"], "shadow") if shots is not None else None
    t0 = time.perf_counter()
    n = circuit.num_qubits
    anc = n
    slots = angle_slots(circuit)
    terms = observable_terms(obs)
    cvec = np.array([ck for ck, _ in terms])[:, None]
    a, b = layer_states(circuit, p, obs, layers, state=o["state"], data=o["data"])
    phis = ancilla_states(a, b)  # (L, K, 2^{n+1})
    P = circuit.num_params
    value = np.zeros(P)
    var = np.zeros(P)
    exact_var = np.zeros(P)
    t_post = 0.0
    for ell, layer in enumerate(layers):
        lbasis = _layer_basis(layer, anc)
        wires = tuple(w for w, _ in lbasis)
        touched, V, W, extra2 = _layer_value_matrices(layer, slots, wires, anc)
        probs = basis_probabilities(phis[ell], lbasis, n + 1)  # (K, 2^k)
        if basis == "derandomized" or shots is None:
            counts = sample_counts(probs, shots, rng) if shots is not None else None
            ts = time.perf_counter()
            mean, s2, _, es2 = value_stats(probs, V, counts, shots)
            value[touched] -= (cvec * mean).sum(axis=0)
            if shots is not None:
                var[touched] += (cvec**2 * s2).sum(axis=0) / shots
                exact_var[touched] += (cvec**2 * es2).sum(axis=0) / shots
            t_post += time.perf_counter() - ts
            continue
        obs_list = layer_observables(layer, slots, touched, anc)
        exact_mean = probs @ V  # (K, touched)
        second = probs @ W**2 + extra2  # E[X²] of the single-snapshot shadow estimator
        for k, (ck, _) in enumerate(terms):
            recipes = np.full((shots, len(wires)), -1, dtype=np.int64)
            recipes[:, -1] = 1  # the ancilla (last of ``wires``) always in Y
            sh = collect_from_state(
                phis[ell, k], shots, int(rng.integers(0, 2**63 - 1)), wires=wires, recipes=recipes
            )
            ts = time.perf_counter()
            est = estimate(sh, obs_list, groups=groups)
            value[touched] -= ck * est.mean / 3.0
            var[touched] += ck**2 * (est.std_error / 3.0) ** 2
            t_post += time.perf_counter() - ts
            v1 = np.clip(second[k] - exact_mean[k] ** 2, 0.0, None) * std_factor(groups) ** 2
            exact_var[touched] += ck**2 * v1 / shots
    t1 = time.perf_counter()
    L, K = len(layers), len(terms)
    copies = 0 if shots is None else shots * L * K
    return GradientResult(
        value=value,
        std_error=np.sqrt(var),
        copies=copies,
        circuits=L * K,
        shots=copies,
        method="shadow",
        classical_seconds=t_post,
        expval=None,
        extra={
            "layers": [list(layer.ops) for layer in layers],
            "terms": K,
            "basis": basis,
            "groups": groups,
            "ancilla_wire": anc,
            "shots_per_state": shots,
            "exact_std_error": np.sqrt(exact_var).tolist(),
            "simulation_seconds": t1 - t0 - t_post,
        },
    )


# ---------------------------------------------------------------------------------------------
# "spsa"
# ---------------------------------------------------------------------------------------------
def spsa_gradient(circuit: Circuit, params, observable: Observable, **options) -> GradientResult:
    """Simultaneous-perturbation stochastic approximation (Spall 1992): the cheap, *biased* baseline.

    For ``samples`` random directions ``Δ ∈ {±1}^P``:
    ``ĝ = [f̂(θ + cΔ) − f̂(θ − cΔ)]/(2c) · Δ`` (``1/Δ_i = Δ_i``), averaged. Two circuits per
    direction whatever ``P``, but

    * **biased**: ``E[ĝ_i] = ∂_i f + O(c²)`` (third derivatives of ``f``) — it does not converge to
      ``∇f`` at fixed ``c`` however many shots are taken;
    * its variance per direction contains ``Σ_{j≠i} (∂_j f)²`` (the other components leak in), so
      reaching a max-norm error ε needs ``~‖∇f‖²/ε²`` directions — the cost grows with ``P`` after all.

    ``std_error`` is the sample standard deviation over the directions divided by ``√samples``
    (``NaN`` for ``samples = 1``); ``extra["shot_std_error"]`` is the shot-noise part alone.

    Options: ``shots`` (per evaluation per group, or ``None`` = exact ``f``), ``seed`` (required:
    the directions are random), ``samples`` (default 1), ``c`` (default 0.1), ``state``, ``data``,
    ``grouping``. Resources: ``circuits = 2·samples``, ``copies = 2·samples·shots·#groups``.
    """
    o = parse_options(
        "spsa",
        options,
        {"shots": None, "seed": None, "state": None, "data": None, "grouping": "qwc", "samples": 1, "c": 0.1},
    )
    shots = check_shots(o["shots"])
    samples = check_int("samples", o["samples"])
    c = check_positive("c", o["c"])
    grouping = check_choice("grouping", o["grouping"], ("qwc", "terms"))
    obs = check_observable(circuit, observable)
    p, psi, d = prepare_inputs(circuit, params, o["state"], o["data"])
    rng = make_rng(o["seed"], "spsa")
    t0 = time.perf_counter()
    P = circuit.num_params
    delta = rng.choice(np.array([-1.0, 1.0]), size=(samples, P))
    thetas = np.concatenate([p + c * delta, p - c * delta])  # (2S, P)
    slots = angle_slots(circuit)
    phi = slot_values(slots, thetas)
    terms = observable_terms(obs)
    groups = measurement_groups([w for _, w in terms], grouping)
    mean, var, exact_var = _measure_batch(circuit, psi, phi, d, terms, groups, shots, rng)
    t1 = time.perf_counter()
    diff = (mean[:samples] - mean[samples:]) / (2 * c)
    g = diff[:, None] * delta
    value = g.mean(axis=0)
    if samples > 1:
        std = g.std(axis=0, ddof=1) / math.sqrt(samples)
    else:
        std = np.full(P, np.nan)
    shot_var = (exact_var[:samples] + exact_var[samples:]) / (4 * c * c)  # per direction
    shot_std = np.full(P, math.sqrt(shot_var.sum()) / samples)
    t2 = time.perf_counter()
    copies = 0 if shots is None else 2 * samples * shots * len(groups)
    return GradientResult(
        value=value,
        std_error=std,
        copies=copies,
        circuits=2 * samples,
        shots=copies,
        method="spsa",
        classical_seconds=t2 - t1,
        expval=None,
        extra={
            "samples": samples,
            "c": c,
            "groups": len(groups),
            "biased": True,
            "shot_std_error": shot_std.tolist(),
            "simulation_seconds": t1 - t0,
        },
    )


# ---------------------------------------------------------------------------------------------
# one evaluation (the denominator of "backpropagation scaling", DESIGN.md §4.4)
# ---------------------------------------------------------------------------------------------
def expval_estimate(
    circuit: Circuit,
    params,
    observable,
    *,
    shots: int | None,
    seed=None,
    state=None,
    data=None,
    grouping: str = "qwc",
) -> dict:
    """Shot estimate of ``f(θ)`` with the same measurement machinery as the gradient methods.

    Returns ``{"value", "std_error", "exact_std_error", "copies", "groups"}``;
    ``copies = shots·#groups``.
    """
    shots = check_shots(shots)
    grouping = check_choice("grouping", grouping, ("qwc", "terms"))
    obs = check_observable(circuit, observable)
    p, psi, d = prepare_inputs(circuit, params, state, data)
    rng = make_rng(seed, "expval") if shots is not None else None
    slots = angle_slots(circuit)
    terms = observable_terms(obs)
    groups = measurement_groups([w for _, w in terms], grouping)
    mean, var, exact_var = _measure_batch(
        circuit, psi, slot_values(slots, p)[None, :], d, terms, groups, shots, rng
    )
    const = sum(c for c, w in zip(obs.coeffs, obs.words, strict=True) if not w)
    return {
        "value": float(mean[0] + const),
        "std_error": float(np.sqrt(var[0])),
        "exact_std_error": float(np.sqrt(exact_var[0])),
        "copies": 0 if shots is None else shots * len(groups),
        "groups": len(groups),
    }


def _tomography(circuit: Circuit, params, observable: Observable, **options) -> GradientResult:
    from shadows.tomography import tomography_gradient

    return tomography_gradient(circuit, params, observable, **options)


register_method("param-shift", param_shift_gradient)
register_method("shadow", shadow_gradient)
register_method("tomography", _tomography)
register_method("spsa", spsa_gradient)
