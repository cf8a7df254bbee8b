"""The CLI's observable parser and number checks (issue: an exponent's sign split a term; --bits
16 was accepted although the help says 32 or 64)."""

from __future__ import annotations

import pytest

import qdist
from qdist.cli.main import main
from qdist.cli.submit import parse_observable


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1e-3*ZIII", {"ZIII": 1e-3}),
        ("2.5E+1*XIII-1e-2*IZII", {"XIII": 25.0, "IZII": -0.01}),
        ("-ZZII+0.5*XXII", {"ZZII": -1.0, "XXII": 0.5}),
        ("ZIII - YIII", {"ZIII": 1.0, "YIII": -1.0}),
        ("-2*ZIII", {"ZIII": -2.0}),
    ],
)
def test_parse_observable(text, expected):
    assert parse_observable(text, 4) == qdist.pauli_sum(expected)


@pytest.mark.parametrize("text", ["1e*ZIII", "ZZ", "0.5*QIII", "+"])
def test_parse_observable_refuses_with_one_line(text):
    with pytest.raises(ValueError, match="^--observable: "):
        parse_observable(text, 4)


def test_train_bits_must_be_32_or_64(capsys, tmp_path):
    code = main(["train", "--bits", "16", "--out", str(tmp_path / "o"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "--bits: expected 32 or 64, got 16" in err and "Traceback" not in err
