"""Layers of commuting Pauli rotations and their ancilla states ([layer shadows][layer-shadows]).

Three pieces, all used by `shadows.gradients` and [`shadows.tomography`][shadows.tomography]:

* **Angle slots.** Every trainable angle of every op is a *slot* ``j`` with value
  ``φ_j = coeff_j·θ[index_j] + offset_j``. Estimators differentiate with respect to the slots and
  apply the chain rule ``∂f/∂θ_i = Σ_{j: index_j = i} coeff_j ∂f/∂φ_j`` (shared/affine parameters).
* **The op-by-op executor** of the simulator (`qdist.sim.oprun`), re-exported here.
* **Layers and ancilla states.** `find_layers` splits the trainable ops into maximal runs of
  consecutive Pauli rotations ``exp(−iφ_j P_j/2)`` whose generators mutually commute (supports may
  overlap) and no other op in between. For layer ℓ ending at op ``e`` and one Pauli term ``Q`` of the observable,

      |a⟩ = U_{≤e}|ψ⟩,   |b⟩ = U_{>e}† Q U|ψ⟩,   |Φ⟩ = (|a⟩|0⟩_anc + |b⟩|1⟩_anc)/√2

  and every slot j of the layer has ``∂f_Q/∂φ_j = Im⟨b|P_j|a⟩ = −⟨Φ|P_j ⊗ Y_anc|Φ⟩``
  (``P_j`` commutes with the rest of its layer, so it may be moved to the layer's end).

**Ancilla convention.** The ancilla is an *extra last wire*, wire ``n`` of an ``n+1``-qubit register
(least significant bit of the state index), so ``Φ[2x + c]`` is the amplitude of system basis state
``x`` with ancilla ``c``. ([the layer-shadow derivation][layer-shadows-ancilla] writes the ancilla first; only the label differs.)
`layer_circuit` builds the preparation as an ordinary ``n+1``-qubit qdist circuit — ancilla
in ``|+⟩``, ``U``, controlled-``Q`` (ancilla controls), then ``U_{>e}†`` — which is what a device
would run; `layer_states` computes the same states with one forward and one backward sweep
(O(depth) for all layers together instead of O(depth) per layer); the tests check they agree.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from qdist.estimators.inputs import prepare_batch, prepare_inputs
from qdist.measure.groups import observable_terms
from qdist.precision import x64
from qdist.sim.apply import apply_pauli
from qdist.sim.circuit import Circuit, Op, gate, make_circuit
from qdist.sim.observables import Observable, PauliWord
from qdist.sim.oprun import Executor, executor
from qdist.sim.slots import Slot, angle_slots, chain_matrix, slot_values
from qdist.sim.states import zero_state

__all__ = [
    "Executor",
    "Layer",
    "Slot",
    "ancilla_states",
    "angle_slots",
    "chain_matrix",
    "executor",
    "find_layers",
    "layer_circuit",
    "layer_states",
    "observable_terms",
    "op_word",
    "prepare_inputs",
    "slot_values",
]


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
    """A maximal run of consecutive trainable Pauli rotations whose generators mutually commute.

    Attributes:
        ops: positions of the layer's ops in ``circuit.ops`` (consecutive).
        words: generator ``P_j`` of each op (sparse Pauli word).
        slots: slot index (into `angle_slots`) of each op.
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


def paulis_commute(a: PauliWord, b: PauliWord) -> bool:
    """Two Pauli words commute iff they differ (both non-identity) on an even number of wires."""
    letters = dict(a)
    return sum(1 for w, p in b if w in letters and letters[w] != p) % 2 == 0


def find_layers(circuit: Circuit, method: str = "shadow") -> tuple[Layer, ...]:
    """Split the trainable ops into layers (greedy maximal runs, [layer shadows][layer-shadows]).

    A layer is a run of consecutive trainable ops ``exp(−iφ P/2)`` (Pauli generators ``P``) that
    mutually commute — supports may overlap (the ``2ⁿ − 1`` Z-string rotations of a wide diagonal
    layer are one layer). Any non-trainable op, or a rotation that does not commute with every
    generator of the current layer, starts a new one. Mutual commutation is what the layer identity
    needs: ``P_j`` can be moved past the rest of its layer to the layer's end.

    Raises:
        ValueError: a trainable op without a Pauli generator (U, PHASE, CRX, …), naming the op.
    """
    check_pauli_generators(circuit, method)
    slot_of = {s.op: j for j, s in enumerate(angle_slots(circuit))}
    layers: list[Layer] = []
    cur: list[int] = []
    words: list[PauliWord] = []

    def close():
        if cur:
            ops = tuple(cur)
            layers.append(Layer(ops, tuple(words), tuple(slot_of[i] for i in ops)))
        cur.clear()
        words.clear()

    for i, op in enumerate(circuit.ops):
        if not op.trainable:
            close()
            continue
        word = op_word(op)
        if not all(paulis_commute(word, w) for w in words):
            close()
        cur.append(i)
        words.append(word)
    close()
    return tuple(layers)


