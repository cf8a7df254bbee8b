"""Order-independent fusion: a circuit as a short list of dense two-qubit blocks.

Every operation on ≤ 2 wires becomes *primitives* (`Prim`): a matrix that depends on at most one
angle ``φ = coeff·θ[index] + offset`` through the five functions
``f(φ) = (1, cos φ/2, sin φ/2, cos φ, sin φ)``, i.e. ``M(φ) = Σ_j f_j(φ) C_j`` (every one-angle
gate of `qdist.sim.gates` has this form; ``U(θ, φ, λ) = P(φ)·RY(θ)·P(λ)`` and its controlled form
split into three). `fuse` then groups the primitives into blocks ``B = M_K ⋯ M_1`` on a wire pair:

* single-qubit primitives are queued per wire until the next two-qubit primitive on that wire,
  which absorbs them (they commute with everything on other wires), so *RY on every wire then RZ on
  every wire* and *RY(w)·RZ(w) wire by wire* give the same queues and the same blocks;
* a two-qubit primitive on ``(a, b)`` joins the last block of both wires if that is one block on the
  same pair (a CNOT chain interleaved with rotations on the same pair stays one block);
* queued primitives left at the end join the last block of their wire, or pair up into blocks of
  their own.

A simulator pass per block instead of per gate ([the interpreter][interpreter]): an L-layer
hardware-efficient circuit on n wires costs about ``L·(n − 1)`` passes whatever its gate order.

Operations blocks cannot hold (data re-upload, diagonals and Pauli rotations on more than two wires)
become `qdist.sim.stages.StagePart`s; `fuse` merges consecutive ones into one
`qdist.sim.stages.Stage` (a run of commuting diagonal operations: one pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim.circuit import Angle, Circuit, Op
from qdist.sim.gates import gate_spec, pauli_string_matrix
from qdist.sim.stages import Stage, StagePart, basis_change, stage_part

__all__ = ["MAX_PRIMS", "Block", "Prim", "basis_functions", "fuse", "primitives"]

#: most angle-dependent primitives per block (fixed runs inside a block are multiplied together)
MAX_PRIMS = 16
_NB = 5  # number of basis functions


def basis_functions(phi):
    """``f(φ) = (1, cos φ/2, sin φ/2, cos φ, sin φ)`` along a new last axis (numpy or JAX)."""
    xp = jnp if isinstance(phi, jax.Array) else np
    one = xp.ones_like(phi)
    return xp.stack([one, xp.cos(phi / 2), xp.sin(phi / 2), xp.cos(phi), xp.sin(phi)], axis=-1)


@dataclass(frozen=True, eq=False)
class Prim:
    """``M(φ) = Σ_j f_j(φ) basis[j]`` on ``wires`` (1 or 2); ``angle is None``: fixed ``basis[0]``."""

    wires: tuple[int, ...]
    angle: Angle | None
    basis: np.ndarray  # (5, d, d) complex128

    def key(self) -> tuple:
        return (self.wires, self.angle, np.round(self.basis, 13).tobytes())

    @property
    def diagonal(self) -> bool:
        """Diagonal at every angle (commutes with every diagonal stage)."""
        d = self.basis.shape[-1]
        return not np.any(self.basis[:, ~np.eye(d, dtype=bool)])


@dataclass(eq=False)
class Block:
    """``B = M_K ⋯ M_1`` on the wire pair ``(a, b)``, ``a < b``; each prim's basis is ``(5, 4, 4)``."""

    pair: tuple[int, int]
    prims: list[Prim] = field(default_factory=list)

    def num_trainable(self) -> int:
        return sum(p.angle is not None for p in self.prims)


def _fixed(m: np.ndarray) -> np.ndarray:
    b = np.zeros((_NB,) + m.shape, dtype=np.complex128)
    b[0] = m
    return b


_P0, _P1 = np.diag([1.0, 0.0]).astype(complex), np.diag([0.0, 1.0]).astype(complex)


def _closed_form(name: str) -> np.ndarray | None:
    """``C_j`` derived by hand: ``R_P(φ) = cos(φ/2)·I − i sin(φ/2)·P``, ``P(φ) = |0⟩⟨0| + e^{iφ}|1⟩⟨1|``,
    controlled: ``|0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ M``."""
    spec = gate_spec(name)
    ctrl = spec.name.startswith("C") and spec.num_wires == 2 and spec.name not in ("CX", "CNOT")
    base = spec.name[1:] if ctrl else spec.name
    coef = np.zeros((_NB, 2, 2), dtype=np.complex128)
    base_spec = gate_spec(base) if base in ("RX", "RY", "RZ", "PHASE") else spec
    if base == "PHASE":
        coef[0], coef[3], coef[4] = _P0, _P1, 1j * _P1
    elif base_spec.generator is not None and base_spec.num_params == 1:
        pm = pauli_string_matrix(base_spec.generator)
        if not ctrl:
            out = np.zeros((_NB,) + pm.shape, dtype=np.complex128)
            out[1], out[2] = np.eye(len(pm)), -1j * pm
            return out
        coef[1], coef[2] = np.eye(2), -1j * pm
    else:
        return None
    if not ctrl:
        return coef
    out = np.stack([np.kron(_P1, c) for c in coef])
    out[0] += np.kron(_P0, np.eye(2))
    return out


