"""``qdist jobs``: the job registry, from any process.

    qdist jobs list [--json]          every recorded job: id, status, backend, primitive, task, shots
    qdist jobs status ID              one job's record (an IBM job still running is asked for its status)
    qdist jobs fetch ID [--out F.npz] [--raw]
                                      the task's result — a gradient with its standard errors, or
                                      the classical shadow — (an IBM job still running is awaited
                                      and stored); --raw: the job's per-circuit arrays instead

``ID`` is a job id (or an earlier attempt's id), the registry key, or a prefix of at least 8
characters of one of them. A damaged record file is listed as damaged with its file name, and
fetched by its key when its result file is intact.
The registry is ``$QDIST_CACHE/jobs`` or ``~/.cache/qdist/jobs`` unless ``--registry`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from qdist.validate import check_output_file


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "jobs",
        help="list, inspect and fetch recorded hardware / emulator jobs",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("action", nargs="?", default="list", help="list | status | fetch (default list)")
    p.add_argument("id", nargs="?", default=None, help="job id or key prefix (status, fetch)")
    p.add_argument("--registry", default=None, help="job registry folder (default <cache>/jobs)")
    p.add_argument("--out", default=None, help="fetch: write the result arrays to this .npz file")
    p.add_argument(
        "--raw", action="store_true", help="fetch: the job's raw per-circuit arrays, not the task's result"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _registry(args):
    from qdist.backends import JobRegistry

    try:  # read-only: never creates the registry folder
        return JobRegistry(args.registry, create=False)
    except ValueError as exc:
        raise ValueError(
            str(exc).replace("registry:", "--registry:", 1) if args.registry else str(exc)
        ) from None


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def live_status(rec: dict) -> str:
    """The record's status, refined: an IBM job not yet final is asked for (needs credentials);
    a local job whose process is gone says so."""
    status = rec["status"]
    if status in ("done", "failed", "damaged"):
        return status
    if rec["backend"].startswith("ibm:") and rec.get("id"):
        from qdist.backends.devices import has_credentials, ibm_service

        if has_credentials():
            try:
                return f"{status} (IBM: {ibm_service(rec['backend']).job(rec['id']).status()})"
            except Exception as exc:  # noqa: BLE001 - network, unknown job, local-mode job
                return f"{status} (IBM status unavailable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        return f"{status} (no IBM credentials to ask for its status)"
    pids = [a.get("pid") for a in rec.get("attempts", [])]
    if pids and not _pid_alive(pids[-1]):
        return f"{status} (interrupted: its process is gone; rerun the command to resume)"
    return status


def _list(args) -> int:
    reg = _registry(args)
    recs, damaged = reg.records(), reg.damaged()
    if args.json:
        print(json.dumps(recs + damaged))
        return 0
    if not recs and not damaged:
        where = "" if reg.root.is_dir() else " (the folder does not exist)"
        print(f"no jobs in {reg.root}{where}")
        return 0
    print(
        f"{'job id':38} {'status':10} {'backend':18} {'primitive':9} {'task':24} {'pubs':>4} {'shots':>8}  submitted"
    )
    for r in recs:
        shots = r.get("shots") or []
        shots_txt = str(shots[0]) if len(set(shots)) == 1 else f"{min(shots)}–{max(shots)}" if shots else "-"
        print(
            f"{(r.get('id') or '(none)'):38} {r['status']:10} {r['backend']:18} {r['primitive']:9} "
            f"{(r.get('task') or '-'):24} {len(r.get('circuits', [])):>4} {shots_txt:>8}  {r.get('submitted_at', '')}"
        )
    for d in damaged:
        fate = (
            f"result intact: qdist jobs fetch {d['key'][:12]}"
            if d["result_intact"]
            else "no intact result: rerun the command that submitted it"
        )
        print(f"{(d.get('id') or '(unreadable)'):38} {'damaged':10} {d['file']} ({fate})")
    return 0


def _status(args) -> int:
    rec = _registry(args).find(_need_id(args))
    if args.json:
        print(json.dumps({**rec, "live_status": live_status(rec)}))
        return 0
    if rec["status"] == "damaged":
        print(f"job {rec.get('id') or rec['key'][:12]}: damaged — {rec['error']}")
        print(f"  result intact: {rec['result_intact']}; registry key {rec['key']}")
        return 0
    print(f"job {rec.get('id')}: {live_status(rec)}")
    for k in (
        "backend",
        "device",
        "primitive",
        "task",
        "submitted_at",
        "finished_at",
        "seconds",
        "shots",
        "seed",
        "error",
    ):
        if rec.get(k) is not None:
            print(f"  {k}: {rec[k]}")
    print(f"  circuits: {len(rec.get('circuits', []))} PUB(s), bindings {rec.get('bindings_shapes')}")
    print(f"  attempts: {len(rec.get('attempts', []))}; registry key {rec['key']}")
    return 0


def _fetch(args) -> int:
    from qdist.backends.cache import atomic_write_npz
    from qdist.backends.execute import fetch_job
    from qdist.backends.tasks import task_result

    if args.out:
        check_output_file("--out", args.out)  # before fetching
    registry = _registry(args)
    rec, arrays = fetch_job(_need_id(args), registry)
    task = None if args.raw else task_result(registry, rec["key"])
    if task is None:
        return _print_raw(args, rec, arrays)
    if args.out:
        atomic_write_npz(args.out, task)
    kind = str(task["kind"])
    if args.json:
        body = {k: (v.item() if v.ndim == 0 else v.tolist()) for k, v in task.items()}
        print(json.dumps({"id": rec.get("id"), "key": rec["key"], "task": rec.get("task"), **body}))
        return 0
    print(f"job {rec.get('id')} ({rec['primitive']} on {rec['backend']}, {rec.get('task') or '-'}): done")
    if kind == "gradient":
        print(
            f"  gradient ({task['method']}, {int(task['shots'])} shots, {int(task['circuits'])} circuits), "
            "value ± standard error:"
        )
        for i, (v, e) in enumerate(zip(task["value"].ravel(), task["std_error"].ravel(), strict=True)):
            print(f"    [{i}] {v:+.6f} ± {e:.6f}")
    else:
        bits = task["bits"]
        print(
            f"  classical shadow: {bits.shape[0]} snapshots on wires {task['wires'].tolist()} "
            f"(bits and recipes (T, k) uint8; mean bit {bits.mean():.4f})"
        )
    if args.out:
        print(f"  result written to {args.out}")
    print("  (--raw for the job's per-circuit arrays)")
    return 0


def _print_raw(args, rec, arrays) -> int:
    from qdist.backends.cache import atomic_write_npz

    if args.out:
        atomic_write_npz(args.out, arrays)
    if args.json:
        print(
            json.dumps(
                {"id": rec.get("id"), "key": rec["key"], "arrays": {k: v.tolist() for k, v in arrays.items()}}
            )
        )
        return 0
    print(f"job {rec.get('id')} ({rec['primitive']} on {rec['backend']}, {rec.get('task') or '-'}): done")
    for k, v in arrays.items():
        if k.startswith("evs_"):
            print(
                f"  {k}: shape {v.shape}, values {np.array2string(v.ravel()[:6], precision=4)}{' …' if v.size > 6 else ''}"
            )
        elif k.startswith("bits_"):
            print(f"  {k}: shape {v.shape} (bindings, shots, bits), mean bit {v.mean():.4f}")
        else:
            print(f"  {k}: shape {v.shape}")
    if args.out:
        print(f"  arrays written to {args.out}")
    return 0


def _need_id(args) -> str:
    if not args.id:
        raise ValueError(f"ID: 'qdist jobs {args.action}' needs a job id (see 'qdist jobs list')")
    return args.id


def run(args) -> int:
    actions = {"list": _list, "status": _status, "fetch": _fetch}
    if args.action not in actions:
        raise ValueError(f"action: expected list, status or fetch, got {args.action!r}")
    return actions[args.action](args)
