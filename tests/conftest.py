"""Fixtures shared by every test folder (fixtures only: the reference code is in ``tests/helpers``)."""

from __future__ import annotations

import types

import pytest
from helpers import circuits, reference


@pytest.fixture(scope="session")
def ref():
    """The reference helpers as one namespace (``ref.random_spec(...)``, ``ref.build_qiskit(...)`` …):
    `helpers.circuits` and `helpers.reference`."""
    return types.SimpleNamespace(
        GATE_TABLE=circuits.GATE_TABLE,
        random_spec=circuits.random_spec,
        random_case=circuits.random_case,
        monomial_runs_spec=circuits.monomial_runs_spec,
        angle_value=circuits.angle_value,
        build_qdist=circuits.build_qdist,
        build_qiskit=circuits.build_qiskit,
        build_pennylane=circuits.build_pennylane,
        random_observable=reference.random_observable,
        obs_qdist=reference.obs_qdist,
        obs_qiskit=reference.obs_qiskit,
        obs_pennylane=reference.obs_pennylane,
        from_qiskit_order=reference.from_qiskit_order,
        qiskit_state=reference.qiskit_state,
    )
