"""Serialized interpreter programs (`qdist.sim.programs`): exported once, loaded by later processes.

The loaded program must give the numbers of the program it was exported from (here: to the last
bit, the same compiled computation), a damaged file must be replaced, and the file name must change
with the argument shapes.
"""

from __future__ import annotations

import jax
import numpy as np

import qdist
from qdist.sim import interpret, programs


def _program_and_args(n=4, layers=2):
    ops, k = [], 0
    for _ in range(layers):
        ops += [qdist.gate("RY", w, k + w) for w in range(n)]
        ops += [qdist.gate("CNOT", (w, w + 1)) for w in range(n - 1)]
        k += n
    ops.append(qdist.pauli_rot("ZZZ", [0, 1, n - 1], k))
    ops.append(qdist.data_phase(range(n), 0.5))
    circuit = qdist.make_circuit(n, ops)
    t = interpret.circuit_tables(circuit)
    rng = np.random.default_rng(2)
    params = np.zeros(t.padded_params)
    params[: circuit.num_params] = rng.uniform(-3, 3, circuit.num_params)
    data = np.zeros(t.padded_data)
    data[: circuit.num_data] = rng.uniform(-1, 1, circuit.num_data)
    psi = np.zeros(2**n, complex)
    psi[0] = 1
    obs = interpret.observable_tables(qdist.pauli("Z", [1]) + 0.5 * qdist.pauli("XY", [0, n - 1]), n)
    return interpret._program("grad", n, (False, False, False)), (t.args(), obs, params, data, psi)


def test_exported_program_is_written_loaded_and_equal(tmp_path):
    fn, args = _program_and_args()
    path = tmp_path / "programs" / "p.bin"
    with jax.enable_x64(True):
        direct = fn(*args)
        first = programs._load_or_export(path, fn, args)(*args)  # exports and writes
        assert path.stat().st_size > 0
        loaded = programs._load_or_export(path, fn, args)(*args)  # deserializes
    for a, b in ((direct, first), (direct, loaded)):
        np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))
        np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b[1]))


def test_damaged_file_is_replaced(tmp_path):
    fn, args = _program_and_args(n=3, layers=1)
    path = tmp_path / "p.bin"
    path.write_bytes(b"not an export")
    with jax.enable_x64(True):
        value, grad = programs._load_or_export(path, fn, args)(*args)
        ref_value, ref_grad = fn(*args)
    assert path.read_bytes() != b"not an export"
    assert float(value) == float(ref_value)
    np.testing.assert_array_equal(np.asarray(grad), np.asarray(ref_grad))


def test_file_name_follows_shapes_and_code(monkeypatch, tmp_path):
    from qdist.sim import jaxcache

    monkeypatch.setattr(jaxcache, "_STATE", {"done": True, "dir": str(tmp_path)})
    a = programs._path("x", programs._signature((np.zeros(4), np.zeros(2))))
    b = programs._path("x", programs._signature((np.zeros(8), np.zeros(2))))
    c = programs._path("x", programs._signature((np.zeros(4, np.float32), np.zeros(2))))
    assert len({a, b, c}) == 3 and a.parent == tmp_path / "programs"
    monkeypatch.setattr(jaxcache, "_STATE", {"done": True})  # cache off: no file, direct call
    assert programs._path("x", programs._signature((np.zeros(4),))) is None
    assert programs.call("x", lambda v: v + 1, np.ones(2)).tolist() == [2.0, 2.0]
