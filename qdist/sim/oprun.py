"""Ranges of a circuit on rows with different angles, states and data: the estimators' executor.

Every range the interpreter runs (`qdist.sim.interpret`: compiled once per register size and table
shape) goes through it, with the rows' slot values as a batch of parameters of the circuit's
`qdist.sim.slots.slot_circuit`. Circuits it does not run fall back to the op-by-op mode below.

The op-by-op mode: many circuits that share gates, without compiling each.

`qdist.expval` compiles the whole unrolled circuit once per circuit (fast to run, seconds to
compile). This mode compiles one small kernel per distinct ``(op without its parameter references,
register size, direction, data batching)``, ``vmap``-ed over a batch of rows that may all carry
*different* angles, initial states and data (``R`` shifted circuits, or ``R`` training samples, in
one pass), and applies the ops one after another. The kernels are the simulator's own
(`qdist.sim.simulate.apply_step`), so the numbers are the simulator's; every circuit that uses the
same gates reuses them. Both caches are bounded (least recently used entries are dropped). Callers
run it inside `qdist.precision.x64` (the devices, `shadows.layers.layer_states` and the estimators
do), so it computes in complex128.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.sim import interpret
from qdist.sim.circuit import Angle, Circuit, Op, make_circuit
from qdist.sim.simulate import apply_step, prepare
from qdist.sim.slots import angle_slots, slot_circuit

__all__ = ["Executor", "executor"]

_MAX_KERNELS = 2048
_MAX_EXECUTORS = 64


class _LRU(OrderedDict):
    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def fetch(self, key, build):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = build()
        if len(self) > self.limit:
            self.popitem(last=False)
        return value


_KERNELS = _LRU(_MAX_KERNELS)
_EXECUTORS = _LRU(_MAX_EXECUTORS)


def _local_op(op: Op) -> Op:
    """``op`` with its trainable angle k reading entry k of a local angle vector."""
    return replace(op, angles=tuple(Angle(k) if a.trainable else a for k, a in enumerate(op.angles)))


def _kernel(op: Op, num_wires: int, adjoint: bool, data_batched: bool, angles_batched: bool):
    """Jitted ``(psi (R, 2^N), angles (R, k) or (k,), data) -> psi`` applying ``op`` (or its inverse)."""
    lop = _local_op(op)

    def build():
        (step,) = prepare(make_circuit(num_wires, [lop], num_params=max(len(op.angles), 1)))

        def one(psi, a, data):
            return apply_step(step, psi, a, data, num_wires, adjoint=adjoint)

        axes = (0, 0 if angles_batched else None, 0 if data_batched else None)
        return jax.jit(jax.vmap(one, in_axes=axes))

    return _KERNELS.fetch((lop.key(), num_wires, adjoint, data_batched, angles_batched), build)


class Executor:
    """Run (ranges of) a circuit on a batch of rows whose angles, states and data may differ.

    ``phi`` is the ``(R, J)`` array of slot values (`qdist.sim.slots.slot_values`), or ``(1, J)``
    broadcast to every row; ``data`` is ``(D,)`` for all rows or ``(R, D)``. ``num_wires`` ≥
    ``circuit.num_qubits`` runs the circuit's ops inside a larger register.
    """

    def __init__(self, circuit: Circuit, num_wires: int | None = None):
        self.circuit = circuit
        self.num_wires = circuit.num_qubits if num_wires is None else int(num_wires)
        self.slots = angle_slots(circuit)
        per_op: list[list[tuple[int, int]]] = [[] for _ in circuit.ops]
        for j, s in enumerate(self.slots):
            per_op[s.op].append((s.pos, j))
        self._op_slots = [tuple(x) for x in per_op]
        self._fixed = [np.array([a.offset for a in op.angles] or [0.0]) for op in circuit.ops]
        self._kernels: dict = {}  # (op, adjoint, data batched) -> jitted kernel (looked up once)
        self._slot_ops = slot_circuit(circuit).ops
        self._segments: dict = {}  # (start, stop, adjoint) -> interpretable range circuit or None

    def segment(self, start: int, stop: int, adjoint: bool = False) -> Circuit | None:
        """Ops ``start..stop−1`` (their inverse for ``adjoint``) as a circuit over the slot values,
        or ``None`` if the interpreter cannot run it."""
        key = (start, stop, adjoint)
        if key not in self._segments:
            c = Circuit(self.num_wires, self._slot_ops[start:stop], len(self.slots), self.circuit.num_data)
            c = c.inverse() if adjoint else c
            self._segments[key] = c if interpret.interpretable(c) else None
        return self._segments[key]

    def _interpret(self, seg: Circuit, psi, phi: np.ndarray, data):
        rows = psi.shape[0]
        p = phi if phi.shape[0] == rows else phi[0]
        if np.ndim(data) == 2 and data.shape[0] != rows:
            data = jnp.broadcast_to(jnp.asarray(data), (rows, data.shape[1]))
        return interpret.run("state", seg, None, p, jnp.asarray(psi, jnp.complex128), data)

    def _angles(self, i: int, phi: np.ndarray, rows: int) -> np.ndarray:
        op = self.circuit.ops[i]
        a = np.zeros((rows, max(len(op.angles), 1)))
        for pos, j in self._op_slots[i]:
            a[:, pos] = phi[:, j] if phi.shape[0] == rows else phi[0, j]
        return a

    @x64
    def apply(self, i: int, psi, phi: np.ndarray, data, adjoint: bool = False):
        """Apply op ``i`` (or its inverse) to the rows ``psi`` ``(R, 2^N)``; ``data`` may already be
        a JAX array (`run` converts it once)."""
        seg = self.segment(i, i + 1, adjoint)
        if seg is not None:
            return self._interpret(seg, psi, np.atleast_2d(phi), data)
        rows = psi.shape[0]
        batched = np.ndim(data) == 2
        if batched and data.shape[0] != rows:
            data = jnp.broadcast_to(jnp.asarray(data), (rows, data.shape[1]))
        trainable = bool(self._op_slots[i])
        f = self._kernels.get((i, adjoint, batched))
        if f is None:
            f = _kernel(self.circuit.ops[i], self.num_wires, adjoint, batched, trainable)
            self._kernels[(i, adjoint, batched)] = f
        if not trainable:  # no trainable angle: one shared (fixed) angle vector
            return f(psi, self._fixed[i], data)
        return f(psi, jnp.asarray(self._angles(i, phi, rows)), data)

    @x64
    def run(self, psi, phi, data, start: int = 0, stop: int | None = None, adjoint: bool = False):
        """Ops ``start..stop−1`` in order (``adjoint``: their inverses in reverse order)."""
        phi = np.atleast_2d(np.asarray(phi, dtype=np.float64))
        stop = len(self.circuit.ops) if stop is None else stop
        seg = self.segment(start, stop, adjoint) if stop > start else None
        if seg is not None:
            return self._interpret(seg, jnp.asarray(psi), phi, data)
        order = range(stop - 1, start - 1, -1) if adjoint else range(start, stop)
        psi, data = jnp.asarray(psi), jnp.asarray(data)
        for i in order:
            psi = self.apply(i, psi, phi, data, adjoint)
        return psi


def executor(circuit: Circuit, num_wires: int | None = None) -> Executor:
    """The (cached, by content fingerprint) `Executor` of ``circuit``."""
    width = circuit.num_qubits if num_wires is None else int(num_wires)
    return _EXECUTORS.fetch((circuit.fingerprint, width), lambda: Executor(circuit, width))
