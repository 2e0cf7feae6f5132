"""Through DVC on a small CSV (tfidf): a real sweep -> leaderboard, the PR report commands, the plot templates."""

import json
import shutil
import subprocess
import sys

import pytest

from tests.dvc_helpers import stop_queue
from tests.helpers import COMMAND_TIMEOUT_S, env, make_text_project, run, set_params

pytestmark = pytest.mark.slow

PR_REPORT = ["bash", ".ci/pr_report.sh"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One reproduced, committed project (branch main); each test works on its own copy."""
    project = make_text_project(tmp_path_factory.mktemp("sweep") / "project")
    set_params(project, cv={"folds": 2}, train={"max_epochs": 15, "patience": 4})
    run(["dvc", "repro"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "baseline run"], project)
    return project


@pytest.fixture
def project(baseline, tmp_path):
    return shutil.copytree(baseline, tmp_path / "project", symlinks=True)


def test_pr_report_shows_changed_metrics_and_params(project):
    run(["git", "checkout", "-qb", "pr"], project)
    set_params(project, train={"lr": 0.02})
    ran = run(["dvc", "repro"], project).stdout
    assert "Running stage 'train'" in ran and "Running stage 'embed'" not in ran
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "higher learning rate"], project)
    md = run([*PR_REPORT, "main", "pr_plots"], project).stdout
    metrics = md.split("### Metrics")[1].split("### Params")[0]
    assert "| Path" in metrics and "| metrics/test.json" in metrics
    assert "per_class" not in metrics and "after_val" not in metrics  # headline numbers only: a short diff
    params = md.split("### Params")[1].split("### Plots")[0]
    assert "train.lr" in params and "0.02" in params
    page = (project / "pr_plots" / "index.html").read_text()
    assert "Precision-recall, one-vs-rest (test)" in page and '"main"' in page and '"workspace"' in page


def test_plot_templates_fill(project):
    plots = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)["data"]
    (pr,) = plots["Precision-recall, one-vs-rest (test)"]
    assert pr["content"]["facet"]["field"] == "class"  # one small panel per class
    assert {row["class"] for row in pr["content"]["data"]["values"]} == {"finance", "sports", "weather"}
    (recall,) = plots["Per-class recall before and after threshold tuning (test)"]
    sources = {row["filename"] for row in recall["content"]["data"]["values"]}
    assert sources == {"test/recall.csv", "threshold/recall.csv"}  # before and after in one chart
    assert recall["content"]["encoding"]["x"]["scale"]["zero"] is False  # small differences stay visible
    (reliability,) = plots["Reliability diagram (test)"]
    colours = (
        pr["content"]["spec"]["encoding"]["color"],
        recall["content"]["encoding"]["color"],
        reliability["content"]["layer"][1]["encoding"]["color"],
    )
    assert all(colour["field"] == "rev" and colour["scale"]["domain"] == ["workspace"] for colour in colours)
    filled = (
        "Confusion matrix, normalised (test)",
        "Confusion matrix after threshold tuning, normalised (test)",
        "Per-class F1 (test)",
        "Training rows vs F1 per class (test)",
    )
    for title in filled:
        (chart,) = plots[title]
        assert len(chart["content"]["data"]["values"]) > 0, title
    diagonal = reliability["content"]["layer"][0]["data"]["values"]
    assert diagonal == [{"confidence": 0, "accuracy": 0}, {"confidence": 1, "accuracy": 1}]


def test_dvclive_writes_one_row_per_epoch_and_the_training_plots_read_them(project):
    epochs = json.loads((project / "models/train.json").read_text())["epochs_run"]
    live = json.loads((project / "dvclive/metrics.json").read_text())
    assert live["step"] == epochs and 1 <= live["best_epoch"] <= epochs  # train's headline in exp show
    for curve in ("train_loss", "val_loss", "val_macro_f1", "lr"):
        rows = (project / f"dvclive/plots/metrics/{curve}.tsv").read_text().splitlines()
        assert rows[0] == f"step\t{curve}" and [int(r.split("\t")[0]) for r in rows[1:]] == list(range(1, epochs + 1))
    plots = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)["data"]
    for curve in ("train_loss", "val_loss", "val_macro_f1", "lr"):
        (chart,) = plots[f"dvclive/plots/metrics/{curve}.tsv"]  # declared in train: one chart per curve
        values = chart["content"]["data"]["values"]
        assert [int(row["step"]) for row in values] == list(range(1, epochs + 1)), curve
        assert chart["content"]["encoding"]["x"]["title"] == "epoch"


def test_sweep_two_strategies_two_seeds(project):
    # the committed TREC-6 example (80 experiments): a sweep on this project's own file must neither replace it nor
    # end in "compares 80 experiments, this run only 4: not overwritten"
    (project / "reports").mkdir(exist_ok=True)
    rows = [{"view": "untuned", "experiments": [f"e{i}" for i in range(80)]}]
    (project / "reports" / "leaderboard.json").write_text(json.dumps({"rows": rows}))
    example = (project / "reports" / "leaderboard.json").read_bytes()
    cmd = [sys.executable, "-m", "commands.sweep", "--strategies", "none random_over", "--seeds", "0 1", "--poll", "2"]
    try:
        proc = subprocess.run(cmd, cwd=project, env=env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    finally:
        stop_queue(project)  # no queue worker outlives the test
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "embed recomputed in 0 of 4 experiments" in proc.stdout
    assert (project / "reports" / "leaderboard.json").read_bytes() == example  # another data source: untouched
    board = json.loads((project / "reports" / "texts" / "leaderboard.json").read_text())  # data.source texts.csv
    assert board["failed"] == [] and board["seeds"] == [0, 1]
    rows = {(r["strategy"], r["view"]): r for r in board["rows"]}
    assert set(rows) == {(s, v) for s in ("baseline", "balance.method=random_over") for v in ("untuned", "tuned")}
    assert all(r["metrics"]["macro_f1"]["n"] == 2 for r in rows.values())
    assert sorted(rows["balance.method=random_over", "untuned"]["experiments"]) == ["random_over-s0", "random_over-s1"]
    md = (project / "reports" / "texts" / "leaderboard.md").read_text()
    assert "balance.method=random_over" in md and "| baseline | 2 |" in md
    assert (project / "reports" / "texts" / "leaderboard.png").stat().st_size > 1000
