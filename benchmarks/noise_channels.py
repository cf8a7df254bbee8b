"""Benchmark: a channel on every wire of a density matrix, numpy against ``jax.jit``.

`qdist.sim.noise.apply_channel` (numpy, one ``tensordot`` per Kraus operator and wire) against the
same contraction written in ``jax.numpy`` under ``jax.jit``: first call (compilation included, what
a protocol run pays once per register size and channel) and steady state (median of repeats), for
depolarising noise on all ``n`` wires of a random ``ρ``, n = 4, 6, 8, 10. Both must agree to 1e-12.
Results go atomically to ``benchmarks/results/noise_channels.json`` (``…_quick.json`` with
``--quick``: n = 4, 6).

Run: ``python benchmarks/noise_channels.py [--quick]`` (< 1 min).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from benchmarks._common import machine, median_time, write_json  # noqa: E402
from qdist.sim.channels import Channel, kraus_operators  # noqa: E402
from qdist.sim.noise import apply_channel  # noqa: E402


def _jax_channel(ks: np.ndarray, n: int):
    ks = jnp.asarray(ks)

    @jax.jit
    def f(rho):
        t = rho.reshape((2,) * (2 * n))
        for w in range(n):
            out = jnp.zeros_like(t)
            for k in ks:
                s = jnp.moveaxis(jnp.tensordot(k, t, axes=([1], [w])), 0, w)
                out = out + jnp.moveaxis(jnp.tensordot(k.conj(), s, axes=([1], [n + w])), 0, n + w)
            t = out
        return t.reshape(2**n, 2**n)

    return f


def _random_rho(n: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(2**n, 2**n)) + 1j * rng.normal(size=(2**n, 2**n))
    r = a @ a.conj().T
    return r / np.trace(r)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    ch = Channel("depolarizing", 0.1)
    rng = np.random.default_rng(0)
    rows = []
    with jax.enable_x64(True):
        for n in (4, 6) if args.quick else (4, 6, 8, 10):
            rho = _random_rho(n, rng)
            wires = tuple(range(n))
            f = _jax_channel(kraus_operators(ch), n)
            t0 = time.perf_counter()
            out_jax = np.asarray(f(jnp.asarray(rho)).block_until_ready())
            jax_first = time.perf_counter() - t0
            jax_steady = median_time(lambda f=f, rho=rho: f(jnp.asarray(rho)).block_until_ready())
            t0 = time.perf_counter()
            out_np = apply_channel(rho, ch, wires, n)
            np_first = time.perf_counter() - t0
            np_steady = median_time(lambda rho=rho, n=n, wires=wires: apply_channel(rho, ch, wires, n))
            err = float(np.max(np.abs(out_np - out_jax)))
            assert err < 1e-12, err
            rows.append(
                {
                    "n": n,
                    "numpy_first_s": np_first,
                    "numpy_steady_s": np_steady,
                    "jax_first_s": jax_first,
                    "jax_steady_s": jax_steady,
                    "max_abs_diff": err,
                }
            )
            print(
                f"n={n:2d}  numpy {np_first * 1e3:8.2f} ms first, {np_steady * 1e3:8.2f} ms steady   "
                f"jax {jax_first * 1e3:8.2f} ms first, {jax_steady * 1e3:8.2f} ms steady"
            )
    write_json(
        "noise_channels_quick" if args.quick else "noise_channels",
        {"benchmark": "noise_channels", "quick": args.quick, "machine": machine(), "rows": rows},
    )


if __name__ == "__main__":
    main()
