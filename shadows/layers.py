"""Layers of commuting Pauli rotations and their ancilla states (DESIGN.md §4.2).

Three pieces, all used by :mod:`shadows.gradients` and :mod:`shadows.tomography`:

* **Angle slots.** Every trainable angle of every op is a *slot* ``j`` with value
  ``φ_j = coeff_j·θ[index_j] + offset_j``. Estimators differentiate with respect to the slots and
  apply the chain rule ``∂f/∂θ_i = Σ_{j: index_j = i} coeff_j ∂f/∂φ_j`` (shared/affine parameters).
* **A batched op-by-op executor** (:class:`Executor`). It applies the simulator's own kernels
  (:func:`qdist.sim.simulate.apply_step`) one op at a time, each jit-compiled once per distinct
  ``(op without its parameter references, register size, direction)`` and vmapped over a batch of
  states that may all carry *different* angles (``B`` shifted circuits in one pass). Compiling the
  whole unrolled circuit instead (what :func:`qdist.expval` does) costs tens of seconds for a few
  hundred gates; here the compiled kernels are shared by every circuit that uses the same gates.
  Numerically it is the simulator (same kernels), checked against :func:`qdist.state` in the tests.
* **Layers and ancilla states.** :func:`find_layers` splits the trainable ops into maximal runs of
  consecutive Pauli rotations ``exp(−iφ_j P_j/2)`` with pairwise disjoint supports and no other op
  in between. For layer ℓ ending at op ``e`` and one Pauli term ``Q`` of the observable,

      |a⟩ = U_{≤e}|ψ⟩,   |b⟩ = U_{>e}† Q U|ψ⟩,   |Φ⟩ = (|a⟩|0⟩_anc + |b⟩|1⟩_anc)/√2

  and every slot j of the layer has ``∂f_Q/∂φ_j = Im⟨b|P_j|a⟩ = −⟨Φ|P_j ⊗ Y_anc|Φ⟩``
  (``P_j`` commutes with the rest of its layer, so it may be moved to the layer's end).

**Ancilla convention.** The ancilla is an *extra last wire*, wire ``n`` of an ``n+1``-qubit register
(least significant bit of the state index), so ``Φ[2x + c]`` is the amplitude of system basis state
``x`` with ancilla ``c``. (DESIGN.md §4.2 writes the ancilla first; only the label differs.)
:func:`layer_circuit` builds the preparation as an ordinary ``n+1``-qubit qdist circuit — ancilla
in ``|+⟩``, ``U``, controlled-``Q`` (ancilla controls), then ``U_{>e}†`` — which is what a device
would run; :func:`layer_states` computes the same states with one forward and one backward sweep
(O(depth) for all layers together instead of O(depth) per layer); the tests check they agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim.apply import apply_pauli
from qdist.sim.circuit import Angle, Circuit, Op, gate, make_circuit
from qdist.sim.execute import check_data, check_params
from qdist.sim.observables import Observable, PauliWord
from qdist.sim.simulate import apply_step, prepare
from qdist.sim.states import as_state, zero_state

__all__ = [
    "Executor",
    "Layer",
    "Slot",
    "ancilla_states",
    "angle_slots",
    "executor",
    "find_layers",
    "layer_circuit",
    "layer_states",
    "observable_terms",
    "op_word",
    "slot_values",
]


# ---------------------------------------------------------------------------------------------
# angle slots
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One trainable angle: ``φ = coeff·θ[index] + offset`` is angle ``pos`` of op ``op``."""

    op: int
    pos: int
    index: int
    coeff: float
    offset: float


def angle_slots(circuit: Circuit) -> tuple[Slot, ...]:
    """All trainable angles of ``circuit`` in op order (the slots ``j`` of the module docstring)."""
    out = []
    for i, op in enumerate(circuit.ops):
        for k, a in enumerate(op.angles):
            if a.trainable:
                out.append(Slot(i, k, a.index, float(a.coeff), float(a.offset)))
    return tuple(out)


