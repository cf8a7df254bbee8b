"""Small things users expect (issue 14, item 7): ``qdist.draw``, a short ``repr``, and
``qdist jobs fetch`` returning the task's result (a gradient with its standard errors, or the
shadow) with the raw per-circuit arrays on request."""

from __future__ import annotations

import json

import numpy as np
import pennylane as qml
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

import qdist
from qdist import backends
from qdist.cli.main import main


def test_draw_and_repr():
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.rx(a, 1)
    qc.rzz(2 * b + 0.5, 0, 1)
    c = qdist.from_qiskit(qc)
    assert repr(c) == "Circuit(3 qubits, 4 ops: H, CX, RX, RZZ; 2 params)"
    assert qdist.draw(c).splitlines() == [  # the CX crosses wire 1, so RX(a) comes after it
        "0: ─H──●──────────RZZ(2θ1+0.5)──",
        "1: ────│──RX(θ0)──RZZ(2θ1+0.5)──",
        "2: ────X────────────────────────",
    ]
    assert qdist.draw(qc) == qdist.draw(c)  # any circuit an entry point takes
    w = qdist.from_pennylane(lambda p: (qml.RY(p[0], "q"), qml.CNOT(["q", "r"])), params=np.zeros(1))
    assert repr(w) == "WiredCircuit(2 qubits, 2 ops: RY, CX; 1 params; wires ['q', 'r'])"
    assert qdist.draw(w).splitlines()[0].startswith("q: ─RY(θ0)──●")


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("QDIST_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _fetch(capsys, *argv):
    code = main(["jobs", "fetch", *argv])
    out, _ = capsys.readouterr()
    assert code == 0
    return out


def test_jobs_fetch_returns_the_gradient_and_raw_arrays_on_request(cache, capsys):
    qc = QuantumCircuit(2)
    qc.ry(Parameter("a"), 0)
    qc.cx(0, 1)
    qc.rx(Parameter("b"), 1)
    spo = SparsePauliOp(["ZZ", "XI"], [1.0, 0.5])
    res = backends.gradient("aer", qc, [0.4, -0.8], spo, method="param-shift", shots=400, seed=3)
    job = res.extra["jobs"][0]
    out = json.loads(_fetch(capsys, job, "--json"))
    assert out["kind"] == "gradient" and out["method"] == "param-shift"
    np.testing.assert_allclose(out["value"], res.value, rtol=0, atol=0)
    np.testing.assert_allclose(out["std_error"], res.std_error, rtol=0, atol=0)
    text = _fetch(capsys, job)
    assert f"[0] {res.value[0]:+.6f} ± {res.std_error[0]:.6f}" in text
    raw = json.loads(_fetch(capsys, job, "--raw", "--json"))
    assert set(raw["arrays"]) and all(k.startswith(("evs_", "stds_", "bits_")) for k in raw["arrays"])
    npz = cache / "g.npz"
    _fetch(capsys, job, "--out", str(npz))
    np.testing.assert_array_equal(np.load(npz)["value"], res.value)


def test_jobs_fetch_returns_the_shadow(cache, capsys):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    res = backends.shadow("aer", qc, None, 50, seed=5)
    out = json.loads(_fetch(capsys, res.jobs[0], "--json"))
    assert out["kind"] == "shadow"
    np.testing.assert_array_equal(out["bits"], res.shadow.bits)
    np.testing.assert_array_equal(out["recipes"], res.shadow.recipes)