@lru_cache(maxsize=256)
def _fit(name: str) -> np.ndarray | None:
    """Coefficients ``C_j`` of a one-angle gate, ``M(φ) = Σ_j f_j(φ) C_j``; ``None`` if not of that form.

    Closed forms for the rotations, phases and their controlled versions; a least-squares fit of the
    gate's matrix on nine angles otherwise (rejected unless exact to 1e-12)."""
    known = _closed_form(name)
    if known is not None:
        return known
    spec = gate_spec(name)
    grid = np.linspace(-3.0, 3.1, 9)
    with jax.ensure_compile_time_eval(), jax.enable_x64(True):
        mats = np.stack([np.asarray(spec.matrix(jnp.asarray([a])), dtype=np.complex128) for a in grid])
    f = basis_functions(grid)  # (9, 5)
    d = mats.shape[-1]
    coef, *_ = np.linalg.lstsq(f, mats.reshape(len(grid), -1), rcond=None)
    if np.max(np.abs(f @ coef - mats.reshape(len(grid), -1))) > 1e-12:
        return None
    return coef.reshape(_NB, d, d)


@lru_cache(maxsize=4096)
def _fixed_gate(name: str, offsets: tuple[float, ...]) -> np.ndarray:
    with jax.ensure_compile_time_eval(), jax.enable_x64(True):
        return np.asarray(gate_spec(name).matrix(jnp.asarray(offsets, dtype=jnp.float64)), np.complex128)


def _angle_prim(wires, angle: Angle, coef: np.ndarray) -> Prim:
    if not angle.trainable:
        return Prim(wires, None, _fixed(np.tensordot(basis_functions(np.float64(angle.offset)), coef, 1)))
    return Prim(wires, angle, coef)


def _gate_prims(op: Op) -> list[Prim] | None:
    spec = gate_spec(op.name)
    if spec.num_wires > 2:
        return None
    if not op.trainable and spec.num_params != 1:
        return [Prim(op.wires, None, _fixed(_fixed_gate(spec.name, tuple(a.offset for a in op.angles))))]
    if spec.name in ("U", "CU"):  # U(θ, φ, λ) = P(φ) · RY(θ) · P(λ): λ first
        th, ph, lam = op.angles
        p, ry = ("PHASE", "RY") if spec.name == "U" else ("CPHASE", "CRY")
        return [_angle_prim(op.wires, a, _fit(g)) for a, g in ((lam, p), (th, ry), (ph, p))]
    coef = _fit(spec.name)
    if coef is None or spec.num_params != 1:
        return None
    return [_angle_prim(op.wires, op.angles[0], coef)]


def _pauli_prims(op: Op) -> list[Prim] | None:
    word = [(w, p) for w, p in zip(op.wires, op.pauli, strict=True) if p != "I"]
    if not 1 <= len(word) <= 2:
        return None
    wires = tuple(w for w, _ in word)
    pm = pauli_string_matrix("".join(p for _, p in word))
    coef = np.zeros((_NB,) + pm.shape, dtype=np.complex128)
    coef[1], coef[2] = np.eye(len(pm)), -1j * pm  # cos(φ/2)·I − i sin(φ/2)·P
    return [_angle_prim(wires, op.angles[0], coef)]


def _wide(op: Op, n: int) -> list[Prim | StagePart] | None:
    """An op the blocks cannot hold (data re-upload, > 2 wires) as stage content (`qdist.sim.stages`),
    with fixed single-qubit basis changes around a Pauli rotation that has X or Y letters."""
    split = basis_change(op)
    if split is not None:
        changes, op = split
        before = [Prim((w,), None, _fixed(v)) for w, v in changes]
        after = [Prim((w,), None, _fixed(np.conj(v).T)) for w, v in changes]
        return before + [stage_part(op, n)] + after
    part = stage_part(op, n)
    return None if part is None else [part]


def primitives(circuit: Circuit) -> list[Prim | StagePart] | None:
    """The circuit as primitives and diagonal stage parts, or ``None`` when an op fits neither
    (a non-diagonal op on more than two wires other than a Pauli rotation)."""
    n = circuit.num_qubits
    out: list[Prim | StagePart] = []
    for op in circuit.ops:
        if op.kind == "pauli_rot":
            prims = _pauli_prims(op)
            part = stage_part(op, n) if prims else None
            prims = [replace(part, alternative=tuple(prims))] if part else prims or _wide(op, n)
        elif len(op.wires) > 2 or op.kind == "data_phase":
            prims = _wide(op, n)
        elif op.kind == "gate":
            prims = _gate_prims(op)
        elif op.kind == "unitary":
            prims = [Prim(op.wires, None, _fixed(op.matrix))]
        else:  # diagonal
            prims = [Prim(op.wires, None, _fixed(np.diag(op.matrix)))]
        if prims is None:
            return None
        out.extend(prims)
    return out


