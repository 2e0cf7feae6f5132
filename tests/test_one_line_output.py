"""Whatever a message or a label holds, errors stay on one line and written CSVs cannot run as formulas."""

import csv

from imbalance_lab.errors import DataError
from imbalance_lab.pipeline.artifacts import safe_cell, write_csv
from imbalance_lab.pipeline.stage import user_error_line


def test_a_label_with_a_newline_keeps_the_error_on_one_line():
    line = user_error_line("embed", DataError("class 'fraud\nrisk' has 1 row"))
    assert "\n" not in line and line == "error: embed: class 'fraud\\nrisk' has 1 row"


def test_formula_like_cells_are_neutralised_numbers_are_not(tmp_path):
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("+cmd") == "'+cmd"
    assert safe_cell("-1") == "-1" and safe_cell("-0.5") == "-0.5" and safe_cell(-1.0) == -1.0
    write_csv(tmp_path / "p.csv", [{"class": "=1+1", "recall": 0.5}])
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert rows == [{"class": "'=1+1", "recall": "0.5"}]


def test_truncated_artifacts_are_one_line_errors(tmp_path):
    import numpy as np
    import pytest

    from imbalance_lab.pipeline.artifacts import read_json, read_npy, read_npz, write_npz

    write_npz(tmp_path / "a.npz", x=np.arange(1000))
    data = (tmp_path / "a.npz").read_bytes()
    (tmp_path / "a.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "b.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "c.json").write_text('{"cut": ')
    for read, name in ((read_npz, "a.npz"), (read_npy, "b.npy"), (read_json, "c.json")):
        with pytest.raises(DataError, match=r"unreadable \(.*\); it is truncated or not ours: run dvc repro") as err:
            read(tmp_path / name)
        assert "\n" not in str(err.value)