def slot_values(slots: Sequence[Slot], params: np.ndarray) -> np.ndarray:
    """``φ_j = coeff_j·θ[index_j] + offset_j`` for ``params`` ``(P,)`` or ``(B, P)`` → ``(…, J)``."""
    params = np.asarray(params, dtype=np.float64)
    if not slots:
        return np.zeros(params.shape[:-1] + (0,))
    idx = np.array([s.index for s in slots])
    coeff = np.array([s.coeff for s in slots])
    off = np.array([s.offset for s in slots])
    return params[..., idx] * coeff + off


def chain_matrix(slots: Sequence[Slot], num_params: int) -> np.ndarray:
    """``(P, J)`` matrix ``C`` with ``∂f/∂θ = C @ ∂f/∂φ`` (chain rule through shared/affine angles)."""
    c = np.zeros((num_params, len(slots)))
    for j, s in enumerate(slots):
        c[s.index, j] += s.coeff
    return c


# ---------------------------------------------------------------------------------------------
# batched executor
# ---------------------------------------------------------------------------------------------
_KERNELS: dict[tuple, object] = {}


def _local_op(op: Op) -> Op:
    """``op`` with its trainable angle k reading entry k of a local angle vector."""
    return replace(op, angles=tuple(Angle(k) if a.trainable else a for k, a in enumerate(op.angles)))


def _kernel(op: Op, num_wires: int, adjoint: bool):
    """Jitted ``(psi (B, 2^N), angles (B, k), data) -> psi`` applying ``op`` (or its inverse)."""
    lop = _local_op(op)
    key = (lop.key(), num_wires, adjoint)
    f = _KERNELS.get(key)
    if f is None:
        (step,) = prepare(make_circuit(num_wires, [lop], num_params=max(len(op.angles), 1)))

        def one(psi, a, data):
            return apply_step(step, psi, a, data, num_wires, adjoint=adjoint)

        f = jax.jit(jax.vmap(one, in_axes=(0, 0, None)))
        _KERNELS[key] = f
    return f


class Executor:
    """Run (ranges of) a circuit on a batch of states whose angles may differ per batch row.

    ``phi`` is the ``(B, J)`` array of slot values (:func:`slot_values`); ``B`` may be 1 and is then
    broadcast against the state batch. ``num_wires`` ≥ ``circuit.num_qubits`` runs the circuit's ops
    inside a larger register (used for the ``n+1``-qubit ancilla register).
    """

    def __init__(self, circuit: Circuit, num_wires: int | None = None):
        self.circuit = circuit
        self.num_wires = circuit.num_qubits if num_wires is None else int(num_wires)
        self.slots = angle_slots(circuit)
        per_op: list[list[tuple[int, int]]] = [[] for _ in circuit.ops]
        for j, s in enumerate(self.slots):
            per_op[s.op].append((s.pos, j))
        self._op_slots = [tuple(x) for x in per_op]

    def _angles(self, i: int, phi: np.ndarray, batch: int) -> np.ndarray:
        op = self.circuit.ops[i]
        k = max(len(op.angles), 1)
        a = np.zeros((batch, k))
        for pos, j in self._op_slots[i]:
            a[:, pos] = phi[:, j] if phi.shape[0] == batch else phi[0, j]
        return a

    def apply(self, i: int, psi, phi: np.ndarray, data, adjoint: bool = False):
        """Apply op ``i`` (or its inverse) to the batch ``psi`` ``(B, 2^N)``."""
        batch = psi.shape[0]
        f = _kernel(self.circuit.ops[i], self.num_wires, adjoint)
        return f(psi, jnp.asarray(self._angles(i, phi, batch)), data)

    def run(self, psi, phi, data, start: int = 0, stop: int | None = None, adjoint: bool = False):
        """Ops ``start..stop−1`` in order (``adjoint``: their inverses in reverse order)."""
        phi = np.atleast_2d(np.asarray(phi, dtype=np.float64))
        stop = len(self.circuit.ops) if stop is None else stop
        order = range(stop - 1, start - 1, -1) if adjoint else range(start, stop)
        psi = jnp.asarray(psi)
        for i in order:
            psi = self.apply(i, psi, phi, data, adjoint)
        return psi


