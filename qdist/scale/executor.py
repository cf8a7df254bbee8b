"""One executor layer for sweeps: lists of independent tasks run on local processes or a Dask cluster.

A sweep (cost curves with simulated points, estimator scaling studies, training over seeds) is a list
of `Task` ``(name, fn, kwargs)``: ``fn`` a picklable *top-level* function, ``kwargs`` its
keyword arguments with explicit seeds (no global RNG state), so a task gives the same result wherever
it runs. `run_tasks` runs them

* ``scheduler=None`` → the ``QDIST_SCHEDULER`` environment variable, else *automatic*: a small sweep
  (at most `SERIAL_MAX_TASKS` tasks, or one core) runs ``"serial"`` in this process —
  so a tutorial pasted into a plain script (no ``if __name__ == "__main__":`` guard) works —
  and a larger one, or one given ``workers``, runs on ``"processes"``;
* ``"processes"``: a `concurrent.futures.ProcessPoolExecutor` with the *spawn* start method
  (JAX is not fork-safe), ``workers`` processes (default: cores, at most one per task);
* ``"tcp://host:port"`` (any ``scheme://`` address): a running Dask ``distributed`` scheduler; the
  cluster's workers are used and ``workers`` is ignored;
* ``"serial"``: in this process, one after another (debugging, single core).

Results stream back as they finish (as completed): each is appended to the JSONL ``checkpoint`` (one
line per result, flushed and fsynced — a crash loses at most the line being written, and a truncated
last line is ignored on reading) and handed to ``on_result(name, result)``. A task that raises — or
whose worker dies — is resubmitted ``retries`` times (default once) and then reported in
``Results.failed`` by name; the finished ones are kept. Rerunning with the same checkpoint skips the
tasks already recorded there (matched by name *and* by a hash of function + arguments).

A dead local worker breaks the whole process pool (`BrokenProcessPool`): the pool is restarted
and every task that was in flight is charged one attempt, since the culprit cannot be told apart. On
Dask the scheduler itself reschedules the tasks of a lost worker (``distributed.scheduler.
allowed-failures``); only a task that then ends in ``KilledWorker`` is charged.

Local workers die with their parent: each one asks the kernel for ``SIGKILL`` when its parent
dies (Linux ``prctl(PR_SET_PDEATHSIG)``) and also polls its parent's pid every
`PARENT_POLL_SECONDS` (every platform), so a sweep killed with ``SIGKILL`` leaves no worker — nor,
once they are gone, multiprocessing's resource tracker — behind.

Spawned workers import the caller's ``__main__``: a script that calls `run_tasks` needs the
usual ``if __name__ == "__main__":`` guard. Each worker process compiles (JIT) its circuits once, so
short sweeps are dominated by start-up; a Dask cluster keeps its workers (and their compiled
functions) between sweeps.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEDULER_ENV = "QDIST_SCHEDULER"
LOCAL_SCHEDULERS = ("processes", "serial")
#: with no scheduler chosen, sweeps of at most this many tasks run in this process (a tutorial-sized
#: sweep: spawning workers costs seconds each, and a plain script needs no `__main__` guard)
SERIAL_MAX_TASKS = 64
#: how often a local worker checks that its parent is still alive
PARENT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Task:
    """One unit of a sweep: ``fn(**kwargs)`` under a unique ``name``."""

    name: str
    fn: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Hash of the function's import path and the arguments: a checkpoint line is reused only
        when it matches (same name, same work)."""
        fn = f"{getattr(self.fn, '__module__', '?')}.{getattr(self.fn, '__qualname__', repr(self.fn))}"
        try:
            args = json.dumps(dict(self.kwargs), sort_keys=True, default=repr)
        except TypeError:
            args = repr(sorted(self.kwargs.items()))
        return hashlib.sha256(f"{fn}|{args}".encode()).hexdigest()[:16]


