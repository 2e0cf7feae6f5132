"""Whatever a message or a label holds, errors stay on one line and written CSVs cannot run as formulas."""

import csv

from imbalance_lab.artifacts import safe_cell, write_csv
from imbalance_lab.errors import DataError
from imbalance_lab.stage import user_error_line


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
