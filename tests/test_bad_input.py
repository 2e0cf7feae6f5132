"""Bad input through the stages' own command path, in a copy of a project that ran completely, only the stage
that must fail. Each case: exit code 2, one `error: <stage>: ...` line that names the problem and the fix, no
traceback, none of the stage's outputs left behind, no temp files.

The cases run each stage module as `__main__` inside the test process (run_stage_here: the same code
`python -m stages.<stage>` runs, minus starting an interpreter that imports torch and sklearn again: about 3 s a
case). test_the_command_itself_gives_the_same_line then runs some of them as real `python -m` processes, and
test_missing_data_file_through_dvc_names_the_file runs `dvc repro`.

Every params value is validated by load_params() at the start of every stage, so three params cases here show
the path end to end; each params message (types, ranges, split sizes, hidden_dims, unknown strategy names, unknown
keys) is checked in test_config.py and test_input_checks.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from imbalance_lab.data.splitting import stratified_split
from tests.dvc_helpers import (
    copy_ran_project,
    leftover_temp_files,
    ran_stages,
    run_stage,
    run_stage_here,
    stage_outputs,
)
from tests.helpers import make_texts, run, set_params

pytestmark = pytest.mark.slow


def write_csv(frame: pd.DataFrame) -> Callable:
    return lambda project: frame.to_csv(project / "texts.csv", index=False)


def params(**sections) -> Callable:
    return lambda project: set_params(project, **sections)


def both(*setups: Callable) -> Callable:
    def setup(project):
        for step in setups:
            step(project)

    return setup


def latin1_file(project):
    (project / "texts.csv").write_bytes("text,label\nrain today,weather\ncaf\xe9 au lait,food\n".encode("latin-1"))


def garbage_parquet(project):
    (project / "texts.parquet").write_bytes(b"PAR1 this is not a parquet file")
    set_params(project, data={"source": "texts.parquet"})


def one_minority_training_row(project):
    """split.test_size 0.45 + val_size 0.5 leave 'finance' (24 rows) a single training row."""
    set_params(project, split={"test_size": 0.45, "val_size": 0.5}, balance={"method": "smote"})
    labels = np.load(project / "data/embeddings/labels.npy")
    split = stratified_split(labels, ["finance", "sports", "weather"], test_size=0.45, val_size=0.5, seed=0)
    assert np.bincount(labels[split.train])[0] == 1
    np.savez(project / "data/split/indices.npz", train=split.train, val=split.val, test=split.test, labels=labels)


def logits_of_other_label_order(project):
    """The model's logits (the file train writes) predicted for classes in another order than the data's."""
    path = project / "models/logits.npz"
    stored = dict(np.load(path))
    meta = json.loads(str(stored["meta"])) | {"classes": ["weather", "sports", "finance"]}
    np.savez(path, **(stored | {"meta": np.array(json.dumps(meta))}))


@dataclass(frozen=True)
class Case:
    id: str
    stage: str
    setup: Callable
    message: str  # must appear on the one `error: <stage>: ` line


CASES = [
    Case(
        "data file missing",
        "embed",
        params(data={"source": "nope.csv"}),
        "data.source: file 'nope.csv' not found; give a .csv/.parquet/.jsonl path or the built-in datasets/trec6.yaml",
    ),
    Case(
        "not UTF-8",
        "embed",
        latin1_file,
        "texts.csv: not UTF-8 text (invalid continuation byte: byte 0xe9 on line 3, offset 33); re-save it as UTF-8",
    ),
    Case("unreadable file", "embed", garbage_parquet, "texts.parquet: cannot be read as parquet ("),
    Case(
        "text column missing",
        "embed",
        write_csv(make_texts({"weather": 20, "sports": 20}).rename(columns={"text": "body"})),
        "texts.csv: no column 'text' (data.text_column); the file has: body, label; "
        "set data.text_column to one of them",
    ),
    Case(
        "label column missing",
        "embed",
        params(data={"label_column": "topic"}),
        "texts.csv: no column 'topic' (data.label_column); the file has: text, label; "
        "set data.label_column to one of them",
    ),
    Case(
        "empty texts and missing labels with drop_invalid false",
        "embed",
        both(
            write_csv(
                make_texts({"weather": 20, "sports": 20}).assign(
                    text=lambda f: f.text.where(f.index % 7 != 0, ""),
                    label=lambda f: f.label.where(f.index % 11 != 0, None),
                )
            ),
            params(data={"drop_invalid": False}),
        ),
        "texts.csv: 9 rows with empty text or missing label; clean them or set data.drop_invalid: true",
    ),
    Case(
        "a single class",
        "embed",
        write_csv(make_texts({"weather": 30})),
        "the data has a single class ('weather'); classification needs at least two",
    ),
    Case(
        "all-duplicate texts",
        "embed",
        write_csv(pd.DataFrame({"text": ["same words here"] * 60, "label": ["a"] * 40 + ["b"] * 20})),
        "texts.csv: the 60 rows hold only 1 distinct text for 2 classes, so no model can tell the classes apart; "
        "check that data.text_column ('text') is the column holding the texts",
    ),
    Case(
        "features file with a non-numeric column",
        "embed",
        both(
            write_csv(pd.DataFrame({"f1": [1.0, 2.0, 3.0] * 10, "f2": ["x", "y", "z"] * 10, "label": [0, 1, 1] * 10})),
            params(embed={"backend": "features"}),
        ),
        "texts.csv: feature columns must be numeric, these are not: f2; list the numeric ones in data.feature_columns",
    ),
    Case(
        "features file with NaN",
        "embed",
        both(
            write_csv(pd.DataFrame({"f1": [1.0, None, 3.0] * 10, "f2": [1, 2, 3] * 10, "label": [0, 1, 1] * 10})),
            params(embed={"backend": "features"}),
        ),
        "texts.csv: feature columns contain NaN or infinite values: f1; impute or drop them first",
    ),
    Case(
        "embedding model not there",
        "embed",
        params(embed={"backend": "sentence-transformers", "model": "no-such-model-xyz"}),
        "embed.model: cannot load 'no-such-model-xyz' as a local path or cached Hugging Face model (",
    ),
    Case(
        "class too small for the split",
        "split",
        params(split={"test_size": 0.02}),
        "class 'finance' has 24 rows; it needs at least 50 to appear in train, val and test with "
        "split.test_size=0.02, split.val_size=0.1: add rows, or set split.min_class_count: 50 (drops them after "
        "embedding, or merges them: rare_class_action)",
    ),
    Case(
        "class too small for the resampler",
        "balance",
        one_minority_training_row,
        "smote: class 'finance' has 1 training row, nothing to interpolate with; use balance.method random_over or "
        "mixup, or add rows of that class",
    ),
    Case(
        "class too small for cv.folds",
        "cross-validate",
        params(cv={"folds": 30}),
        "1 class(es) have fewer than 30 rows in train+val, which cv.folds=30 needs (one per held-out fold, 2 left to "
        "train on): 'finance' (19); lower cv.folds to at most 19, or add rows",
    ),
    Case(
        "model label order differs from the data",
        "evaluate",
        logits_of_other_label_order,
        "models/logits.npz: predicted for classes ['weather', 'sports', 'finance'] but the data has "
        "['finance', 'sports', 'weather']; re-run train (dvc repro)",
    ),
    Case(
        "-S train.lr=abc",
        "train",
        params(train={"lr": "abc"}),
        "train.lr: expected a number, got 'abc'",
    ),
    Case(
        "-S split.test_size=-0.1",
        "split",
        params(split={"test_size": -0.1}),
        "split.test_size: -0.1 is out of range; allowed (0.0, 1.0)",
    ),
    Case(
        "unknown params key",
        "balance",
        params(train={"lrr": 0.01}),
        "params.yaml: unknown key 'train.lrr'; did you mean 'train.lr'?",
    ),
]


def check_failure(project, case: Case, code: int, stderr: str, outputs) -> str:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert errors[0].startswith(f"error: {case.stage}: "), errors[0]
    assert case.message in errors[0], errors[0]
    assert stderr.rstrip().endswith(errors[0]), "the error is the last thing the user sees"
    assert [p for p in outputs if p.exists()] == []
    assert leftover_temp_files(project) == []
    return errors[0]


def prepared(ran_project, tmp_path, case: Case):
    project = copy_ran_project(ran_project, tmp_path / "project")
    outputs = stage_outputs(project, case.stage)
    assert all(p.exists() for p in outputs), "a previous run's outputs, which the failed run must not leave behind"
    case.setup(project)
    return project, outputs


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line_and_leaves_no_outputs(case, ran_project, tmp_path, monkeypatch, capsys):
    project, outputs = prepared(ran_project, tmp_path, case)
    code, stderr = run_stage_here(project, case.stage, monkeypatch, capsys)
    check_failure(project, case, code, stderr, outputs)


@pytest.mark.parametrize("case_id", ["not UTF-8", "class too small for the resampler", "-S train.lr=abc"])
def test_the_command_itself_gives_the_same_line(case_id, ran_project, tmp_path):
    case = next(c for c in CASES if c.id == case_id)
    project, outputs = prepared(ran_project, tmp_path, case)
    result = run_stage(project, case.stage)
    check_failure(project, case, result.returncode, result.stderr, outputs)


def test_invalid_rows_are_dropped_with_a_logged_count(ran_project, tmp_path, monkeypatch, capsys):
    project = copy_ran_project(ran_project, tmp_path / "project")
    frame = make_texts({"weather": 30, "sports": 30})
    frame.loc[[0, 5, 9], "text"] = "  "
    frame.loc[[2, 7], "label"] = None
    frame.to_csv(project / "texts.csv", index=False)

    code, stderr = run_stage_here(project, "embed", monkeypatch, capsys)

    assert code == 0, stderr
    assert "[embed] dropped 5 rows with empty text or missing label" in stderr
    assert len(np.load(project / "data/embeddings/labels.npy")) == 55


def test_missing_data_file_through_dvc_names_the_file(ran_project, tmp_path):
    """DVC checks a stage's dependencies before it runs the stage, so this message is DVC's own."""
    project = copy_ran_project(ran_project, tmp_path / "project")
    set_params(project, data={"source": "nope.csv"})

    result = run(["dvc", "repro"], project, check=False)

    assert result.returncode != 0
    assert "ERROR: failed to reproduce 'embed':" in result.stderr and "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert ran_stages(result.stdout) == []
