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


GRID = ["--strategies", "none random_over", "--seeds", "0 1"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One reproduced, committed project (branch main), pushed to a bare git repository (origin) with a
    local-folder DVC remote (store) beside it: the "machines" of the shard test clone it from there. Each test
    works on its own copy."""
    root = tmp_path_factory.mktemp("sweep")
    project = make_text_project(root / "project")
    set_params(project, cv={"folds": 2}, train={"max_epochs": 15, "patience": 4})
    run(["git", "init", "-q", "--bare", "-b", "main", str(root / "origin.git")], root)
    (root / "store").mkdir()
    run(["git", "remote", "add", "origin", str(root / "origin.git")], project)
    run(["dvc", "remote", "add", "-d", "store", str(root / "store")], project)
    run(["dvc", "repro"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "baseline run"], project)
    run(["git", "push", "-q", "origin", "main"], project)
    return project


@pytest.fixture
def project(baseline, tmp_path):
    return shutil.copytree(baseline, tmp_path / "project", symlinks=True)


@pytest.fixture(scope="module")
def one_machine(baseline, tmp_path_factory):
    """The whole grid swept on one machine (a copy of the baseline, nothing pushed): (project, the sweep's run).
    The committed TREC-6 example (80 experiments) sits in reports/: a sweep on this project's own file must neither
    replace it nor end in "compares 80 experiments, this run only 4: not overwritten"."""
    project = shutil.copytree(baseline, tmp_path_factory.mktemp("one") / "project", symlinks=True)
    (project / "reports").mkdir(exist_ok=True)
    rows = [{"view": "untuned", "experiments": [f"e{i}" for i in range(80)]}]
    (project / "reports" / "leaderboard.json").write_text(json.dumps({"rows": rows}))
    return project, sweep(project)


def sweep(project, *more: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "commands.sweep", *GRID, "--poll", "2", *more]
    try:
        return subprocess.run(cmd, cwd=project, env=env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    finally:
        stop_queue(project)  # no queue worker outlives the test


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


def test_sweep_two_strategies_two_seeds(one_machine):
    project, proc = one_machine
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "embed recomputed in 0 of 4 experiments" in proc.stdout
    example = json.loads((project / "reports" / "leaderboard.json").read_text())
    assert len(example["rows"][0]["experiments"]) == 80  # another data source: untouched
    board = json.loads((project / "reports" / "texts" / "leaderboard.json").read_text())  # data.source texts.csv
    assert board["failed"] == [] and board["seeds"] == [0, 1] and "missing" not in board
    rows = {(r["strategy"], r["view"]): r for r in board["rows"]}
    assert set(rows) == {(s, v) for s in ("baseline", "balance.method=random_over") for v in ("untuned", "tuned")}
    assert all(r["metrics"]["macro_f1"]["n"] == 2 for r in rows.values())
    assert sorted(rows["balance.method=random_over", "untuned"]["experiments"]) == ["random_over-s0", "random_over-s1"]
    md = (project / "reports" / "texts" / "leaderboard.md").read_text()
    assert "balance.method=random_over" in md and "| baseline | 2 |" in md
    assert (project / "reports" / "texts" / "leaderboard.png").stat().st_size > 1000


def machine(baseline, where):
    """A fresh clone of origin, as a CI runner or a colleague's machine has it."""
    run(["git", "clone", "-q", str(baseline.parent / "origin.git"), str(where)], baseline.parent)
    run(["git", "config", "user.name", "runner"], where)
    run(["git", "config", "user.email", "runner@example.com"], where)
    return where


def compare_pull(project) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "commands.compare", "--pull", "origin", "--shards", "2", *GRID]
    return run(cmd, project, check=False)


def test_two_machines_each_run_a_share_and_a_third_gathers_the_one_machine_leaderboard(baseline, one_machine, tmp_path):
    a, b, c = (machine(baseline, tmp_path / name) for name in "abc")
    # each share here is one seed of two strategies: run two at a time, both would run the same split stage at once
    # and may lose DVC's race on its run-cache file (docs/compare.md); one at a time, as a one-core runner would
    one_at_a_time = ("--jobs", "1")
    ran_a = sweep(a, "--shard", "1/2", "--push", "origin", *one_at_a_time)
    assert ran_a.returncode == 0, ran_a.stdout + ran_a.stderr
    assert "2 experiments (share 1/2 of the grid)" in ran_a.stdout and "pushed 2 experiments to origin" in ran_a.stdout
    assert "--pull origin --shards 2" in ran_a.stdout.strip().splitlines()[-1]  # what to run when all shares are in
    assert not (a / "reports" / "texts").exists()  # one share writes no leaderboard

    # share 2/2 not run yet: the leaderboard is written, the missing share named, exit 1
    partial = compare_pull(c)
    assert partial.returncode == 1, partial.stdout + partial.stderr
    assert "2 pulled from origin, 0 already here" in partial.stdout
    board = json.loads((c / "reports" / "texts" / "leaderboard.json").read_text())
    assert board["missing"] == {"2/2": ["none-s1", "random_over-s1"]}
    assert "share 2/2: none-s1, random_over-s1" in (c / "reports" / "texts" / "leaderboard.md").read_text()

    ran_b = sweep(b, "--shard", "2/2", "--push", "origin", *one_at_a_time)
    assert ran_b.returncode == 0, ran_b.stdout + ran_b.stderr
    whole = compare_pull(c)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert "2 pulled from origin, 2 already here" in whole.stdout
    one = one_machine[0] / "reports" / "texts" / "leaderboard.json"
    assert (c / "reports" / "texts" / "leaderboard.json").read_bytes() == one.read_bytes()

    # a share run again finds its experiments on origin: nothing runs, nothing new is pushed
    refs = run(["git", "ls-remote", "origin"], a).stdout
    again = sweep(a, "--shard", "1/2", "--push", "origin", *one_at_a_time)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 of this share's experiments are already on origin: not run again" in again.stdout
    assert "nothing new to push to origin" in again.stdout and "queued" not in again.stdout
    assert run(["git", "ls-remote", "origin"], a).stdout == refs
