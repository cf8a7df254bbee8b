"""Repeated-block detection and the scanned simulator path agree with the unrolled one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import qdist
from qdist import Angle, gate, make_circuit, pauli_sum
from qdist.sim import segments, simulate


def _layered(n=4, layers=5):
    ops, k = [gate("H", 1)], 0
    for _ in range(layers):
        ops.append(qdist.data_phase(range(n), 0.7))
        for w in range(n):
            ops.append(gate("RY", w, k))
            ops.append(gate("RZ", w, Angle(k + 1, 0.5, 0.2)))
            k += 2
        ops.append(gate("U", 2, k, k + 1, 0))  # entry 0 shared by every layer: stride 0
        k += 2
        for w in range(n):
            ops.append(gate("CZ", (w, (w + 1) % n)))
    ops.append(gate("RX", 0, 3))
    return make_circuit(n, ops)


@pytest.fixture
def scan_everything(monkeypatch):
    monkeypatch.setattr(segments, "MIN_SCAN_STEPS", 12)


def test_segment_finds_the_layers(scan_everything):
    circ = _layered()
    segs = segments.segment(simulate.prepare(circ))
    kinds = [type(s).__name__ for s in segs]
    assert kinds == ["Step", "Repeat", "Step"]
    rep = segs[1]
    assert rep.reps == 5
    # local angle j of repetition r references the global index table[r, j]
    assert rep.index_table[:, -1].tolist() == [0] * 5  # the shared entry
    assert rep.index_table[1, 0] - rep.index_table[0, 0] == 10


def test_scanned_value_and_gradients_equal_unrolled(scan_everything):
    n = 4
    circ = _layered(n)
    obs = pauli_sum({"XZIY": 0.7, "ZZII": -0.3, "IIIZ": 1.1})
    rng = np.random.default_rng(0)
    p = jnp.asarray(rng.normal(size=circ.num_params))
    data = jnp.asarray(rng.normal(size=16))
    st = rng.normal(size=16) + 1j * rng.normal(size=16)
    st = jnp.asarray(st / np.linalg.norm(st))
    steps = simulate.prepare(circ)  # plain steps, no scan
    dense = jnp.asarray(obs.matrix(n))

    def reference(p, s, d):
        psi = simulate.run_steps(steps, s, p, d, n)
        return jnp.real(jnp.vdot(psi, dense @ psi))

    f = qdist.expval_fn(circ, obs)
    assert abs(f(p, st, data) - reference(p, st, data)) < 1e-12
    ours = jax.grad(f, argnums=(0, 1, 2))(p, st, data)
    theirs = jax.grad(reference, argnums=(0, 1, 2))(p, st, data)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    psi = qdist.state_fn(circ)(p, st, data)
    np.testing.assert_allclose(psi, simulate.run_steps(steps, st, p, data, n), atol=1e-12)


def test_long_runs_are_scanned_by_default():
    ops, k = [], 0
    for _ in range(80):  # 80 × 7 steps ≥ MIN_SCAN_STEPS
        for w in range(6):
            ops.append(gate("RY", w, k))
            k += 1
        for w in range(5):
            ops.append(gate("CZ", (w, w + 1)))
    segs = segments.segment(simulate.prepare(make_circuit(6, ops)))
    assert [type(s).__name__ for s in segs] == ["Repeat"]
