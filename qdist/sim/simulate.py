"""Run a :class:`~qdist.sim.circuit.Circuit` on a state vector, and take expectations.

Everything here is a pure function of ``(params, state, data)``; the circuit and the observable are
static Python data that the functions close over, so they trace once under ``jax.jit`` and batch
under ``jax.vmap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim.apply import apply_diagonal, apply_matrix, apply_pauli, pauli_sign_vector
from qdist.sim.circuit import Circuit, Op
from qdist.sim.gates import gate_spec, pauli_string_matrix
from qdist.sim.observables import Observable


@dataclass(frozen=True)
class Step:
    """An operation prepared for simulation (static data only)."""

    op: Op
    fixed_matrix: np.ndarray | None  # concrete matrix (or diagonal) when no angle is trainable
    diagonal: bool
    pattern: np.ndarray | None  # possible non-zeros of the matrix for every angle
    dpattern: np.ndarray | None  # possible non-zeros of any angle derivative


def _angles_concrete(op: Op) -> np.ndarray:
    return np.array([a.offset for a in op.angles], dtype=np.float64)


@lru_cache(maxsize=4096)
def _gate_patterns(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    spec = gate_spec(name)
    rng = np.random.default_rng(1234)
    pat = np.zeros((2**spec.num_wires,) * 2, dtype=bool)
    dpat = np.zeros_like(pat) if spec.num_params else None
    for _ in range(3):
        a = jnp.asarray(rng.uniform(-np.pi, np.pi, spec.num_params))
        pat |= np.abs(np.asarray(spec.matrix(a))) > 1e-14
        if spec.num_params:
            jac = np.asarray(jax.jacfwd(lambda x: spec.matrix(x).real)(a)) + 1j * np.asarray(
                jax.jacfwd(lambda x: spec.matrix(x).imag)(a)
            )
            dpat |= np.any(np.abs(jac) > 1e-14, axis=-1)
    return pat, dpat


def prepare(circuit: Circuit) -> tuple[Step, ...]:
    """Static per-op data: fixed matrices evaluated once, sparsity patterns of trainable gates."""
    steps = []
    for op in circuit.ops:
        if op.kind == "gate":
            spec = gate_spec(op.name)
            pat, dpat = _gate_patterns(spec.name)
            fixed = None if op.trainable else np.asarray(spec.matrix(jnp.asarray(_angles_concrete(op))))
            if fixed is not None and spec.diagonal:
                fixed = np.diag(fixed)
            steps.append(Step(op, fixed, spec.diagonal, pat, dpat))
        elif op.kind == "pauli_rot":
            fixed = None
            if not op.trainable:
                th = op.angles[0].offset
                p = pauli_string_matrix(op.pauli)
                fixed = np.cos(th / 2) * np.eye(len(p)) - 1j * np.sin(th / 2) * p
            steps.append(Step(op, fixed, False, None, None))
        elif op.kind == "unitary":
            steps.append(Step(op, op.matrix, False, None, None))
        elif op.kind == "diagonal":
            steps.append(Step(op, op.matrix, True, None, None))
        elif op.kind == "data_phase":
            steps.append(Step(op, None, True, None, None))
        else:  # pragma: no cover - guarded by make_circuit
            raise ValueError(f"op: unknown kind {op.kind!r}")
    return tuple(steps)


def op_angles(op: Op, params: jnp.ndarray) -> jnp.ndarray:
    """Angles of ``op``: ``coeff · params[index] + offset`` (DESIGN.md §4 parameter references)."""
    vals = [a.coeff * params[a.index] + a.offset if a.trainable else a.offset for a in op.angles]
    return jnp.stack([jnp.asarray(v, dtype=params.dtype) for v in vals])


def _pauli_word(op: Op) -> tuple[tuple[int, str], ...]:
    return tuple((w, p) for w, p in zip(op.wires, op.pauli, strict=True) if p != "I")


def apply_step(step: Step, psi: jnp.ndarray, params, data, n: int, adjoint: bool = False) -> jnp.ndarray:
    """Apply one step (or its inverse when ``adjoint``) to ``psi``."""
    op = step.op
    if step.fixed_matrix is not None:
        m = step.fixed_matrix
        if step.diagonal:
            d = np.conj(m) if adjoint else m
            return apply_diagonal(psi, jnp.asarray(d, dtype=psi.dtype), op.wires, n)
        return apply_matrix(psi, np.conj(m).T if adjoint else m, op.wires, n)
    if op.kind == "data_phase":
        start, stop = op.data_slice
        phases = (-1.0 if adjoint else 1.0) * op.scale * data[start:stop]
        return apply_diagonal(psi, jnp.exp(1j * phases).astype(psi.dtype), op.wires, n)
    angles = op_angles(op, params)
    if op.kind == "pauli_rot":
        th = -angles[0] if adjoint else angles[0]
        c, s = jnp.cos(th / 2).astype(psi.dtype), jnp.sin(th / 2).astype(psi.dtype)
        return c * psi - 1j * s * apply_pauli(psi, _pauli_word(op), n)
    spec = gate_spec(op.name)
    m = spec.matrix(angles).astype(psi.dtype)
    if step.diagonal:
        d = jnp.diagonal(m)
        return apply_diagonal(psi, jnp.conj(d) if adjoint else d, op.wires, n)
    if adjoint:
        return apply_matrix(psi, jnp.conj(m).T, op.wires, n, pattern=step.pattern.T)
    return apply_matrix(psi, m, op.wires, n, pattern=step.pattern)


def run_steps(steps, psi, params, data, n: int) -> jnp.ndarray:
    """Final state ``U(θ; data) ψ``."""
    for step in steps:
        psi = apply_step(step, psi, params, data, n)
    return psi


def apply_observable(obs: Observable, psi: jnp.ndarray, n: int) -> jnp.ndarray:
    """``O ψ = Σ_k c_k P_k ψ``."""
    out = None
    for c, word in zip(obs.coeffs, obs.words, strict=True):
        term = c * apply_pauli(psi, word, n)
        out = term if out is None else out + term
    return jnp.zeros_like(psi) if out is None else out


def expectation(obs: Observable, psi: jnp.ndarray, n: int) -> jnp.ndarray:
    """``⟨ψ|O|ψ⟩`` (real); Z-only strings use the probabilities directly."""
    probs = None
    total = jnp.zeros((), dtype=jnp.real(psi).dtype)
    for c, word in zip(obs.coeffs, obs.words, strict=True):
        if all(p == "Z" for _, p in word):
            if probs is None:
                probs = (jnp.abs(psi) ** 2).reshape((2,) * n)
            total = total + c * jnp.sum(probs * pauli_sign_vector(word, n))
        else:
            total = total + c * jnp.real(jnp.vdot(psi, apply_pauli(psi, word, n)))
    return total


# ---------------------------------------------------------------------------------------------
# adjoint (reverse-mode) gradient, DESIGN.md §4.1
# ---------------------------------------------------------------------------------------------


def _derivative_matrices(op: Op, angles):
    """``∂M/∂angle_k`` for each angle: shape ``(k, d, d)``."""
    spec = gate_spec(op.name)
    re = jax.jacfwd(lambda a: jnp.real(spec.matrix(a)))(angles)
    im = jax.jacfwd(lambda a: jnp.imag(spec.matrix(a)))(angles)
    return jnp.moveaxis(re + 1j * im, -1, 0)


def _adjoint_sweep(steps, params, data, psi, lam, n: int):
    """Reverse sweep: returns ``(∂f/∂params, ∂f/∂data, λ₀, ψ₀)`` with O(1) extra states.

    With ``λ = U_{>j}† O U ψ₀`` and ``ψ`` the state after step j, a trainable angle contributes
    ``2 Re⟨λ|∂G ψ_before⟩``; for rotations ``exp(−iθP/2)`` this is ``Im⟨λ|P|ψ_after⟩``.
    """
    grad = jnp.zeros_like(params)
    gdata = jnp.zeros_like(data)
    for step in reversed(steps):
        op = step.op
        if op.kind == "data_phase":
            start, stop = op.data_slice
            z = jnp.conj(lam) * psi
            if op.wires != tuple(range(n)):
                keep = [w for w in range(n) if w not in op.wires]
                z = jnp.sum(z.reshape((2,) * n), axis=tuple(keep))
                order = np.argsort(np.argsort(op.wires))  # axes of z are wires in sorted order
                z = jnp.transpose(z, order).reshape(-1)
            gdata = gdata.at[start:stop].add(-2.0 * op.scale * jnp.imag(z))
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            lam = apply_step(step, lam, params, data, n, adjoint=True)
            continue
        if not op.trainable:
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            lam = apply_step(step, lam, params, data, n, adjoint=True)
            continue
        generator = op.generator
        if generator is not None:
            word = tuple((w, p) for w, p in zip(op.wires, generator, strict=True) if p != "I")
            dangle = jnp.imag(jnp.vdot(lam, apply_pauli(psi, word, n)))[None]
            psi = apply_step(step, psi, params, data, n, adjoint=True)
        else:
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            angles = op_angles(op, params)
            dms = _derivative_matrices(op, angles).astype(psi.dtype)
            dangle = jnp.stack(
                [
                    2.0
                    * jnp.real(jnp.vdot(lam, apply_matrix(psi, dms[k], op.wires, n, pattern=step.dpattern)))
                    for k in range(len(op.angles))
                ]
            )
        for k, a in enumerate(op.angles):
            if a.trainable:
                grad = grad.at[a.index].add(a.coeff * dangle[k].astype(grad.dtype))
        lam = apply_step(step, lam, params, data, n, adjoint=True)
    return grad, gdata, lam, psi


def make_expval_fn(circuit: Circuit, observable: Observable):
    """Pure ``f(params, state, data) -> ⟨ψ|U† O U|ψ⟩`` with an adjoint-method ``custom_vjp``.

    ``jax.grad``/``jax.jit``/``jax.vmap`` all work on it; reverse mode costs about three forward
    passes and keeps two state vectors whatever the number of parameters (DESIGN.md §4.1).
    """
    steps = prepare(circuit)
    n = circuit.num_qubits

    @jax.custom_vjp
    def f(params, state, data):
        return expectation(observable, run_steps(steps, state, params, data, n), n)

    def f_fwd(params, state, data):
        psi = run_steps(steps, state, params, data, n)
        lam = apply_observable(observable, psi, n)
        val = jnp.real(jnp.vdot(psi, lam))
        return val, (params, data, psi, lam)

    def f_bwd(res, g):
        params, data, psi, lam = res
        grad, gdata, lam0, _ = _adjoint_sweep(steps, params, data, psi, lam, n)
        # JAX's cotangent for a real function of a complex input z is conj(∂f/∂z)·2-style: for
        # f = ψ₀† A ψ₀ it is 2·conj(A ψ₀) = 2·conj(λ₀).
        return (g * grad, (2.0 * g) * jnp.conj(lam0), g * gdata)

    f.defvjp(f_fwd, f_bwd)
    return f


def make_state_fn(circuit: Circuit):
    """Pure ``f(params, state, data) -> U(θ; data) ψ`` (differentiable by ordinary JAX autodiff)."""
    steps = prepare(circuit)
    n = circuit.num_qubits

    def f(params, state, data):
        return run_steps(steps, state, params, data, n)

    return f