_SWAP_PERM = [0, 2, 1, 3]
_I2 = np.eye(2)


def _embed(prim: Prim, pair: tuple[int, int]) -> Prim:
    """``prim`` as a ``(5, 4, 4)`` basis on ``pair`` (first wire = most significant)."""
    b = prim.basis
    if len(prim.wires) == 1:
        b = np.stack([np.kron(x, _I2) if prim.wires[0] == pair[0] else np.kron(_I2, x) for x in b])
    elif prim.wires != pair:
        b = b[:, _SWAP_PERM][:, :, _SWAP_PERM]
    return Prim(pair, prim.angle, b)


def _compact(prims: list[Prim]) -> list[Prim]:
    """Multiply runs of fixed primitives (later ones on the left)."""
    out: list[Prim] = []
    for p in prims:
        if p.angle is None and out and out[-1].angle is None:
            out[-1] = Prim(p.wires, None, _fixed(p.basis[0] @ out[-1].basis[0]))
        else:
            out.append(p)
    return out


def _add(block: Block, prims: list[Prim]) -> None:
    block.prims = _compact(block.prims + [_embed(p, block.pair) for p in prims])


def _partner(w: int, n: int) -> int:
    return w + 1 if w + 1 < n else w - 1


def fuse(prims: list[Prim | StagePart], n: int) -> list[Block | Stage]:
    """Group primitives into blocks and stage parts into stages (rules in the module docstring);
    needs ``n ≥ 2``."""
    blocks: list[Block | Stage] = []
    pending: dict[int, list[Prim]] = {w: [] for w in range(n)}
    last: dict[int, int | None] = {w: None for w in range(n)}
    last_stage: list[int | None] = [None]

    def room(block: Block | Stage, extra: list[Prim]) -> bool:
        if not isinstance(block, Block):
            return False
        return block.num_trainable() + sum(p.angle is not None for p in extra) <= MAX_PRIMS

    def flush_wire(w: int) -> None:  # a full queue becomes a block of its own
        blk = Block(tuple(sorted((w, _partner(w, n)))))
        _add(blk, pending[w])
        blocks.append(blk)
        last[w] = len(blocks) - 1
        pending[w] = []

    def commutes(w: int) -> bool:  # w's queue commutes with a stage (it may stay queued)
        return all(p.diagonal for p in pending[w])

    def settle(w: int) -> None:  # w's queue goes before a stage on w, unless it commutes with it
        x = last[w]
        if commutes(w):
            return
        if x is not None and room(blocks[x], pending[w]):
            _add(blocks[x], pending[w])
            pending[w] = []
        elif pending[w]:
            flush_wire(w)

    def place(part: StagePart) -> None:  # joins the last stage if nothing since touched its wires
        for w in part.wires:
            settle(w)
        x = last_stage[0]
        if x is None or any(last[w] is not None and last[w] > x for w in part.wires):
            blocks.append(Stage())
            x = last_stage[0] = len(blocks) - 1
        blocks[x].add(part)
        for w in part.wires:
            last[w] = x

    def open_for(wires) -> bool:  # the last stage could take an op on these wires now
        x = last_stage[0]
        return x is not None and all(commutes(w) and (last[w] is None or last[w] <= x) for w in wires)

    work = list(reversed(prims))
    while work:
        prim = work.pop()
        if isinstance(prim, StagePart):
            if prim.alternative and not open_for(prim.wires):
                work.extend(reversed(prim.alternative))
            else:
                place(prim)
            continue
        if len(prim.wires) == 1:
            (w,) = prim.wires
            pending[w].append(prim)
            if sum(p.angle is not None for p in pending[w]) >= MAX_PRIMS:
                flush_wire(w)
            continue
        a, b = sorted(prim.wires)
        extra = pending[a] + pending[b] + [prim]
        x = last[a]
        if x is not None and x == last[b] and room(blocks[x], extra) and blocks[x].pair == (a, b):
            _add(blocks[x], extra)
        else:
            if sum(p.angle is not None for p in extra) > MAX_PRIMS:
                flush_wire(a)  # each queue holds < MAX_PRIMS, so b's queue and prim then fit
            blk = Block((a, b))
            _add(blk, pending[a] + pending[b] + [prim])
            blocks.append(blk)
            last[a] = last[b] = len(blocks) - 1
        pending[a], pending[b] = [], []
    lone = []
    for w in range(n):
        x = last[w]
        if pending[w] and x is not None and room(blocks[x], pending[w]):
            _add(blocks[x], pending[w])
        elif pending[w]:
            lone.append(w)
    while lone:  # wires whose queue found no block: two per block, the last with a neighbour
        w = lone.pop(0)
        v, extra = (lone[0], pending[lone.pop(0)]) if lone else (_partner(w, n), [])
        blk = Block(tuple(sorted((w, v))))
        _add(blk, pending[w] + extra)
        blocks.append(blk)
    return blocks
