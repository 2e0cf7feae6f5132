"""`dvc exp show` stays readable: the committed pipeline's table (params, metrics, deps) fits in 40 columns, and
the test split's headline comes first, so it is on the first screen of a 120-column terminal."""

import subprocess
import sys

import pytest

from tests.helpers import ROOT

MAX_COLUMNS = 40
FIXED = ["Experiment", "rev", "typ", "Created", "parent"]


@pytest.fixture(scope="module")
def header(tmp_path_factory) -> list[str]:
    clone = tmp_path_factory.mktemp("exp-show") / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    shown = subprocess.run(
        [sys.executable, "-m", "dvc", "exp", "show", "--csv"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return shown.stdout.splitlines()[0].split(",")


def test_exp_show_of_the_committed_pipeline_fits_in_40_columns(header):
    assert len(header) <= MAX_COLUMNS, header
    assert not [column for column in header if "per_class" in column or column.startswith(("after", "before"))]


def test_the_test_split_headline_comes_first(header):
    assert header[: len(FIXED)] == FIXED
    first_metrics = header[len(FIXED) : len(FIXED) + 6]
    assert set(first_metrics) == {"balanced_accuracy", "ece", "macro_f1", "mcc", "minority_recall", "pr_auc_macro"}
