"""Devices: what runs a batch of circuits and returns outcome counts (or exact probabilities)."""