@x64
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

    ``K`` runs over the observable's Pauli terms. One forward pass records the state after every
    layer; one backward pass on the ``K`` states ``Q_k U|ψ⟩`` records them at every layer end. A
    batch of ``B`` input states ``(B, 2ⁿ)`` (and data ``(B, D)``) gives ``(L, B, 2ⁿ)`` and
    ``(L, K, B, 2ⁿ)``.
    """
    p, psi, d, B, batched = prepare_batch(circuit, params, state, data)
    n = circuit.num_qubits
    psi = np.asarray(zero_state(n)) if psi is None else psi
    psi = jnp.asarray(np.broadcast_to(psi, (B, 2**n)))
    ex = executor(circuit)
    phi = slot_values(ex.slots, p)[None, :]
    d = jnp.asarray(d)
    terms = observable_terms(observable)
    L, K, D = len(layers), len(terms), 2**n
    b = np.zeros((L, K, B, D), dtype=np.complex128)
    a, psi = _forward_sweep(ex, psi, phi, d, layers)
    if L and K:
        end_of = {layer.stop: ell for ell, layer in enumerate(layers)}
        nops = len(circuit.ops)
        lam = jnp.concatenate([jax.vmap(lambda v, w=word: apply_pauli(v, w, n))(psi) for _, word in terms])
        dk = jnp.concatenate([d] * K) if d.ndim == 2 else d
        stops = sorted(end_of, reverse=True)  # λ at every layer end, back from the last op
        here = nops
        for stop in stops:
            lam = ex.run(lam, phi, dk, start=stop, stop=here, adjoint=True) if here > stop else lam
            b[end_of[stop]] = np.asarray(lam).reshape(K, B, D)
            here = stop
    if not batched:
        return a[:, 0], b[:, :, 0]
    return a, b


_FORWARD: dict = {}


def _digest(*arrays) -> str:
    h = hashlib.blake2b(digest_size=16)
    for x in arrays:
        x = np.ascontiguousarray(np.asarray(x))
        h.update(str((x.dtype, x.shape)).encode())
        h.update(x.tobytes())
    return h.hexdigest()


def _forward_sweep(ex, psi, phi, d, layers):
    """``(a (L, B, 2ⁿ), final state)``: the states after every layer, by one forward sweep. The
    sweep does not depend on the observable, so it is remembered (bounded: 8 entries) for the next
    call with the same circuit, parameters, states and data — training asks for every readout's
    gradient of the same batch."""
    key = (ex.circuit.fingerprint, tuple(layer.stop for layer in layers), _digest(phi, psi, d))
    hit = _FORWARD.get(key)
    if hit is not None:
        return hit
    end_of = {layer.stop: ell for ell, layer in enumerate(layers)}
    a = np.zeros((len(layers),) + tuple(psi.shape), dtype=np.complex128)
    here = 0
    for stop in sorted(end_of) + [len(ex.circuit.ops)]:  # one range per layer end, then the rest
        psi = ex.run(psi, phi, d, start=here, stop=stop) if stop > here else psi
        if stop in end_of:
            a[end_of[stop]] = np.asarray(psi)
        here = stop
    if a.nbytes <= 2**26:  # remember sweeps up to 64 MB
        if len(_FORWARD) >= 8:
            _FORWARD.clear()
        _FORWARD[key] = (a, psi)
    return a, psi


def ancilla_states(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Φ = (|a⟩|0⟩ + |b⟩|1⟩)/√2`` with the ancilla as the last (least significant) wire.

    ``a`` ``(L, D)`` and ``b`` ``(L, K, D)`` → ``(L, K, 2D)`` (a batch axis ``B`` before ``D`` is kept).
    """
    a = np.broadcast_to(a[:, None], b.shape)
    return np.stack([a, b], axis=-1).reshape(b.shape[:-1] + (2 * b.shape[-1],)) / math.sqrt(2.0)


_LAYER_CIRCUITS: dict = {}


def layer_circuit(circuit: Circuit, layer: Layer, term: PauliWord) -> Circuit:
    """`build_layer_circuit`, remembered per ``(circuit, layer, term)`` (bounded: 512 entries)."""
    key = (circuit.fingerprint, layer.ops, term)
    out = _LAYER_CIRCUITS.get(key)
    if out is None:
        if len(_LAYER_CIRCUITS) >= 512:
            _LAYER_CIRCUITS.clear()
        out = _LAYER_CIRCUITS[key] = build_layer_circuit(circuit, layer, term)
    return out


def build_layer_circuit(circuit: Circuit, layer: Layer, term: PauliWord) -> Circuit:
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