_EXECUTORS: dict[tuple[str, int], Executor] = {}


def executor(circuit: Circuit, num_wires: int | None = None) -> Executor:
    """Cached :class:`Executor` for ``circuit`` (by content fingerprint)."""
    key = (circuit.fingerprint, circuit.num_qubits if num_wires is None else int(num_wires))
    ex = _EXECUTORS.get(key)
    if ex is None:
        if len(_EXECUTORS) > 64:
            _EXECUTORS.clear()
        ex = _EXECUTORS[key] = Executor(circuit, num_wires)
    return ex


def prepare_inputs(circuit: Circuit, params, state, data) -> tuple[np.ndarray, jnp.ndarray, jnp.ndarray]:
    """Validated ``(params (P,), state (1, 2ⁿ), data (D,))`` for one evaluation point."""
    p = check_params(circuit, params)
    if p.ndim != 1:
        raise ValueError(
            f"params: expected one parameter vector ({circuit.num_params},), got shape {p.shape}"
        )
    n = circuit.num_qubits
    if state is None:
        s = zero_state(n)
    else:
        s = as_state(state, n)
        if s.ndim != 1:
            raise ValueError(f"state: expected one state vector ({2**n},), got shape {tuple(s.shape)}")
    d = check_data(circuit, data)
    if d.ndim != 1:
        raise ValueError(f"data: expected one data vector ({circuit.num_data},), got shape {tuple(d.shape)}")
    return np.asarray(p), s[None, :], d


# ---------------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------------
def op_word(op: Op) -> PauliWord | None:
    """Generator of ``op`` as a sparse Pauli word ``((wire, letter), …)`` (``None`` if not a
    Pauli rotation)."""
    gen = op.generator
    if gen is None:
        return None
    return tuple(sorted((w, p) for w, p in zip(op.wires, gen, strict=True) if p != "I"))


@dataclass(frozen=True)
class Layer:
    """A maximal run of consecutive trainable Pauli rotations with pairwise disjoint supports.

    Attributes:
        ops: positions of the layer's ops in ``circuit.ops`` (consecutive).
        words: generator ``P_j`` of each op (sparse Pauli word).
        slots: slot index (into :func:`angle_slots`) of each op.
    """

    ops: tuple[int, ...]
    words: tuple[PauliWord, ...]
    slots: tuple[int, ...]

    @property
    def stop(self) -> int:
        """One past the layer's last op: ``|a⟩`` is the state after op ``stop − 1``."""
        return self.ops[-1] + 1

    @property
    def support(self) -> tuple[int, ...]:
        return tuple(sorted({w for word in self.words for w, _ in word}))


def check_pauli_generators(circuit: Circuit, method: str) -> None:
    """Raise the one-line error of the shadow methods for a trainable op without Pauli generator."""
    for i, op in enumerate(circuit.ops):
        if op.trainable and op.generator is None:
            raise ValueError(
                f"circuit: method '{method}' needs Pauli-rotation generators; op {i} ({op.name}) has none"
            )


def find_layers(circuit: Circuit, method: str = "shadow") -> tuple[Layer, ...]:
    """Split the trainable ops into layers (greedy maximal runs, DESIGN.md §4.2).

    A layer is a run of consecutive trainable ops ``exp(−iφ P/2)`` (Pauli generators ``P``) whose
    supports are pairwise disjoint (so they commute); any non-trainable op, or a rotation
    overlapping the current layer's support, starts a new one.

    Raises:
        ValueError: a trainable op without a Pauli generator (U, PHASE, CRX, …), naming the op.
    """
    check_pauli_generators(circuit, method)
    slot_of = {s.op: j for j, s in enumerate(angle_slots(circuit))}
    layers: list[Layer] = []
    cur: list[int] = []
    used: set[int] = set()

    def close():
        if cur:
            ops = tuple(cur)
            words = tuple(op_word(circuit.ops[i]) for i in ops)
            layers.append(Layer(ops, words, tuple(slot_of[i] for i in ops)))
        cur.clear()
        used.clear()

    for i, op in enumerate(circuit.ops):
        if not op.trainable:
            close()
            continue
        supp = {w for w, _ in op_word(op)}
        if supp & used:
            close()
        cur.append(i)
        used.update(supp)
    close()
    return tuple(layers)


