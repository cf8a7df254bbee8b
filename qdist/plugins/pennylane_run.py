"""Running one (preprocessed) PennyLane tape on qdist: exact results, shots, the adjoint Jacobian.

* **exact** (``tape.shots`` empty): the final state ``|ψ⟩ = e^{iα} U(θ)|ψ₀⟩`` from
  `qdist.devices.exact.run_states`; each measurement process reads it
  (``mp.process_state(ψ, wire_order)``: expectation values, variances, probabilities, the state).
* **shots**: the measurements of the tape commute (the device splits the others); their
  diagonalizing gates are appended, `qdist.devices.exact.ExactDevice` draws the exact
  multinomial counts of all wires with the given seed, the counts become ``shots`` samples in a
  random (seeded) order, and each measurement process reads its bins of the shot vector
  (``mp.process_samples``).
* **adjoint**: every measurement is ``⟨O⟩`` of a Pauli sum ``O = Σ c_k P_k`` (a ``Hermitian`` is
  expanded, ``O = Σ_P tr(P O)/2ⁿ P``); `qdist.value_and_grad` gives ``∂⟨O⟩/∂values`` in one
  adjoint sweep, summed into the tape's trainable parameters through ``columns``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pennylane as qml

from qdist.devices.exact import ExactDevice, run_states
from qdist.devices.protocol import Run
from qdist.plugins.pennylane_ops import Converted, convert, supported
from qdist.precision import x64
from qdist.sim.execute import value_and_grad
from qdist.sim.observables import Observable, pauli_sum

__all__ = ["adjoint_jacobian", "exact_results", "pauli_observable", "sampled_results"]


def _expand(operations: Sequence) -> list:
    """Decompose what is not native (diagonalizing gates appended after preprocessing)."""
    out = []
    for op in operations:
        out.extend([op] if supported(op) else _expand(op.decomposition()))
    return out


def _bindings(conv: Converted) -> np.ndarray:
    return conv.values[None, :] if conv.values.size else np.zeros((1, 0))


def final_state(conv: Converted) -> np.ndarray:
    """``e^{iα} U(θ)|ψ₀⟩`` ``(2ⁿ,)``."""
    run = Run(conv.circuit, _bindings(conv), (), None, states=conv.state)
    return run_states(run)[0] * conv.phase


def _pack(per_bin: list, tape) -> object:
    """PennyLane's result layout: one value per measurement, one tuple per shot-vector bin."""
    per_bin = [r[0] if len(tape.measurements) == 1 else tuple(r) for r in per_bin]
    return tuple(per_bin) if tape.shots.has_partitioned_shots else per_bin[0]


def _pauli_expval(psi: np.ndarray, rep, wmap: dict) -> float:
    """``Σ_k c_k ⟨ψ|P_k|ψ⟩`` with ``P|i⟩ = i^{#Y} (−1)^{|i ∧ (Z∪Y)|} |i ⊕ (X∪Y)⟩``."""
    n = int(psi.size).bit_length() - 1
    index = np.arange(psi.size)
    total = 0.0
    for word, c in rep.items():
        flip = sign = 0
        ys = 0
        for w, p in word.items():
            bit = 1 << (n - 1 - wmap[w])
            flip |= bit if p in "XY" else 0
            sign |= bit if p in "ZY" else 0
            ys += p == "Y"
        parity = (np.bitwise_count(index & sign) & 1).astype(np.int64) if sign else 0
        amp = np.conj(psi[index ^ flip]) * psi * (1j**ys) * (1 - 2 * parity)
        total += float(np.real(complex(c) * amp.sum()))
    return total


def _diagonalized(psi: np.ndarray, gates: list, wire_order: Sequence) -> np.ndarray:
    """``V|ψ⟩`` for the diagonalizing gates ``V`` (qdist simulation from the state ``ψ``)."""
    if not gates:
        return psi
    conv = convert(_expand(gates), wire_order)
    run = Run(conv.circuit, _bindings(conv), (), None, states=psi)
    return run_states(run)[0]


