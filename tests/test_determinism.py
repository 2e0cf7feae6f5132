"""Same params and seed, byte-identical results: a fresh `git clone` (no DVC cache, no outputs) of a project
that ran, then `dvc repro -f`, reproduces every committed metrics file, plot, model and dvc.lock byte for byte.

That is two independent forced runs in two fresh clones (the `ran_project` fixture is the first). A rerun in the
same workspace is covered too: DVC deletes a stage's outputs before running it, so a forced rerun reads nothing
from the first run, and test_interruption reruns train in the same workspace and compares byte for byte.
Different seeds: test_sharing (seed 1 vs 0, across machines)."""

import pytest

from imbalance_lab.pipeline.stage import pipeline_order
from tests.dvc_helpers import METRIC_FILES, dvc, ran_stages, read_bytes
from tests.helpers import ROOT, run

pytestmark = pytest.mark.slow

CURVE = "dvclive/plots/metrics/val_macro_f1.tsv"
RESULTS = (
    *METRIC_FILES,
    "plots/test/confusion.csv",
    CURVE,
    "models/model.safetensors",
    "models/train.json",
    "dvc.lock",
)
ALL_STAGES = [name for name, _ in pipeline_order(ROOT / "dvc.yaml")]


def test_a_fresh_clone_reproduces_every_result_byte_for_byte(ran_project, tmp_path):
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(ran_project), str(clone)], tmp_path)
    assert not (clone / "models/model.safetensors").exists() and not (clone / "data/embeddings").exists()

    result = dvc(clone, "repro", "-f")

    assert sorted(ran_stages(result.stdout)) == sorted(ALL_STAGES)
    assert run(["git", "status", "--porcelain"], clone).stdout == "", "git sees no changed metrics or dvc.lock"
    assert read_bytes(clone, RESULTS) == read_bytes(ran_project, RESULTS)
