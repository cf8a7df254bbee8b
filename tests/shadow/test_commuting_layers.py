"""Layers of mutually commuting Pauli rotations (overlapping supports allowed).

The layer identity ∂_j f = Im⟨b|P_j|a⟩ needs only that P_j commutes with the rest of its layer; the
derivatives are checked against central finite differences of `qdist.expval` (independent of the
layer code), the layer split against hand-counted layers, and the copies against the closed form.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import qdist
from qdist.network import costs
from qdist.network.spec import ModelSpec, flat_circuit
from shadows.layers import find_layers, paulis_commute


def _fd(c, p, obs, h=1e-5):
    """Central differences: error O(h²·|f'''|) ≈ 1e-10, rounding ≈ 1e-16/h ≈ 1e-11."""
    out = np.zeros(len(p))
    for i in range(len(p)):
        e = np.zeros(len(p))
        e[i] = h
        out[i] = (qdist.expval(c, p + e, obs) - qdist.expval(c, p - e, obs)) / (2 * h)
    return out


def test_commutation_rule():
    assert paulis_commute(((0, "X"), (1, "X")), ((0, "Y"), (1, "Y")))  # two differences
    assert paulis_commute(((0, "X"), (1, "X")), ((1, "X"), (2, "X")))  # same letter on the overlap
    assert not paulis_commute(((0, "X"), (1, "X")), ((0, "Z"), (1, "X")))  # one difference
    assert paulis_commute(((0, "Z"),), ((1, "X"),))  # disjoint


def test_overlapping_commuting_generators_form_one_layer_and_the_identity_holds():
    ops = [
        qdist.gate("RY", 0, 0),
        qdist.gate("RY", 2, 1),
        qdist.gate("CX", (0, 1)),
        # one layer: XX(0,1), YY(0,1), ZZ(0,1) commute pairwise, and XXZ(0,1,2) with all three
        qdist.pauli_rot("XX", (0, 1), 2),
        qdist.pauli_rot("YY", (0, 1), 3),
        qdist.pauli_rot("ZZ", (0, 1), 4),
        qdist.pauli_rot("XXZ", (0, 1, 2), 5),
        qdist.gate("CZ", (1, 2)),
        qdist.gate("RX", 1, 6),
    ]
    c = qdist.make_circuit(3, ops)
    layers = find_layers(c)
    assert [len(layer.ops) for layer in layers] == [2, 4, 1]  # RY,RY | XX,YY,ZZ,XXZ | RX
    p = np.random.default_rng(3).uniform(-np.pi, np.pi, c.num_params)
    obs = qdist.pauli_sum({"ZXI": 1.0, "IYZ": -0.5})
    r = qdist.grad(c, p, obs, method="shadow")  # exact expectations of the ancilla observables
    assert np.abs(r.value - _fd(c, p, obs)).max() < 1e-8
    # the 4-rotation layer is not qubit-wise commuting: XX and YY need separate settings
    s = qdist.grad(c, p, obs, method="shadow", shots=100, seed=0)
    assert s.copies > 100 * len(layers) * 2


def test_anticommuting_generators_still_split():
    ops = [qdist.gate("RX", 0, 0), qdist.gate("RZ", 0, 1), qdist.pauli_rot("XX", (0, 1), 2)]
    ops.append(qdist.pauli_rot("ZX", (0, 1), 3))  # anticommutes with XX: one differing letter
    c = qdist.make_circuit(2, ops)
    assert [layer.ops for layer in find_layers(c)] == [(0,), (1,), (2,), (3,)]
    p = np.array([0.3, -0.7, 1.1, 0.4])
    obs = qdist.pauli("ZZ", (0, 1))
    assert np.abs(qdist.grad(c, p, obs, method="shadow").value - _fd(c, p, obs)).max() < 1e-8


def _wide(n):
    """RY on every wire | all 2ⁿ − 1 Z-string rotations | RX on every wire."""
    ops = [qdist.gate("RY", w, w) for w in range(n)]
    k = n
    for size in range(1, n + 1):
        for s in itertools.combinations(range(n), size):
            ops.append(qdist.pauli_rot("Z" * size, s, k))
            k += 1
    ops += [qdist.gate("RX", w, k + w) for w in range(n)]
    return qdist.make_circuit(n, ops)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_wide_layer_costs_one_circuit_whatever_its_width(n):
    c = _wide(n)
    assert c.num_params == 2 * n + 2**n - 1
    obs = qdist.pauli("Z" * n, tuple(range(n)))
    r = qdist.grad(c, np.zeros(c.num_params) + 0.3, obs, method="shadow", shots=50, seed=1)
    assert r.circuits == 3 and r.copies == 3 * 50  # 3 layers, 1 term, one setting per layer


def test_wide_layer_shadow_gradient_unbiased():
    """|est − exact| ≤ 5σ per component (σ = exact single-shot variance / shots); false failure
    ≈ 13 × 5.7e-7 (Gaussian limit at 4000 shots)."""
    c = _wide(3)
    p = np.random.default_rng(5).uniform(-np.pi, np.pi, c.num_params)
    obs = qdist.pauli_sum({"ZXI": 1.0, "IYZ": 0.5})
    _, g = qdist.value_and_grad(c, p, obs)
    r = qdist.grad(c, p, obs, method="shadow", shots=4000, seed=2)
    assert r.circuits == 3 * 2
    sigma = np.array(r.extra["exact_std_error"])
    assert np.all(np.abs(r.value - g) <= 5 * sigma + 1e-12)


@pytest.mark.parametrize("model", ["hea", "diag"])
def test_closed_form_layers_match_find_layers(model):
    """`costs.gate_layers` (integers, valid at n = 60) against the layers found in the circuit."""
    spec = ModelSpec(features=8, layers=4, parties=2, model=model, schedule="interleaved")
    found = len(find_layers(flat_circuit(spec)))
    closed = sum(c for s in range(len(spec.segments)) for _, c in costs.gate_layers(spec, s))
    assert found == closed == (2 * 4 + (2 if model == "diag" else 0))
