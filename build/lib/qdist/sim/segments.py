"""Repeated blocks: compile a layered circuit once per *layer* instead of once per gate.

Layered models (hardware-efficient ansätze, re-upload models, the network's parties) repeat one block
of operations L times with fresh parameters. `segment` finds maximal runs of a repeated block
whose angles reference ``params`` at indices that grow linearly with the repetition, rewrites the
block over a local parameter vector, and the simulator runs it under ``jax.lax.scan`` — the traced
program, and so the compile time, no longer grows with L. The numbers are unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from qdist.sim.circuit import Angle

#: shortest run (steps × repetitions) worth a scan. Scanned blocks compile 3–4× faster but the
#: backward sweep of an XLA while-loop runs ~3× slower on CPU than the unrolled sweep (measured at
#: n = 12, L = 10), so only long runs, where unrolled compile time would dominate, are scanned.
MIN_SCAN_STEPS = 400
#: longest block searched for
MAX_PERIOD = 256


@dataclass(frozen=True, eq=False)
class Repeat:
    """``reps`` repetitions of ``block`` (steps whose angles index a local vector of length k).

    ``index_table[r, j]`` is the global parameter index of local angle j in repetition r.
    """

    block: tuple
    reps: int
    index_table: np.ndarray


def _signature(step) -> tuple:
    """What must be equal for two steps to be the same up to parameter indices."""
    if step.fused is not None:
        f = step.fused
        h = hashlib.sha1(f.src.tobytes())
        if f.phase is not None:
            h.update(f.phase.tobytes())
        return ("fused", h.hexdigest())
    op = step.op
    m = None
    if step.fixed_matrix is not None:
        m = hashlib.sha1(np.ascontiguousarray(step.fixed_matrix).tobytes()).hexdigest()
    angles = tuple((a.trainable, a.coeff, a.offset) for a in op.angles)
    return (op.kind, op.name, op.wires, op.pauli, op.data_slice, op.scale, m, angles)


def _indices(step) -> list[int]:
    if step.op is None:
        return []
    return [a.index for a in step.op.angles if a.trainable]


def _match(steps, sigs, start: int, period: int) -> tuple[int, np.ndarray | None]:
    """Number of repetitions of ``steps[start:start+period]`` from ``start`` with linear indices."""
    base = [i for s in steps[start : start + period] for i in _indices(s)]
    reps, stride = 1, None
    while start + (reps + 1) * period <= len(steps):
        lo = start + reps * period
        if sigs[lo : lo + period] != sigs[start : start + period]:
            break
        idx = [i for s in steps[lo : lo + period] for i in _indices(s)]
        diff = np.asarray(idx) - np.asarray(base)
        if stride is None:
            stride = diff / 1.0
        if not np.array_equal(diff, stride * reps):
            break
        reps += 1
    if reps < 2:
        return 1, None
    stride = np.zeros(len(base)) if stride is None else stride
    table = np.asarray(base)[None, :] + np.outer(np.arange(reps), stride)
    return reps, table.astype(np.int64)


def _localise(block) -> tuple:
    """Rewrite the block's trainable angles to index 0..k−1 of a local parameter vector."""
    out, j = [], 0
    for st in block:
        if st.op is None or not st.op.trainable:
            out.append(st)
            continue
        angles = []
        for a in st.op.angles:
            if a.trainable:
                angles.append(Angle(j, a.coeff, a.offset))
                j += 1
            else:
                angles.append(a)
        out.append(replace(st, op=replace(st.op, angles=tuple(angles))))
    return tuple(out)


def segment(steps: tuple) -> tuple:
    """Split prepared steps into plain steps and `Repeat` runs (greedy, longest coverage)."""
    sigs = [_signature(s) for s in steps]
    out, i = [], 0
    while i < len(steps):
        best = (0, None, None)
        for period in range(1, min(MAX_PERIOD, (len(steps) - i) // 2) + 1):
            if sigs[i + period] != sigs[i]:
                continue
            reps, table = _match(steps, sigs, i, period)
            if table is not None and period * reps > best[0]:
                best = (period * reps, period, (reps, table))
        covered, period, found = best
        if covered >= MIN_SCAN_STEPS and any(_indices(s) for s in steps[i : i + period]):
            reps, table = found
            out.append(Repeat(_localise(steps[i : i + period]), reps, table))
            i += covered
        else:
            out.append(steps[i])
            i += 1
    return tuple(out)
