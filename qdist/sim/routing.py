"""Which engine runs a call: the interpreter (compiled once per size) or the circuit's own program.

* the interpreter (`qdist.sim.interpret`) runs every new circuit at once: its programs are shared by
  all circuits of a register size and kept in the persistent cache (`qdist.sim.jaxcache`,
  `qdist.sim.programs`);
* the unrolled per-circuit program (`qdist.sim.simulate`) takes seconds to tens of seconds to
  compile and can be faster per call.

``QDIST_SIM_MODE`` chooses:

* ``auto`` (default): the interpreter, except for circuits it does not run (non-diagonal ops on
  more than two wires other than Pauli rotations) and — only where the block kernels
  (`qdist.sim.native`) are not built — above ``AUTO_MAX_QUBITS`` qubits, where its gathers are
  slower per call than the unrolled program. The choice depends on the circuit (and on the machine
  having the kernels) only, so the same command gives the same numbers to the last bit — a training
  run resumed from a checkpoint equals the uninterrupted one;
* ``interpret`` or ``compile`` forces one engine;
* ``adaptive``: after the ``COMPILE_AFTER``-th call of the same (circuit, observable, batching,
  shapes, dtype) the unrolled program is compiled in a background thread; when it is ready one call
  of it is timed against the fastest interpreter call and the faster engine serves every later call.
  Fastest for a circuit evaluated thousands of times, but *when* the engine changes depends on
  timing, and the two engines agree to rounding (1e-12 in complex128, [the interpreter][interpreter]),
  not to the last bit.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import jax

from qdist.sim import interpret, native
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable

__all__ = ["AUTO_MAX_QUBITS", "COMPILE_AFTER", "MODES", "mode", "route", "run"]

#: calls of one circuit after which its unrolled program is compiled in the background
COMPILE_AFTER = 10
#: largest register the interpreter serves in ``auto`` and ``adaptive`` mode *without* the block
#: kernels: above it its gathers are 2-5x slower per call than the unrolled program (n = 16, L = 10:
#: 0.18 s against 0.08 s per gradient; n = 20: 8.8 s against 1.8 s). With the kernels the
#: interpreter is the faster one at every size measured (n = 16: 0.07 s against 0.23 s, and no
#: 56 s compile), so there is no limit
AUTO_MAX_QUBITS = 14
MODES = ("auto", "interpret", "compile", "adaptive")
_MAX_ROUTES = 256


def mode() -> str:
    """``QDIST_SIM_MODE`` (default ``auto``); a one-line ``ValueError`` for anything else."""
    value = os.environ.get("QDIST_SIM_MODE", "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(f"QDIST_SIM_MODE: expected one of {', '.join(MODES)}, got {value!r}")
    return value


@dataclass
class _Route:
    calls: int = 0
    best_interpret: float = float("inf")
    compiled: object | None = None  # the ready executable
    thread: threading.Thread | None = None
    choice: str | None = None  # "compile" or "interpret" once decided
    error: BaseException | None = field(default=None, repr=False)


_ROUTES: OrderedDict[tuple, _Route] = OrderedDict()
_LOCK = threading.Lock()


def _entry(key: tuple) -> _Route:
    with _LOCK:
        if key in _ROUTES:
            _ROUTES.move_to_end(key)
            return _ROUTES[key]
        entry = _ROUTES[key] = _Route()
        if len(_ROUTES) > _MAX_ROUTES:
            _ROUTES.popitem(last=False)
        return entry


def route(kind: str, circuit: Circuit) -> str:
    """``"interpret"`` or ``"compile"`` as fixed by the mode and the circuit, ``"adaptive"`` when
    the engine is chosen by timing (``QDIST_SIM_MODE=adaptive``)."""
    m = mode()
    if m == "compile" or not interpret.interpretable(circuit):
        return "compile"
    if m in ("auto", "adaptive") and circuit.num_qubits > AUTO_MAX_QUBITS and not native.available():
        return "compile"
    return "interpret" if m == "auto" else m


def _background(entry: _Route, build: Callable[[], Callable], args: tuple) -> None:
    def work():
        try:
            with jax.enable_x64(True):
                entry.compiled = build().lower(*args).compile()
        except Exception as exc:  # noqa: BLE001 - the interpreter keeps serving; recorded for debugging
            entry.error = exc
            entry.choice = "interpret"

    entry.thread = threading.Thread(target=work, name="qdist-compile", daemon=True)
    entry.thread.start()


def _timed(fn, *args):
    t = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - t


def run(
    kind: str,
    circuit: Circuit,
    observable: Observable | None,
    args: tuple,
    key: tuple,
    build: Callable[[], Callable],
):
    """Evaluate ``kind`` on ``args = (params, state, data)`` with the chosen engine.

    ``build()`` returns the jitted unrolled program (``qdist.sim.execute``'s cache); ``key``
    identifies the call's (circuit, observable, batching, shapes, dtype).
    """
    params, psi, data = args
    chosen = route(kind, circuit)
    if chosen == "compile":
        return build()(*args)
    if chosen == "interpret":
        return interpret.run(kind, circuit, observable, params, psi, data)
    entry = _entry(key)
    entry.calls += 1
    if entry.choice == "compile":
        return entry.compiled(*args)
    if entry.choice is None and entry.compiled is not None:
        out, dt = _timed(entry.compiled, *args)
        entry.choice = "compile" if dt < entry.best_interpret else "interpret"
        return out
    out, dt = _timed(interpret.run, kind, circuit, observable, params, psi, data)
    entry.best_interpret = min(entry.best_interpret, dt)
    if entry.calls >= COMPILE_AFTER and entry.thread is None and entry.choice is None:
        _background(entry, build, args)
    return out