@dataclass
class Results:
    """What `run_tasks` returns: ``done`` name → result, ``failed`` name → last error
    (``"ExceptionType: message"``); ``attempts`` name → submissions; ``resumed`` names taken from the
    checkpoint; ``scheduler`` as resolved; ``seconds`` wall time."""

    done: dict[str, Any]
    failed: dict[str, str]
    attempts: dict[str, int] = field(default_factory=dict)
    resumed: list[str] = field(default_factory=list)
    scheduler: str = "processes"
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def resolve_scheduler(scheduler: str | None = None) -> str:
    """``None`` → ``$QDIST_SCHEDULER`` → ``"processes"``; checks the form of the value (an error
    names ``QDIST_SCHEDULER`` when the bad value came from the environment)."""
    name = "scheduler"
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or "processes"
        name = SCHEDULER_ENV if os.environ.get(SCHEDULER_ENV) else name
    if not isinstance(scheduler, str) or not (
        scheduler in LOCAL_SCHEDULERS or ("://" in scheduler and scheduler.split("://", 1)[1])
    ):
        where = " (from the environment)" if name == SCHEDULER_ENV else ""
        raise ValueError(
            f"{name}: expected 'processes', 'serial' or a Dask address like tcp://host:port, "
            f"got {scheduler!r}{where}"
        )
    return scheduler


