"""These tests compose qdist's pure functions (`qdist.expval_fn`, `qdist.state_fn`) under their own
``jax.jit`` / ``jax.grad``, as a user does; like such a user they trace in 64-bit explicitly
(`qdist.precision`: importing qdist changes nothing in JAX's configuration)."""

import jax
import pytest


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield
