"""64-bit precision without touching JAX's global configuration.

qdist computes in float64 / complex128 (see [the conventions][precision]).
Importing qdist changes nothing in JAX: every entry point that evaluates something
(`qdist.expval`, `qdist.state`, `qdist.value_and_grad`, `qdist.grad`, the devices, training, the
CLI) runs inside ``jax.enable_x64(True)`` through the `x64` decorator, so a user's own JAX code keeps
its own precision.

The pure functions `qdist.expval_fn` and `qdist.state_fn` are traced by *your* ``jax.jit`` /
``jax.grad``, under your configuration: to get complex128 there, trace them inside
``with jax.enable_x64(True):`` (or set ``jax.config.update("jax_enable_x64", True)`` in your
program); otherwise they run in complex64.
"""

from __future__ import annotations

import functools

import jax

__all__ = ["x64"]


def x64(fn):
    """Run ``fn`` with JAX's 64-bit mode on (restored afterwards; nothing global changes)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if jax.config.jax_enable_x64:  # already 64-bit (nested entry points, or the caller's choice)
            return fn(*args, **kwargs)
        if any(isinstance(a, jax.core.Tracer) for a in (*args, *kwargs.values())):
            return fn(*args, **kwargs)  # traced by the caller's transform: keep the caller's precision
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper
