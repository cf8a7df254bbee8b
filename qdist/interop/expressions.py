"""Circuits whose gate angles are differentiable expressions of the parameters.

A qdist [`Circuit`][qdist.Circuit] holds angles ``a·θ[k] + b`` (affine in one entry). A converted
circuit whose angles are other expressions — products such as Qiskit's ``zz_feature_map``
``2(π − x₀)(π − x₁)``, sums ``a + b``, ``sin(a)`` — becomes a
[`Reparametrized`][qdist.interop.expressions.Reparametrized] circuit: the qdist circuit runs on the
angle vector

    φ = (θ₀, …, θ_{P−1}, e₁(θ), …, e_E(θ)),

where affine angles reference ``θ`` directly and every other angle reads its own entry
``e_j(θ)``. Values are ``f(φ(θ))``; gradients follow the chain rule

    ∂f/∂θ_i = ∂f/∂φ_i + Σ_j (∂e_j/∂θ_i) · ∂f/∂φ_{P+j},

with ``∂e_j/∂θ`` evaluated exactly at θ (symbolic derivative of the expression). The shot-based
parameter-shift estimator applies its exact shift rule to every gate angle ``φ`` and then this chain
rule, so it stays unbiased for any differentiable expression; its components are independent
(disjoint shifted circuits), so the standard errors combine as
``σ_i² = σ_{φ,i}² + Σ_j (∂e_j/∂θ_i)² σ_{φ,P+j}²``. Estimators whose components are correlated
(shadows, tomography, SPSA) are refused for such circuits: bind the parameters or use
``method="exact"`` / ``"param-shift"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qdist.sim.circuit import Circuit

__all__ = ["CHAIN_RULE_METHODS", "Expression", "Reparametrized"]

#: gradient methods whose per-angle estimates are independent, so the chain rule above is exact
#: for the values and the standard errors
CHAIN_RULE_METHODS = ("exact", "param-shift")


@dataclass(frozen=True)
class Expression:
    """One non-affine angle ``e(θ)``: its text, its value and its gradient ``(P,)`` at ``θ``."""

    text: str
    where: str
    value: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Reparametrized:
    """A qdist circuit over ``φ = (θ, e(θ))`` (module docstring).

    Attributes:
        circuit: the qdist circuit; ``circuit.num_params = num_params + len(expressions)``.
        num_params: ``P``, the length of the user's parameter vector ``θ``.
        expressions: the non-affine angles ``e_j``, read by entry ``P + j`` of φ.
    """

    circuit: Circuit
    num_params: int
    expressions: tuple[Expression, ...]

    @property
    def num_qubits(self) -> int:
        return self.circuit.num_qubits

    def _rows(self, theta) -> tuple[np.ndarray, bool]:
        t = np.asarray(theta, dtype=np.float64)
        if t.ndim not in (1, 2) or t.shape[-1] != self.num_params:
            raise ValueError(
                f"params: expected shape ({self.num_params},) or (B, {self.num_params}), got {t.shape}"
            )
        return np.atleast_2d(t), t.ndim == 1

    def angles(self, theta) -> np.ndarray:
        """``φ(θ)`` for ``θ`` ``(P,)`` or ``(B, P)`` → ``(P+E,)`` or ``(B, P+E)``."""
        if _traced(theta):
            raise ValueError(
                "params: a circuit with non-affine angle expressions cannot be traced by JAX; "
                "call it with concrete values"
            )
        rows, single = self._rows(theta)
        extra = np.array([[e.value(r) for e in self.expressions] for r in rows]).reshape(len(rows), -1)
        out = np.concatenate([rows, extra], axis=1)
        return out[0] if single else out

    def jacobian(self, theta) -> np.ndarray:
        """``∂e/∂θ`` ``(E, P)`` (or ``(B, E, P)``)."""
        rows, single = self._rows(theta)
        out = np.array([[e.gradient(r) for e in self.expressions] for r in rows]).reshape(
            len(rows), len(self.expressions), self.num_params
        )
        return out[0] if single else out

    def pullback(self, theta, grad_phi, std_phi=None):
        """``(∂f/∂θ, σ_θ)`` from ``∂f/∂φ`` (and its independent standard errors ``σ_φ``)."""
        P = self.num_params
        jac = self.jacobian(theta)
        g = np.asarray(grad_phi, dtype=np.float64)
        value = g[..., :P] + np.einsum("...ep,...e->...p", jac, g[..., P:])
        if std_phi is None:
            return value, None
        s = np.asarray(std_phi, dtype=np.float64)
        var = s[..., :P] ** 2 + np.einsum("...ep,...e->...p", jac**2, s[..., P:] ** 2)
        return value, np.sqrt(var)


def _traced(x) -> bool:
    import jax

    return isinstance(x, jax.core.Tracer)


def qiskit_expression(expr, index_of: dict, where: str) -> Expression:
    """A Qiskit ``ParameterExpression`` as an [`Expression`][qdist.interop.expressions.Expression];
    its derivatives are Qiskit's symbolic ``gradient``, computed once here."""
    from qiskit.circuit import ParameterExpression

    params = sorted(expr.parameters, key=lambda p: index_of[p])
    idx = np.array([index_of[p] for p in params], dtype=np.int64)
    try:
        grads = [expr.gradient(p) for p in params]
    except Exception as exc:  # noqa: BLE001 - symbolic backends raise several types
        raise ValueError(f"qc: {where} has angle {expr}, which is not differentiable ({exc})") from None
    P = len(index_of)

    def number(e, theta, what) -> float:
        if not isinstance(e, ParameterExpression):
            c = complex(e)
        else:
            bound = e.bind(
                {p: float(theta[i]) for p, i in zip(params, idx, strict=True) if p in e.parameters}
            )
            c = complex(bound.numeric())
        if abs(c.imag) > 1e-12 or not np.isfinite(c.real):
            raise ValueError(
                f"params: {where} has {what} {c} at these parameter values; expected a real number"
            )
        return c.real

    def value(theta) -> float:
        return number(expr, theta, f"angle {expr} =")

    def gradient(theta) -> np.ndarray:
        out = np.zeros(P)
        for k, gk in zip(idx, grads, strict=True):
            out[k] = number(gk, theta, f"d({expr})/d{params[list(idx).index(k)].name} =")
        return out

    return Expression(str(expr), where, value, gradient)
