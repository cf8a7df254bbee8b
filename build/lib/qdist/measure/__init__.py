"""Measurement: the basis table, qubit-wise-commuting groups, Born sampling and seeds.

Everything in qdist that measures or samples goes through this package (see
[the conventions page][conventions]).
"""
