"""dvc.yaml is the one list of stages and of what each writes: imbalance_lab/pipeline/paths.py names files
inside those outputs (on failure a stage removes what dvc.yaml lists, imbalance_lab/pipeline/stage.py), and
nothing a stage writes is missing from it."""

from pathlib import Path

from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.stage import declared_outputs, pipeline_order

# what commands write (not DVC stages), and the folders several stages write into
NOT_STAGE_OUTPUTS = {"REPORTS", "SCORE_METRICS", "SCORE_PLOTS", "SCORE_REPORTS", "SCORE_PREDICTIONS", "SCORE_SHIFT"}
SHARED_FOLDERS = {"METRICS", "FULL_REPORTS", "PLOTS"}


def owners(path: Path) -> list[str]:
    """The stages whose declared outputs hold path (or, for a folder like dvclive/, lie in it)."""
    return [
        stage
        for stage, _ in pipeline_order()
        if any(path == out or out in path.parents or path in out.parents for out in declared_outputs(stage))
    ]


def test_every_stage_path_lies_in_exactly_one_stage_outputs():
    constants = {
        name: value
        for name, value in vars(paths).items()
        if name.isupper() and isinstance(value, Path) and name not in NOT_STAGE_OUTPUTS | SHARED_FOLDERS
    }
    assert len(constants) > 20
    misplaced = {name: owners(value) for name, value in constants.items() if len(owners(value)) != 1}
    assert not misplaced, f"paths.py names files no single stage declares in dvc.yaml: {misplaced}"


def test_a_path_outside_the_pipeline_has_no_owner():
    assert owners(Path("models/elsewhere.bin")) == []
    assert owners(paths.SCORE_METRICS) == []
