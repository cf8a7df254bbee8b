"""Estimation layer: gradient estimators over the simulator."""
