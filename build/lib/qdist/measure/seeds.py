"""Seeds: every random choice in qdist comes from an explicit seed, derived here.

A seed is an ``int ≥ 0`` or a ``jax.random.PRNGKey``; `seed_sequence` turns either into a
``numpy.random.SeedSequence``, `rng_from_seed` into a ``Generator``, `child_seeds` into independent
integer seeds for sub-tasks (``SeedSequence.spawn``), and `simulator_seed` into the non-zero seed a
local Qiskit simulator needs.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["child_seeds", "require_seed", "rng_from_seed", "seed_sequence", "simulator_seed"]


def seed_sequence(seed, name: str = "seed") -> np.random.SeedSequence:
    """``numpy.random.SeedSequence`` from an int or a ``jax.random.PRNGKey`` (typed or raw uint32)."""
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name}: expected an int or a jax.random.PRNGKey, got bool")
    if isinstance(seed, numbers.Integral):
        if int(seed) < 0:
            raise ValueError(f"{name}: expected a non-negative int, got {seed}")
        return np.random.SeedSequence(int(seed))
    if isinstance(seed, np.ndarray) and seed.dtype == np.uint32 and seed.ndim == 1:
        return np.random.SeedSequence([int(x) for x in seed])  # raw key data
    if type(seed).__module__.startswith(("jax", "jaxlib")):
        import jax

        if jax.dtypes.issubdtype(seed.dtype, jax.dtypes.prng_key):
            seed = jax.random.key_data(seed)
        data = np.asarray(seed)
        if data.dtype.kind in "iu":
            return np.random.SeedSequence([int(x) for x in data.ravel()])
    raise TypeError(f"{name}: expected an int or a jax.random.PRNGKey, got {type(seed).__name__}")


def rng_from_seed(seed, name: str = "seed") -> np.random.Generator:
    """``numpy.random.Generator`` from an int or a ``jax.random.PRNGKey``."""
    return np.random.default_rng(seed_sequence(seed, name))


def require_seed(seed, method: str) -> np.random.Generator:
    """Generator from an explicit seed; ``None`` is refused (something is about to be sampled)."""
    if seed is None:
        raise ValueError(
            f"seed: method '{method}' samples shots and needs an explicit seed (int or jax PRNGKey)"
        )
    return rng_from_seed(seed)


def child_seeds(seed: int, k: int) -> list[int]:
    """``k`` independent integer seeds derived from ``seed`` (``SeedSequence(seed).spawn(k)``)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(k)]


def simulator_seed(seed: int, salt: int = 0) -> int:
    """A seed in ``[1, 2³¹)`` derived from ``seed`` (Runtime's local mode ignores ``seed_simulator=0``)."""
    s = np.random.SeedSequence([int(seed), int(salt), 0x51D]).generate_state(1)[0]
    return int(s % (2**31 - 1)) + 1
