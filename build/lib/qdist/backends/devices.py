"""Devices behind the backend strings: fake IBM devices, their restricted noise models, IBM Quantum.

**Restricted noise model ([local testing mode][local-testing-mode]).** Qiskit Runtime's local testing mode hands the *whole*
device noise model (133 qubits for Torino) to Aer on every job: 5–27 s per job whatever the circuit.
[`restricted_noise_model`][qdist.backends.restricted_noise_model] builds the same errors — Aer's ``basic_device_readout_errors`` and
``basic_device_gate_errors`` (gate error + thermal relaxation, temperature 0), exactly what
``FakeBackendV2._get_noise_model_from_backend_v2`` calls — from the device's calibration with the
gate list cut down to the physical qubits the ISA circuit uses. Errors on other qubits cannot act on
the circuit, so the counts are bit-identical to the full device for the same ``seed_simulator``
(tested); the model is pickled under ``<cache>/noise/`` keyed by device, calibration date, Aer version
and qubits, so a later job loads it in ~0.1 s.

**Error budget.** `noise_bound` bounds how far a noisy expectation of a ±1-valued Pauli
measurement can be from the ideal one, from the same error rates (see its docstring); the tests
use it as the bias part of their tolerances.

**IBM Quantum.** `ibm_service` uses a saved account (``QiskitRuntimeService.save_account``) or
``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` and checks that one of them exists *before* creating
the service, so a missing credential is a one-line error and never a network call.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache

import numpy as np

from qdist.backends.cache import atomic_write_pickle, cache_dir, sha256
from qdist.backends.spec import BackendError

# ---------------------------------------------------------------------------------------------
# fake devices
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fake_devices() -> dict:
    """``{short name: FakeBackendV2}`` for every fake device of ``qiskit_ibm_runtime`` (~0.3 s once)."""
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {b.name.removeprefix("fake_"): b for b in FakeProviderForBackendV2().backends()}


def fake_names() -> list[str]:
    """Short names of the fake devices (``torino``, ``fez``, ``sherbrooke``, …), sorted."""
    return sorted(_fake_devices())


def fake_device(name: str):
    """The fake device ``name`` (``"torino"`` or ``"fake_torino"``): a ``FakeBackendV2`` instance."""
    short = name.lower().removeprefix("fake_")
    devices = _fake_devices()
    if short not in devices:
        near = [n for n in fake_names() if n.startswith(short[:2])] or fake_names()[:8]
        raise BackendError(
            f"backend: unknown fake device {name!r}; e.g. {', '.join(near[:8])} "
            f"({len(devices)} devices in qiskit_ibm_runtime.fake_provider)"
        )
    return devices[short]


def device_id(device) -> str:
    """Name, version and calibration date of a device (the noise-model cache key)."""
    props = getattr(device, "_props_dict", None)
    if props is None and hasattr(device, "_set_props_dict_from_json"):
        device._set_props_dict_from_json()
        props = device._props_dict
    stamp = str((props or {}).get("last_update_date", ""))
    return f"{device.name}|{getattr(device, 'backend_version', '')}|{stamp}"


# ---------------------------------------------------------------------------------------------
# restricted noise model
# ---------------------------------------------------------------------------------------------
def _build_restricted(device, qubits: tuple[int, ...]):
    """The device's Aer noise model with only the errors acting inside ``qubits`` (module docstring)."""
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.device.models import basic_device_gate_errors, basic_device_readout_errors
    from qiskit_ibm_runtime.models import BackendProperties

    if device._props_dict is None:
        device._set_props_dict_from_json()
    full = device._props_dict
    keep = set(qubits)
    cut = dict(full)
    cut["gates"] = [g for g in full["gates"] if set(g["qubits"]) <= keep]
    props = BackendProperties.from_dict(cut)
    model = NoiseModel(basis_gates=device.configuration().basis_gates)
    for qs, error in basic_device_readout_errors(props):
        if set(qs) <= keep:
            model.add_readout_error(error, qs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="qiskit_aer.noise.device.models")
        errors = basic_device_gate_errors(
            props, gate_error=True, thermal_relaxation=True, gate_lengths=None, temperature=0
        )
    for gate_name, qs, error in errors:
        model.add_quantum_error(error, gate_name, qs)
    return model


_NOISE_MEMO: dict[str, object] = {}