def _automatic(scheduler: str | None, workers: int | None, n_tasks: int) -> bool:
    """True when nobody chose where to run (no ``scheduler``, no ``$QDIST_SCHEDULER``, no ``workers``)
    and the sweep is small (≤ `SERIAL_MAX_TASKS` tasks) or there is one core: run it serially."""
    if scheduler is not None or os.environ.get(SCHEDULER_ENV) or workers is not None:
        return False
    return n_tasks <= SERIAL_MAX_TASKS or (os.cpu_count() or 1) == 1


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def _die_with_parent(parent_pid: int) -> None:
    """Initializer of every local worker: exit when the parent process dies (see the module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the poll below remains
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="qdist-parent-watch").start()


def _call(fn: Callable[..., Any], kwargs: dict) -> Any:
    """What the workers run (top level, so it pickles by reference)."""
    return fn(**kwargs)


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}".rstrip(": ")


def _check_tasks(tasks: Sequence[Task], picklable: bool) -> list[Task]:
    tasks = list(tasks)
    seen: set[str] = set()
    for t in tasks:
        if not isinstance(t, Task):
            raise TypeError(f"tasks: expected Task(name, fn, kwargs) items, got {type(t).__name__}")
        if not isinstance(t.name, str) or not t.name:
            raise ValueError(f"tasks: expected a non-empty string name, got {t.name!r}")
        if t.name in seen:
            raise ValueError(f"tasks: duplicate name {t.name!r}")
        seen.add(t.name)
        if not callable(t.fn):
            raise TypeError(f"tasks: {t.name}: fn is not callable")
        if not isinstance(t.kwargs, Mapping):
            raise TypeError(f"tasks: {t.name}: kwargs must be a mapping, got {type(t.kwargs).__name__}")
        if picklable:
            qual = getattr(t.fn, "__qualname__", "")
            if "<" in qual:
                raise TypeError(
                    f"tasks: {t.name}: fn must be a top-level function (picklable by reference), got {qual}"
                )
            try:
                pickle.dumps((t.fn, dict(t.kwargs)))
            except Exception as exc:  # noqa: BLE001 - any pickling error means the same thing here
                raise TypeError(
                    f"tasks: {t.name}: fn and kwargs must be picklable ({_describe(exc)})"
                ) from None
    return tasks


class _Checkpoint:
    """Append-only JSONL of finished results: ``{"name", "key", "result"}`` per line."""

    def __init__(self, path) -> None:
        self.path = Path(path)
        self._warned = False

    def load(self) -> dict[str, tuple[str, Any]]:
        out: dict[str, tuple[str, Any]] = {}
        if not self.path.exists():
            return out
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                out[rec["name"]] = (rec["key"], rec["result"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash
        return out

    def append(self, name: str, key: str, result: Any) -> None:
        try:
            line = json.dumps({"name": name, "key": key, "result": result}, allow_nan=True)
        except (TypeError, ValueError) as exc:
            if not self._warned:
                warnings.warn(f"checkpoint: result of {name} is not JSON ({exc}); not recorded", stacklevel=3)
                self._warned = True
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            prefix = b""
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    prefix = b"\n"  # end a line cut by a crash before appending
            fh.write(prefix + line.encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())


def run_tasks(
    tasks: Sequence[Task],
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    on_result: Callable[[str, Any], None] | None = None,
    *,
    retries: int = 1,
    checkpoint=None,
    desc: str = "tasks",
) -> Results:
    """Run independent tasks and collect their results as they complete (see the module docstring).

    ``on_result(name, result)`` is called in this process for each finished task (also for those
    resumed from ``checkpoint``), in completion order. Returns `Results`.
    """
    from tqdm import tqdm

    sched = resolve_scheduler(scheduler)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries: expected an integer ≥ 0, got {retries!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: expected an integer ≥ 1, got {workers!r}")
    tasks = list(tasks)
    if _automatic(scheduler, workers, len(tasks)):
        sched = "serial"
    tasks = _check_tasks(tasks, picklable=sched != "serial")
    t0 = time.perf_counter()
    res = Results(done={}, failed={}, attempts={t.name: 0 for t in tasks}, scheduler=sched)
    ckpt = _Checkpoint(checkpoint) if checkpoint is not None else None
    by_name = {t.name: t for t in tasks}
    keys = {t.name: t.key for t in tasks}
    todo = list(tasks)
    bar = tqdm(total=len(tasks), desc=desc, unit="task", file=sys.stderr, disable=not progress)

    if ckpt is not None:
        old = ckpt.load()
        for t in tasks:
            if t.name in old and old[t.name][0] == keys[t.name]:
                res.done[t.name] = old[t.name][1]
                res.resumed.append(t.name)
        todo = [t for t in tasks if t.name not in res.done]
        bar.update(len(res.resumed))
        if on_result is not None:
            for name in res.resumed:
                on_result(name, res.done[name])

    def finished(name: str, value: Any) -> None:
        res.done[name] = value
        if ckpt is not None:
            ckpt.append(name, keys[name], value)
        bar.update(1)
        if on_result is not None:
            on_result(name, value)

    def errored(name: str, exc: BaseException) -> bool:
        """Record a failed attempt; True if the task should be resubmitted."""
        if res.attempts[name] <= retries:
            return True
        res.failed[name] = _describe(exc)
        bar.update(1)
        bar.set_postfix(failed=len(res.failed))
        return False

    try:
        if not todo:
            pass
        elif sched == "serial":
            _run_serial(todo, res, finished, errored)
        elif sched == "processes":
            n = workers or min(os.cpu_count() or 1, len(todo))
            _run_processes(todo, min(n, len(todo)), res, finished, errored)
        else:
            _run_dask(todo, sched, by_name, res, finished, errored)
    finally:
        bar.close()
        res.seconds = time.perf_counter() - t0
    return res


def _run_serial(todo, res, finished, errored) -> None:
    for t in todo:
        while True:
            res.attempts[t.name] += 1
            try:
                value = _call(t.fn, dict(t.kwargs))
            except Exception as exc:  # noqa: BLE001 - a task's own error is reported, not raised
                if errored(t.name, exc):
                    continue
                break
            finished(t.name, value)
            break


def _run_processes(todo, n_workers: int, res, finished, errored) -> None:
    ctx = multiprocessing.get_context("spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=n_workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
        )

    pool = new_pool()
    pending: dict = {}

    def submit(t: Task) -> None:
        res.attempts[t.name] += 1
        pending[pool.submit(_call, t.fn, dict(t.kwargs))] = t

    try:
        for t in todo:
            submit(t)
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            again, broken = [], False
            for fut in done:
                t = pending.pop(fut)
                exc = fut.exception()
                if exc is None:
                    finished(t.name, fut.result())
                    continue
                broken |= isinstance(exc, BrokenProcessPool)
                if errored(t.name, exc):
                    again.append(t)
            if broken or getattr(pool, "_broken", False):
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
                # the other in-flight futures of the dead pool fail too and come back through `done`
            for t in again:
                submit(t)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(todo, address: str, by_name, res, finished, errored) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise ValueError(f"scheduler: {address} needs dask[distributed] installed ({exc})") from None
    try:
        client = Client(address, timeout=30, set_as_default=False)
    except OSError as exc:
        raise ValueError(f"scheduler: cannot connect to {address} ({_describe(exc)})") from None
    names: dict[str, str] = {}

    def submit(t: Task):
        res.attempts[t.name] += 1
        key = f"qdist-{t.name}-{res.attempts[t.name]}-{uuid.uuid4().hex[:8]}"
        names[key] = t.name
        return client.submit(_call, t.fn, dict(t.kwargs), key=key, pure=False, retries=0)

    try:
        ac = as_completed([submit(t) for t in todo], loop=client.loop)
        for fut in ac:
            name = names.pop(fut.key)
            try:
                value = fut.result()
            except Exception as exc:  # noqa: BLE001 - includes KilledWorker and CancelledError
                if errored(name, exc):
                    ac.add(submit(by_name[name]))
                continue
            finally:
                fut.release()
            finished(name, value)
    finally:
        client.close()
