"""``qml.device("qdist.qubit", wires=..., shots=..., seed=...)``: qdist's simulator as a PennyLane device.

Built on PennyLane's device API (``pennylane.devices.Device``) and registered through the
``pennylane.plugins`` entry point. What it does with a QNode's tapes:

* **preprocessing**: mid-circuit measurements deferred, every operation that is not native to
  qdist (`qdist.plugins.pennylane_ops.NATIVE`) decomposed by PennyLane, broadcast parameters
  expanded, wires and measurements validated; with shots, non-commuting measurements split;
* **execution** (`qdist.plugins.pennylane_run`): exact results from the final state, or seeded
  finite-shot samples (``seed``: an int for reproducible shots, ``None`` for fresh entropy);
* **derivatives**: ``diff_method="adjoint"`` (also chosen by ``"best"`` without shots) uses
  qdist's adjoint gradient [`value_and_grad`][qdist.value_and_grad], one sweep per expectation
  value, in both the autograd and the jax interfaces (``jax.jit`` too); any other PennyLane
  gradient transform (``"parameter-shift"``, ``"hadamard"``, ``"finite-diff"``) runs on the device.

Example:

```python
dev = qml.device("qdist.qubit", wires=2)

@qml.qnode(dev, diff_method="adjoint")
def f(x):
    qml.RX(x, 0); qml.CNOT([0, 1])
    return qml.expval(qml.Z(1))
```
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    no_sampling,
    validate_adjoint_trainable_params,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import CountsMP, ExpectationMP
from pennylane.transforms import broadcast_expand, defer_measurements, split_non_commuting
from pennylane.transforms.core import CompilePipeline, transform

from qdist.plugins.pennylane_ops import NATIVE, supported, trainable_ok
from qdist.plugins.pennylane_run import adjoint_jacobian, exact_results, sampled_results

__all__ = ["QdistQubit"]

_NAME = "qdist.qubit"


_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdist.qubit")


def _untraced(fn, *args):
    """``fn(*args)`` on a worker thread. PennyLane's jax interface calls the device inside its own
    JAX trace (a custom JVP), and JAX's trace state is per thread: there qdist's JAX code runs
    eagerly on the concrete numbers the tapes carry."""
    return _WORKER.submit(fn, *args).result()


def _identity(results):
    return results[0]


@transform
def _split_sampled(tape):
    """Split non-commuting measurements of a finite-shot tape (exact tapes read one state)."""
    if tape.shots:
        return split_non_commuting(tape)
    return (tape,), _identity


@transform
def _no_counts(tape):
    if any(isinstance(mp, CountsMP) for mp in tape.measurements):
        raise NotImplementedError("qdist.qubit: qml.counts is not supported under jax.jit")
    return (tape,), _identity


def _observable_ok(obs) -> bool:
    return obs.has_diagonalizing_gates or obs.has_matrix


def _adjoint_observable(obs) -> bool:
    return obs.pauli_rep is not None or (obs.has_matrix and len(obs.wires) <= 10)


def _analytic_measurement(mp) -> bool:
    return isinstance(mp, qml.measurements.StateMeasurement)


def _sample_measurement(mp) -> bool:
    if not isinstance(mp, qml.measurements.SampleMeasurement):
        return False
    return mp.obs is None or mp.obs.has_diagonalizing_gates


@simulator_tracking
@single_tape_support
class QdistQubit(Device):
    """qdist's JAX state-vector simulator as a PennyLane device (module docstring).

    Args:
        wires: number of wires or their labels (``None``: the wires of each circuit).
        shots: default shots (``None``: exact results).
        seed: seed of the finite-shot samples (int, ``numpy.random.Generator`` or ``None``).
    """

    name = _NAME

    def __init__(self, wires=None, shots=None, seed=None):
        super().__init__(wires=wires, shots=shots)
        if seed is not None and not isinstance(seed, (int, np.integer, np.random.Generator)):
            raise ValueError(f"seed: expected an int, a numpy Generator or None, got {seed!r}")
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    # ------------------------------------------------------------------ configuration

    def supports_derivatives(self, execution_config=None, circuit=None) -> bool:
        """Adjoint derivatives of exact expectation values."""
        if execution_config is None:
            return True
        if execution_config.gradient_method not in {"adjoint", "best"}:
            return False
        if circuit is None:
            return True
        return not circuit.shots and all(
            isinstance(m, ExpectationMP) and _adjoint_observable(m.obs) for m in circuit.measurements
        )

    def setup_execution_config(self, config=None, circuit=None) -> ExecutionConfig:
        config = config or ExecutionConfig()
        updates = {}
        method = config.gradient_method
        if method == "best":
            method = "adjoint"
            updates["gradient_method"] = method
        if config.use_device_gradient is None:
            updates["use_device_gradient"] = method == "adjoint"
        if config.grad_on_execution is None:
            updates["grad_on_execution"] = method == "adjoint"
        if config.use_device_jacobian_product is None:
            updates["use_device_jacobian_product"] = False
        mcm = config.mcm_config
        if mcm.mcm_method not in (None, "deferred"):
            raise DeviceError(
                f"mcm_method {mcm.mcm_method!r} not supported on {_NAME}; supported: 'deferred'"
            )
        if mcm.postselect_mode == "fill-shots" or mcm.mcm_method is None:
            updates["mcm_config"] = replace(mcm, mcm_method="deferred")
        return replace(config, **updates)

    def preprocess_transforms(self, execution_config=None) -> CompilePipeline:
        config = execution_config or ExecutionConfig()
        program = CompilePipeline()
        if config.interface == qml.math.Interface.JAX_JIT:
            program.add_transform(_no_counts)
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(
            decompose,
            stopping_condition=supported,
            device_wires=self.wires,
            target_gates=NATIVE,
            name=_NAME,
        )
        program.add_transform(validate_device_wires, self.wires, name=_NAME)
        program.add_transform(validate_observables, _observable_ok, name=_NAME)
        program.add_transform(
            validate_measurements,
            analytic_measurements=_analytic_measurement,
            sample_measurements=_sample_measurement,
            name=_NAME,
        )
        program.add_transform(_split_sampled)
        program.add_transform(broadcast_expand)
        if config.gradient_method == "adjoint":
            name = f"adjoint + {_NAME}"
            program.add_transform(no_sampling, name=name)
            program.add_transform(decompose, stopping_condition=trainable_ok, target_gates=NATIVE, name=name)
            program.add_transform(validate_observables, _adjoint_observable, name=name)
            program.add_transform(validate_adjoint_trainable_params)
        return program

    # ------------------------------------------------------------------ execution

    def _wire_order(self, tape):
        return self.wires if self.wires is not None else tape.wires

    def _seed(self) -> int:
        return int(self._rng.integers(2**62))

    def execute(self, circuits, execution_config=None):
        return _untraced(self._execute, circuits)

    def _execute(self, circuits):
        out = []
        for tape in circuits:
            order = self._wire_order(tape)
            if tape.shots:
                out.append(sampled_results(tape, order, self._seed()))
            else:
                out.append(exact_results(tape, order))
        return tuple(out)

    def compute_derivatives(self, circuits, execution_config=None):
        return self.execute_and_compute_derivatives(circuits, execution_config)[1]

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        pairs = _untraced(lambda: [adjoint_jacobian(t, self._wire_order(t)) for t in circuits])
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