def restricted_noise_model(device, qubits) -> object:
    """Aer ``NoiseModel`` of ``device`` restricted to the physical ``qubits`` (cached in memory and
    under ``<cache>/noise/``)."""
    import pickle

    import qiskit_aer

    qubits = tuple(sorted({int(q) for q in qubits}))
    key = sha256(device_id(device), qiskit_aer.__version__, list(qubits))[:24]
    if key in _NOISE_MEMO:
        return _NOISE_MEMO[key]
    path = cache_dir() / "noise" / f"{device.name}-{key}.pkl"
    model = None
    if path.exists():
        try:
            with open(path, "rb") as fh:
                model = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a stale or truncated cache file is rebuilt
            model = None
    if model is None:
        model = _build_restricted(device, qubits)
        atomic_write_pickle(path, model)
    if len(_NOISE_MEMO) > 32:
        _NOISE_MEMO.clear()
    _NOISE_MEMO[key] = model
    return model


# ---------------------------------------------------------------------------------------------
# error budget
# ---------------------------------------------------------------------------------------------
def _is_identity_circuit(qc) -> bool:
    """The circuit is the identity up to a global phase (``id``/``pauli("II")``/… instructions)."""
    from qiskit.quantum_info import Operator

    if any(ins.operation.name in ("reset", "kraus", "superop", "measure") for ins in qc.data):
        return False
    try:
        u = Operator(qc).data
    except Exception:  # noqa: BLE001 - non-unitary instruction
        return False
    return bool(np.allclose(u, u[0, 0] * np.eye(u.shape[0]), atol=1e-10) and abs(abs(u[0, 0]) - 1) < 1e-10)


_BOUNDS: dict[int, tuple] = {}


def _choi_bound(error) -> float:
    """Memoised `_choi_bound_uncached` (by object identity; the error is kept alive)."""
    hit = _BOUNDS.get(id(error))
    if hit is None or hit[0] is not error:
        if len(_BOUNDS) > 4096:
            _BOUNDS.clear()
        hit = _BOUNDS[id(error)] = (error, _choi_bound_uncached(error))
    return hit[1]


def _choi_bound_uncached(error) -> float:
    """``min(2(1 − p_id), ‖J(E) − J(id)‖₁)`` ≥ ``‖E − id‖◇`` for an Aer ``QuantumError`` E.

    * ``E = p_id·id + (1 − p_id)·F`` (``p_id`` = total probability of its identity circuits) gives
      ``‖E − id‖◇ = (1 − p_id)‖F − id‖◇ ≤ 2(1 − p_id)``;
    * for any map Φ with unnormalised Choi matrix ``J(Φ) = Σ_ij |i⟩⟨j| ⊗ Φ(|i⟩⟨j|)``,
      ``‖Φ‖◇ = max_ρ ‖(√ρ ⊗ I) J (√ρ ⊗ I)‖₁ ≤ ‖J‖₁`` (Watrous, Theory of QI, §3.3).
    """
    from qiskit.quantum_info import Choi

    p_id = sum(
        p for qc, p in zip(error.circuits, error.probabilities, strict=True) if _is_identity_circuit(qc)
    )
    j = Choi(error.to_quantumchannel()).data
    d = 2**error.num_qubits
    omega = np.zeros((d * d, d * d), dtype=complex)
    for a in range(d):
        for b in range(d):
            omega[a * d + a, b * d + b] = 1.0  # J(id) = |Ω⟩⟨Ω|, |Ω⟩ = Σ|ii⟩ (Qiskit's Choi ordering agrees)
    diff = j - omega
    trace_norm = float(np.sum(np.abs(np.linalg.eigvalsh((diff + diff.conj().T) / 2))))
    return float(min(2.0 * (1.0 - p_id), trace_norm))


