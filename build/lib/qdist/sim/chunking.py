"""Batched simulation in chunks sized to the memory of the process (or Dask worker) that runs it.

A batch element of a vmapped expectation keeps about ``LIVE_STATES`` = 4 state vectors alive at once
(input state, working state, the observable applied to it, and one temporary of XLA), each
2ⁿ amplitudes × 16 bytes (complex128; 8 for complex64). So one element costs

    per_element = 2ⁿ · itemsize · live_states   bytes

and a chunk holds ``⌊budget / per_element⌋`` elements, with ``budget`` = ``memory_bytes`` when
given, else 80 % of `available_memory` (the system's available memory, capped by the Dask
worker's memory limit minus what the process already uses). At n = 24, complex128: 256 MiB per
state, 1 GiB per element, ~15 elements per chunk on a 24 GiB machine with 19 GiB free.

`chunked_expval` calls [`qdist.expval`][qdist.expval] once per chunk; the last chunk is padded to the
chunk size (and the padding dropped) so that every chunk reuses one compiled function.
"""

from __future__ import annotations

import numpy as np

from qdist.precision import x64
from qdist.sim.execute import expval, resolve_dtype

LIVE_STATES = 4
AUTO_FRACTION = 0.8


def available_memory() -> int:
    """Bytes this process may still allocate: the system's available memory (psutil), and inside a
    Dask worker at most its ``memory_limit`` minus the worker's resident memory."""
    import psutil

    avail = int(psutil.virtual_memory().available)
    try:
        from distributed import get_worker

        limit = get_worker().memory_manager.memory_limit
    except (ImportError, ValueError, AttributeError):
        limit = None
    if limit:
        rss = psutil.Process().memory_info().rss
        avail = min(avail, max(0, int(limit) - int(rss)))
    return avail


def bytes_per_element(num_qubits: int, dtype=None, live_states: int = LIVE_STATES) -> int:
    """``2ⁿ · itemsize · live_states``: memory of one batch element of a vmapped simulation."""
    itemsize = np.dtype(resolve_dtype(dtype)).itemsize
    return (2**num_qubits) * itemsize * live_states


def chunk_size(
    num_qubits: int,
    batch: int,
    memory_bytes: int | None = None,
    dtype=None,
    live_states: int = LIVE_STATES,
) -> int:
    """Batch elements per chunk: ``min(batch, ⌊budget / (2ⁿ · itemsize · live_states)⌋)``.

    Raises `MemoryError` when even one element does not fit in the budget.
    """
    for name, v in (("num_qubits", num_qubits), ("batch", batch), ("live_states", live_states)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}: expected an integer ≥ 1, got {v!r}")
    if memory_bytes is None:
        budget = int(AUTO_FRACTION * available_memory())
    else:
        if (
            isinstance(memory_bytes, bool)
            or not isinstance(memory_bytes, (int, np.integer))
            or memory_bytes < 1
        ):
            raise ValueError(f"memory_bytes: expected an integer ≥ 1, got {memory_bytes!r}")
        budget = int(memory_bytes)
    per = bytes_per_element(int(num_qubits), dtype, int(live_states))
    k = budget // per
    if k < 1:
        raise MemoryError(
            f"memory_bytes: one batch element at n = {num_qubits} needs {per} bytes "
            f"(2^{num_qubits} · {per // (2**num_qubits * live_states)} · {live_states}), budget is {budget}"
        )
    return int(min(batch, k))


def _batch_length(params, states, data) -> int | None:
    sizes = {int(x.shape[0]) for x in (params, states, data) if x is not None and x.ndim == 2}
    if len(sizes) > 1:
        raise ValueError(
            f"batch: params, states and data batches must have the same length, got {sorted(sizes)}"
        )
    return sizes.pop() if sizes else None


def _chunk(x, start: int, stop: int, size: int):
    """Rows ``start:stop`` of a batched array, padded with its last row to ``size`` rows."""
    if x is None or x.ndim != 2:
        return x
    part = x[start:stop]
    if part.shape[0] < size:
        part = np.concatenate([part, np.repeat(part[-1:], size - part.shape[0], axis=0)])
    return part


@x64
def chunked_expval(
    circuit,
    params_batch,
    observable,
    states=None,
    data=None,
    memory_bytes: int | None = None,
    dtype=None,
    live_states: int = LIVE_STATES,
):
    """``qdist.expval`` over a batch (params ``(B, P)``, states ``(B, 2ⁿ)`` and/or data ``(B, D)``;
    unbatched arguments are shared), computed `chunk_size` elements at a time.

    Returns an array of shape ``(B,)`` (a float when nothing is batched, as [`qdist.expval`][qdist.expval]).
    """
    p = None if params_batch is None else np.asarray(params_batch, dtype=np.float64)
    s = None if states is None else np.asarray(states)
    d = None if data is None else np.asarray(data, dtype=np.float64)
    B = _batch_length(p, s, d)
    if B is None:
        return expval(circuit, p, observable, state=s, data=d, dtype=dtype)
    k = chunk_size(circuit.num_qubits, B, memory_bytes, dtype, live_states)
    out = np.empty(B, dtype=np.float64)
    for start in range(0, B, k):
        stop = min(B, start + k)
        vals = expval(
            circuit,
            _chunk(p, start, stop, k),
            observable,
            state=_chunk(s, start, stop, k),
            data=_chunk(d, start, stop, k),
            dtype=dtype,
        )
        out[start:stop] = np.asarray(vals).reshape(-1)[: stop - start]
    return out
