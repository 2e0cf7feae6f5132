"""A binary decision at a recall target is first-class: in exp show, metrics diff, score and the leaderboard."""

import json

import pytest

from tests.helpers import FAST_PARAMS, copy_project, make_texts, run, set_params

pytestmark = pytest.mark.slow


def test_the_threshold_and_precision_recall_at_it_are_where_users_compare(tmp_path):
    project = copy_project(tmp_path / "project")
    texts = make_texts({"weather": 300, "finance": 45}, seed=3)
    texts.iloc[:300].to_csv(project / "messages.csv", index=False)
    texts.iloc[300:].to_csv(project / "new.csv", index=False)  # rows the model never saw, both classes
    threshold = {"method": "threshold_sweep", "metric": "precision_at_recall", "target": 0.8}
    set_params(project, data={"source": "messages.csv"}, threshold=threshold, **FAST_PARAMS)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "binary"], project)
    run(["dvc", "repro"], project)
    headline = json.loads((project / "metrics/threshold.json").read_text())
    assert {"tuned_threshold", "tuned_precision", "tuned_recall"} <= set(headline)
    assert 0.0 < headline["tuned_threshold"] < 1.0
    shown = json.dumps(json.loads(run(["dvc", "exp", "show", "--json"], project).stdout))
    assert all(f'"{key}"' in shown for key in ("tuned_threshold", "tuned_precision", "tuned_recall"))
    full = json.loads((project / "metrics/full/threshold.json").read_text())
    assert {"precision", "recall"} <= set(full["before"]) and full["binary"]["target"] == 0.8
    scored = run(["python", "-m", "commands.score", "--source", "new.csv"], project)
    binary = json.loads((project / "metrics/score.json").read_text())["binary"]
    assert binary["positive_class"] == full["binary"]["positive_class"] and 0.0 <= binary["recall"] <= 1.0
    assert f"{binary['positive_class']} at P >= " in scored.stderr and "recall" in scored.stderr
