"""Simulation layer: circuits as data, a JAX state-vector simulator and its adjoint gradient."""