def _measure_state(mp, psi: np.ndarray, wire_order: Sequence):
    """One measurement process on the exact state: Pauli sums directly, other observables in
    their eigenbasis (diagonalizing gates applied), non-commuting sums through their sparse matrix."""
    obs = mp.obs
    if obs is None:
        return mp.process_state(psi, wire_order)
    wmap = {w: i for i, w in enumerate(wire_order)}
    if isinstance(mp, qml.measurements.ExpectationMP) and obs.pauli_rep is not None:
        return np.array(_pauli_expval(psi, obs.pauli_rep, wmap))
    gates = None
    if not isinstance(obs, qml.ops.Sum) and obs.has_diagonalizing_gates:
        gates = obs.diagonalizing_gates()
    if gates is not None:
        return mp.process_state(_diagonalized(psi, gates, wire_order), wire_order)
    m = obs.sparse_matrix(wire_order=wire_order) if obs.has_sparse_matrix else qml.matrix(obs, wire_order)
    o_psi = m @ psi
    mean = float(np.real(np.vdot(psi, o_psi)))
    if isinstance(mp, qml.measurements.VarianceMP):
        return np.array(float(np.real(np.vdot(o_psi, o_psi))) - mean**2)
    if isinstance(mp, qml.measurements.ExpectationMP):
        return np.array(mean)
    raise ValueError(f"measurement: {type(mp).__name__} of {obs.name} is not supported exactly")


def exact_results(tape, wire_order: Sequence):
    """The tape's measurements read from the exact final state."""
    psi = final_state(convert(tape.operations, wire_order))
    return _pack([[_measure_state(mp, psi, wire_order) for mp in tape.measurements]], tape)


def samples(tape, wire_order: Sequence, seed: int) -> np.ndarray:
    """``(shots, n)`` basis-state samples (0/1, ``wire_order``) after the diagonalizing gates."""
    ops = list(tape.operations) + _expand(tape.diagonalizing_gates)
    conv = convert(ops, wire_order)
    shots = tape.shots.total_shots
    wires = tuple(range(conv.circuit.num_qubits))
    run = Run(conv.circuit, _bindings(conv), wires, shots, states=conv.state)
    counts = np.asarray(ExactDevice().run([run], seed)[0][0], dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    index = rng.permutation(np.repeat(np.arange(counts.size), counts))
    n = len(wire_order)
    return ((index[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.int64)


def sampled_results(tape, wire_order: Sequence, seed: int):
    """The tape's (commuting) measurements from ``tape.shots`` seeded samples."""
    s = samples(tape, wire_order, seed)
    per_bin = []
    for lo, hi in tape.shots.bins():
        per_bin.append([mp.process_samples(s[lo:hi], wire_order) for mp in tape.measurements])
    return _pack(per_bin, tape)


def pauli_observable(obs, wire_order: Sequence) -> Observable:
    """A PennyLane observable as a qdist Pauli sum (wires numbered by ``wire_order``)."""
    rep = obs.pauli_rep
    if rep is None:
        if not obs.has_matrix or len(obs.wires) > 10:
            raise ValueError(f"observable: {obs.name} has no Pauli expansion for the adjoint method")
        rep = qml.pauli_decompose(qml.matrix(obs), wire_order=obs.wires, pauli=True)
    wmap = {w: i for i, w in enumerate(wire_order)}
    terms = []
    for word, c in rep.items():
        if abs(complex(c).imag) > 1e-10:
            raise ValueError(f"observable: {obs.name} is not Hermitian (complex coefficient {c})")
        terms.append((complex(c).real, {wmap[w]: p for w, p in word.items()}))
    return pauli_sum(terms)


def _squeeze(jac: np.ndarray):
    """PennyLane's Jacobian layout: ``(M, T)`` squeezed, nested tuples over measurements, params."""
    jac = np.squeeze(jac)
    if jac.ndim == 0:
        return np.array(jac)
    if jac.ndim == 1:
        return tuple(np.array(j) for j in jac)
    return tuple(tuple(np.array(j) for j in row) for row in jac)


@x64
def adjoint_jacobian(tape, wire_order: Sequence) -> tuple:
    """``(values, jacobian)`` of the tape's expectation values by qdist's adjoint sweep."""
    conv = convert(tape.operations, wire_order)
    trainable = list(tape.trainable_params)
    column_of = {t: i for i, t in enumerate(trainable)}
    M = len(tape.measurements)
    vals = np.zeros(M)
    jac = np.zeros((M, len(trainable)))
    for m, mp in enumerate(tape.measurements):
        obs = pauli_observable(mp.obs, wire_order)
        v, g = value_and_grad(conv.circuit, conv.values, obs, state=conv.state)
        vals[m] = v
        for j, col in enumerate(conv.columns):
            if int(col) in column_of:
                jac[m, column_of[int(col)]] += g[j]
    res = [np.array(v) for v in vals]
    results = res[0] if M == 1 else tuple(res)
    return results, _squeeze(jac) if trainable else ()