def noise_bound(noise_model, isa_circuit, measured_qubits=(), basis_change_qubits=()) -> dict:
    """Upper bound on ``|E_noisy[m] − E_ideal[m]|`` for a ±1-valued Pauli measurement ``m``.

    With each noisy gate = ideal gate followed by an error channel ``E_g``, the state before
    measurement satisfies ``‖ρ' − ρ‖₁ ≤ Σ_g ‖E_g − id‖◇`` (triangle inequality + contractivity), and
    ``|tr(P(ρ' − ρ))| ≤ ‖ρ' − ρ‖₁`` for ``‖P‖ = 1``. Readout then flips bit q with probability
    ``≤ r_q = max(P(1|0), P(0|1))``; a product of ±1 outcomes changes only if some bit flips, so the
    mean moves by at most ``2·Σ_q r_q``. Hence

        bias ≤ gates + readout,  gates = Σ_{instructions} ‖E_g − id‖◇ (bounded by `_choi_bound`),
        readout = 2·Σ_{q measured} r_q.

    ``basis_change_qubits``: qubits on which an Estimator appends an X/Y basis change after the
    circuit, unrolled to ≤ 2 ``sx`` (+ virtual ``rz``); each adds twice its ``sx`` error bound.
    For an observable ``Σ_k c_k P_k`` multiply by ``Σ_k |c_k|``; for a parameter-shift derivative
    ``Σ_μ |c_μ|·bias`` (= bias for the two-term rule). Rates are those of the (restricted) Aer noise
    model, i.e. the device's calibration data.

    Returns ``{"gates": …, "readout": …, "total": …, "instructions": …}``.
    """
    gates, count = 0.0, 0
    local = getattr(noise_model, "_local_quantum_errors", {}) if noise_model is not None else {}
    default = getattr(noise_model, "_default_quantum_errors", {}) if noise_model is not None else {}
    for ins in isa_circuit.data:
        name = ins.operation.name
        if name in ("barrier", "measure"):
            continue
        qs = tuple(isa_circuit.find_bit(q).index for q in ins.qubits)
        err = local.get(name, {}).get(qs) or default.get(name)
        if err is not None:
            gates += _choi_bound(err)
            count += 1
    for q in basis_change_qubits:
        err = local.get("sx", {}).get((int(q),)) or default.get("sx")
        if err is not None:
            gates += 2 * _choi_bound(err)
            count += 2
    readout = 0.0
    ro = getattr(noise_model, "_local_readout_errors", {}) if noise_model is not None else {}
    for q in measured_qubits:
        err = ro.get((int(q),))
        if err is not None:
            p = np.asarray(err.probabilities)
            readout += 2.0 * float(max(p[0, 1], p[1, 0]))
    return {"gates": gates, "readout": readout, "total": gates + readout, "instructions": count}


# ---------------------------------------------------------------------------------------------
# IBM Quantum
# ---------------------------------------------------------------------------------------------
_NO_CREDENTIALS = (
    "backend: {spec} needs IBM Quantum credentials: save an account with "
    "QiskitRuntimeService.save_account(token=..., instance=...) or set QISKIT_IBM_TOKEN and "
    "QISKIT_IBM_INSTANCE"
)


def has_credentials() -> bool:
    """A saved IBM Quantum account or ``QISKIT_IBM_TOKEN`` exists (files and environment only)."""
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    try:
        from qiskit_ibm_runtime.accounts import AccountManager

        AccountManager.get()
    except Exception:  # noqa: BLE001 - AccountNotFoundError, unreadable file, …
        return False
    return True


def ibm_service(spec: str = "ibm"):
    """``QiskitRuntimeService`` from the environment or the saved account; one-line
    [`BackendError`][qdist.backends.BackendError] without credentials (checked before any network call)."""
    if not has_credentials():
        raise BackendError(_NO_CREDENTIALS.format(spec=spec))
    from qiskit_ibm_runtime import QiskitRuntimeService

    token = os.environ.get("QISKIT_IBM_TOKEN")
    try:
        if token:
            return QiskitRuntimeService(
                channel=os.environ.get("QISKIT_IBM_CHANNEL", "ibm_quantum_platform"),
                token=token,
                instance=os.environ.get("QISKIT_IBM_INSTANCE"),
            )
        return QiskitRuntimeService()
    except Exception as exc:  # noqa: BLE001 - authentication / network errors of several types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendError(f"backend: cannot open IBM Quantum for {spec} ({first})") from None


def ibm_device(service, name: str, min_qubits: int = 1):
    """Device ``name`` of ``service`` (also tried as ``ibm_<name>`` and ``fake_<name>``, the local
    service's names); ``least_busy`` asks the service for the least busy operational device."""
    if name == "least_busy":
        try:
            if type(service).__name__ == "QiskitRuntimeLocalService":
                return service.least_busy(min_num_qubits=min_qubits)
            return service.least_busy(operational=True, simulator=False, min_num_qubits=min_qubits)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(
                f"backend: no IBM device with ≥ {min_qubits} qubits available ({exc})"
            ) from None
    tried = []
    for cand in (name, f"ibm_{name}", f"fake_{name}"):
        tried.append(cand)
        try:
            return service.backend(cand)
        except Exception:  # noqa: BLE001 - QiskitBackendNotFoundError and friends
            continue
    try:
        names = sorted(b.name for b in service.backends())[:10]
    except Exception:  # noqa: BLE001
        names = []
    hint = f"; available: {', '.join(names)}" if names else ""
    raise BackendError(f"backend: unknown IBM device {name!r}{hint}")


__all__ = [
    "device_id",
    "fake_device",
    "fake_names",
    "has_credentials",
    "ibm_device",
    "ibm_service",
    "noise_bound",
    "restricted_noise_model",
]
