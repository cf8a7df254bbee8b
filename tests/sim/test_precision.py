"""Importing qdist changes nothing in JAX; qdist's entry points still compute in 64-bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_import_has_no_jax_side_effect_and_entry_points_are_64_bit():
    code = (
        "import jax, numpy as np\n"
        "import qdist, shadows, qdist.backends, qdist.network, qdist.learn, qdist.reports.curves\n"
        "assert not jax.config.jax_enable_x64, 'import switched JAX to 64-bit'\n"
        "c = qdist.make_circuit(1, [qdist.gate('RX', 0, 0)])\n"
        "f = qdist.expval(c, np.array([1e-5]), qdist.pauli('Z', (0,)))\n"
        # cos(1e-5) = 1 − 5e-11: visible in float64, rounded to 1.0 in float32
        "assert abs(f - np.cos(1e-5)) < 1e-15, f\n"
        "assert qdist.state(c, np.array([0.1])).dtype == np.complex128\n"
        "assert not jax.config.jax_enable_x64, 'an entry point left JAX in 64-bit'\n"
        "assert jax.numpy.zeros(1).dtype == np.float32\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_expval_fn_follows_the_callers_precision():
    import jax
    import jax.numpy as jnp

    import qdist

    c = qdist.make_circuit(1, [qdist.gate("RX", 0, 0)])
    f = qdist.expval_fn(c, qdist.pauli("Z", (0,)))
    with jax.enable_x64(True):
        v = jax.jit(f)(jnp.array([1e-5]), qdist.zero_state(1), jnp.zeros(0))
        assert v.dtype == jnp.float64 and abs(float(v) - np.cos(1e-5)) < 1e-15
