"""Backend strings: one string chooses where circuits run, in the API and the CLI (issue 6).

=====================  ==============================================================================
``jax``                the exact JAX simulator with exact Born sampling (default; no jobs)
``pennylane:<device>`` a PennyLane device, e.g. ``pennylane:lightning.qubit``, via ``qdist.to_pennylane``
``aer``                Qiskit Aer (shots), optionally with a noise model
``fake:<name>``        a fake IBM device (``fake:torino``, ``fake:fez``, ``fake:sherbrooke`` …) emulated
                       locally with its own noise model restricted to the qubits the ISA circuit uses
``ibm:<name>``         a real IBM device through ``QiskitRuntimeService``; ``ibm:least_busy`` picks one
=====================  ==============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("jax", "pennylane", "aer", "fake", "ibm")
#: kinds whose circuits go through Qiskit (ISA transpilation, primitives, job registry)
QISKIT_KINDS = ("aer", "fake", "ibm")
#: kinds that run on this machine (mitigation options do not apply)
LOCAL_KINDS = ("jax", "pennylane", "aer", "fake")

_EXPECTED = "expected jax, pennylane:<device>, aer, fake:<name> or ibm:<name>"


class BackendError(ValueError):
    """A backend that cannot be used as asked (unknown name, no credentials, circuit too wide):
    a user mistake with a one-line message naming the argument."""


class JobFailedError(RuntimeError):
    """A primitive job that still failed after the retries; the message names the job and the reason."""


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend string: ``kind`` (one of `KINDS`) and the device ``name`` (or ``None``)."""

    kind: str
    name: str | None = None

    def __str__(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"

    @property
    def is_qiskit(self) -> bool:
        return self.kind in QISKIT_KINDS

    @property
    def is_local(self) -> bool:
        return self.kind in LOCAL_KINDS


def parse_backend(text) -> BackendSpec:
    """``"fake:torino"`` → ``BackendSpec("fake", "torino")``; a one-line [`BackendError`][qdist.backends.BackendError] naming
    ``backend`` for anything else than the five forms of the module docstring."""
    if isinstance(text, BackendSpec):
        return text
    if not isinstance(text, str) or not text.strip():
        raise BackendError(f"backend: {_EXPECTED}, got {text!r}")
    kind, sep, name = text.strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise BackendError(f"backend: unknown backend {text!r}; {_EXPECTED}")
    if kind in ("jax", "aer"):
        if sep:
            raise BackendError(f"backend: {kind!r} takes no device name, got {text!r}")
        return BackendSpec(kind)
    if not name:
        raise BackendError(f"backend: {kind!r} needs a device name, e.g. {kind}:{_EXAMPLE[kind]}")
    if kind == "fake":
        name = name.lower().removeprefix("fake_")
    return BackendSpec(kind, name)


_EXAMPLE = {"pennylane": "lightning.qubit", "fake": "torino", "ibm": "least_busy"}
