"""Stages import only what they use: each `python -m stages.X` process pays its imports once per run, i.e.
once per stage of every queued experiment (torch alone costs 1.3 s CPU, scikit-learn 1.5 s). embed, train and
cross-validate need torch or scikit-learn; these four need none of them."""

import json
import subprocess
import sys

import pytest

from tests.dvc_helpers import copy_ran_project
from tests.helpers import COMMAND_TIMEOUT_S, env

pytestmark = pytest.mark.slow

HEAVY = ("torch", "sklearn", "scipy", "pandas", "imblearn", "sentence_transformers")
RUN_THEN_LIST_HEAVY = (
    "import atexit, json, runpy, sys\n"
    "atexit.register(lambda: print(json.dumps([m for m in {heavy} if m in sys.modules]), file=sys.stderr))\n"
    "runpy.run_module('stages.{stage}', run_name='__main__')\n"
)


@pytest.mark.parametrize("stage", ["split", "balance", "evaluate", "threshold_tune"])
def test_a_stage_that_does_no_torch_or_sklearn_work_never_imports_them(ran_project, tmp_path, stage):
    project = copy_ran_project(ran_project, tmp_path / "project")
    code = RUN_THEN_LIST_HEAVY.format(heavy=HEAVY, stage=stage)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr
    assert "done in" in result.stderr  # the stage really ran
    assert json.loads(result.stderr.strip().splitlines()[-1]) == [], result.stderr
