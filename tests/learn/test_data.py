"""Data sets for training: bundled scikit-learn sets, CSV files, split and scaling, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qdist.learn.data import load_dataset


def write_csv(path, rows, header=("a", "b", "c", "label")):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


def toy_rows(n=30, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        a, b, c = rng.normal(size=3)
        rows.append((f"{a:.4f}", f"{b:.4f}", f"{c:.4f}", "yes" if a + b > 0 else "no"))
    return rows


def test_digits_binary_split_scaling_and_seed():
    ds = load_dataset("digits", classes="3,8", seed=0)
    assert ds.num_features == 64 and ds.num_classes == 2 and ds.class_names == ("3", "8")
    assert set(np.unique(ds.y_train)) == {0, 1} and set(np.unique(ds.y_test)) == {0, 1}
    n = len(ds.y_train) + len(ds.y_test)
    assert n == 183 + 174  # all 3s and 8s of the bundled set
    assert abs(len(ds.y_test) - 0.25 * n) <= 1
    # min-max fitted on the training split: every non-constant training column spans exactly [0, 1]
    lo, hi = ds.x_train.min(axis=0), ds.x_train.max(axis=0)
    varying = np.asarray(ds.scaling["max"]) > np.asarray(ds.scaling["min"])
    assert np.all(lo[varying] == 0.0) and np.allclose(hi[varying], 1.0)
    assert np.all(ds.x_train[:, ~varying] == 0.0)
    # the test split is scaled with the training statistics (not refitted): undoing that scaling
    # gives back the raw pixel intensities, integers 0 … 16
    lo_raw, hi_raw = np.asarray(ds.scaling["min"]), np.asarray(ds.scaling["max"])
    raw = ds.x_test * np.where(varying, hi_raw - lo_raw, 1.0) + lo_raw
    assert np.allclose(raw, np.round(raw), atol=1e-9) and raw.min() >= 0 and raw.max() <= 16
    # stratified: class fractions agree between the splits
    assert abs(ds.y_train.mean() - ds.y_test.mean()) < 0.03
    again = load_dataset("digits", classes=[3, 8], seed=0)
    assert again.fingerprint == ds.fingerprint and np.array_equal(again.x_test, ds.x_test)
    other = load_dataset("digits", classes="3,8", seed=1)
    assert other.fingerprint != ds.fingerprint


def test_digits_multiclass_and_breast_cancer():
    ds = load_dataset("digits", classes="0,1,2,3", seed=2, test_size=0.3)
    assert ds.num_classes == 4 and set(np.unique(ds.y_train)) == {0, 1, 2, 3}
    bc = load_dataset("breast_cancer", seed=0)
    assert bc.num_features == 30 and bc.class_names == ("benign", "malignant")
    assert len(bc.y_train) + len(bc.y_test) == 569
    d = bc.to_dict()
    assert d["features"] == 30 and d["train_size"] == len(bc.y_train)


def test_csv_file_loads_with_text_labels(tmp_path):
    path = write_csv(tmp_path / "toy.csv", toy_rows())
    ds = load_dataset(data=path, label="label", seed=0)
    assert ds.feature_names == ("a", "b", "c") and ds.class_names == ("no", "yes")
    assert ds.num_features == 3 and len(ds.y_train) + len(ds.y_test) == 30
    only = load_dataset(data=path, label="label", classes="yes,no")
    assert only.class_names == ("yes", "no")


@pytest.mark.parametrize(
    "kwargs, start",
    [
        ({"dataset": "mnist"}, "dataset: unknown data set 'mnist'"),
        ({"dataset": None}, "dataset:"),
        ({"dataset": "digits", "classes": "3"}, "classes: expected at least 2 classes"),
        ({"dataset": "digits", "classes": "3,11"}, "classes: label '11' is not in the data set"),
        ({"dataset": "digits", "classes": "3,3"}, "classes: label '3' is given twice"),
        ({"dataset": "digits", "test_size": 1.5}, "test_size:"),
        ({"dataset": "digits", "seed": -1}, "seed:"),
        ({"dataset": "digits", "label": "y"}, "label:"),
    ],
)
def test_bad_inputs_give_one_line_errors(kwargs, start):
    ds = kwargs.pop("dataset")
    with pytest.raises(ValueError) as err:
        load_dataset(ds, **kwargs)
    msg = str(err.value)
    assert msg.startswith(start) and "\n" not in msg


def test_csv_errors(tmp_path):
    good = write_csv(tmp_path / "good.csv", toy_rows())
    with pytest.raises(
        ValueError, match=r"^label: column 'target' not in good.csv \(columns: a, b, c, label\)$"
    ):
        load_dataset(data=good, label="target")
    rows = toy_rows()
    rows[4] = ("0.1", "red", "0.3", "yes")
    bad = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ValueError, match=r"^data: feature column 'b' is not numeric \(line 6: 'red'\)$"):
        load_dataset(data=bad, label="label")
    rows = toy_rows()
    rows[2] = ("0.1", "", "0.3", "yes")
    with pytest.raises(ValueError, match=r"^data: feature column 'b' is not numeric \(line 4: ''\)$"):
        load_dataset(data=write_csv(tmp_path / "empty_cell.csv", rows), label="label")
    with pytest.raises(ValueError, match=r"^data: file not found: "):
        load_dataset(data=tmp_path / "missing.csv", label="label")
    with pytest.raises(ValueError, match=r"^label: a CSV data set needs"):
        load_dataset(data=good)
    short = tmp_path / "short.csv"
    short.write_text("a,b,label\n1,2,x\n3,4\n5,6,y\n7,8,x\n9,1,y\n")
    with pytest.raises(ValueError, match=r"^data: line 3 of short.csv has 2 fields; the header has 3$"):
        load_dataset(data=short, label="label")
