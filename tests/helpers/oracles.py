"""Independent oracles for the simulator's tests: Qiskit ``Statevector`` values, PennyLane
``default.qubit`` parameter-shift gradients and fourth-order finite differences, built from the
reference circuits of `helpers.circuits` (the ``ref`` fixture)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp
from qiskit.quantum_info import Statevector


def pennylane_param_shift(ref, n, spec, params, data, terms):
    """∇f by PennyLane's parameter-shift rule on default.qubit (shared/affine angles through autograd)."""
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, diff_method="parameter-shift", interface="autograd")
    def circuit(p):
        with qml.QueuingManager.stop_recording():
            ops = ref.build_pennylane(n, spec, p, data, shiftable=True)
        for op in ops:
            qml.apply(op)
        return qml.expval(ref.obs_pennylane(terms))

    return np.asarray(qml.grad(circuit)(pnp.array(params, requires_grad=True)))


def qiskit_expval(ref, n, spec, params, data, terms):
    sv = Statevector.from_int(0, 2**n).evolve(ref.build_qiskit(n, spec, params, data))
    return float(np.real(sv.expectation_value(ref.obs_qiskit(terms))))


def finite_difference(fn, params, h=1e-3):
    """Fourth-order central differences: f' ≈ [f(−2h) − 8f(−h) + 8f(h) − f(2h)] / 12h."""
    g = np.zeros(len(params))
    for j in range(len(params)):
        e = np.zeros(len(params))
        e[j] = h
        g[j] = (fn(params - 2 * e) - 8 * fn(params - e) + 8 * fn(params + e) - fn(params + 2 * e)) / (12 * h)
    return g