def observable_terms(observable: Observable) -> tuple[tuple[float, PauliWord], ...]:
    """Non-identity, non-zero terms ``(c_k, Q_k)`` of ``O`` (identity terms do not depend on θ)."""
    return tuple(
        (float(c), w) for c, w in zip(observable.coeffs, observable.words, strict=True) if w and c != 0
    )


def layer_states(
    circuit: Circuit,
    params,
    observable: Observable,
    layers: Sequence[Layer],
    *,
    state=None,
    data=None,
) -> tuple[np.ndarray, np.ndarray]:
    """``|a_ℓ⟩`` ``(L, 2ⁿ)`` and ``|b_{ℓk}⟩ = U_{>ℓ}† Q_k U|ψ⟩`` ``(L, K, 2ⁿ)`` by two sweeps.

    ``K`` runs over :func:`observable_terms`. One forward pass records the state after every layer;
    one backward pass on the ``K`` states ``Q_k U|ψ⟩`` records them at every layer end.
    """
    p, psi, d = prepare_inputs(circuit, params, state, data)
    n = circuit.num_qubits
    ex = executor(circuit)
    phi = slot_values(ex.slots, p)[None, :]
    terms = observable_terms(observable)
    L, K, D = len(layers), len(terms), 2**n
    a = np.zeros((L, D), dtype=np.complex128)
    b = np.zeros((L, K, D), dtype=np.complex128)
    if L == 0:
        return a, b
    end_of = {layer.stop: ell for ell, layer in enumerate(layers)}
    nops = len(circuit.ops)
    for i in range(nops):
        psi = ex.apply(i, psi, phi, d)
        if i + 1 in end_of:
            a[end_of[i + 1]] = np.asarray(psi[0])
    if K == 0:
        return a, b
    lam = jnp.stack([apply_pauli(psi[0], word, n) for _, word in terms])
    first = min(end_of)
    for i in range(nops - 1, first - 2, -1):
        if i + 1 in end_of:
            b[end_of[i + 1]] = np.asarray(lam)
        if i + 1 == first:
            break
        lam = ex.apply(i, lam, phi, d, adjoint=True)
    return a, b


def ancilla_states(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Φ = (|a⟩|0⟩ + |b⟩|1⟩)/√2`` with the ancilla as the last (least significant) wire.

    ``a`` ``(L, D)`` and ``b`` ``(L, K, D)`` → ``(L, K, 2D)``.
    """
    a = np.broadcast_to(a[:, None, :], b.shape)
    return np.stack([a, b], axis=-1).reshape(b.shape[:-1] + (2 * b.shape[-1],)) / math.sqrt(2.0)


def layer_circuit(circuit: Circuit, layer: Layer, term: PauliWord) -> Circuit:
    """The ``n+1``-qubit circuit preparing ``Φ`` for ``layer`` and the Pauli term ``Q = term`` from
    ``|ψ⟩|0⟩_anc`` (ancilla = wire ``n``): ``H_anc``, ``U``, controlled-``Q`` (ancilla controls),
    then ``U_{>ℓ}†`` on the system."""
    n = circuit.num_qubits
    anc = n
    suffix = Circuit(n, circuit.ops[layer.stop :], circuit.num_params, circuit.num_data).inverse()
    ops = [gate("H", anc), *circuit.ops]
    ops += [gate("C" + p, (anc, w)) for w, p in term]
    ops += list(suffix.ops)
    return make_circuit(n + 1, ops, num_params=circuit.num_params)
