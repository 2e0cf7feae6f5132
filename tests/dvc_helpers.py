"""Helpers for the slow reliability tests: copies of a project that already ran, stage runs, DVC output."""

from __future__ import annotations

import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from imbalance_lab.pipeline.stage import declared_outputs
from tests.helpers import COMMAND_TIMEOUT_S, env, run

HEADLINE_FILES = ("metrics/test.json", "metrics/threshold.json", "metrics/cv.json", "dvclive/metrics.json")  # exp show
REPORT_FILES = ("metrics/full/test.json", "metrics/full/threshold.json")  # the test-split reports, whole
METRIC_FILES = (*HEADLINE_FILES, *REPORT_FILES)
SKIP_DIRS = {".git", ".dvc"}


def copy_ran_project(source: Path, dest: Path) -> Path:
    """A byte copy of a project (git history, DVC cache, outputs): a second workspace that already ran."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


def run_stage(project: Path, stage: str) -> subprocess.CompletedProcess:
    """`python -m stages.<stage>` in the project, as DVC runs it; never raises."""
    module = stage.replace("-", "_")
    return subprocess.run(
        [sys.executable, "-m", f"stages.{module}"],
        cwd=project,
        env=env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


def run_stage_here(project: Path, stage: str, monkeypatch, capsys) -> tuple[int, str]:
    """`python -m stages.<stage>` run in this test process (runpy executes the module as __main__, so
    run_stage and its error handling are exactly what the command runs) with the project as working directory.
    No new interpreter: torch, sklearn and imblearn are imported once per test session, not once per case.
    Returns (exit code, stderr)."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    capsys.readouterr()
    module = f"stages.{stage.replace('-', '_')}"
    sys.modules.pop(module, None)  # imported by an earlier test: runpy would warn that it runs a second copy
    try:
        runpy.run_module(module, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def stage_outputs(project: Path, stage: str) -> list[Path]:
    """Every path dvc.yaml says the stage writes (outs, metrics and plots alike)."""
    return [project / path for path in declared_outputs(stage, project / "dvc.yaml")]


def leftover_temp_files(project: Path) -> list[Path]:
    """Atomic-write temp files (*.tmp) anywhere in the workspace outside .git and .dvc."""
    return [p for p in project.rglob("*.tmp") if not SKIP_DIRS & set(p.relative_to(project).parts)]


def ran_stages(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


def read_bytes(project: Path, names) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in names}


def git_show(project: Path, rev: str, name: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{rev}:{name}"], cwd=project, capture_output=True, check=True, timeout=60
    ).stdout


def dvc(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["dvc", *args], project, check=check)


def experiment_refs(project: Path) -> dict[str, str]:
    """{experiment name: commit} for every finished experiment (DVC keeps them as refs/exps/.../<name>)."""
    out = run(["git", "for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"], project).stdout
    refs = {}
    for line in out.splitlines():
        ref, sha = line.split()
        parts = ref.split("/")  # refs/exps/<2 hex>/<38 hex>/<name>: the baseline commit, then the name
        if len(parts) == 5 and len(parts[2]) == 2 and len(parts[3]) == 38:
            refs[parts[4]] = sha
    return refs


def start_queue(project: Path, jobs: int = 2) -> None:
    """`dvc queue start -j <jobs>` with its output NOT captured. Its workers are daemons whose parent process keeps
    the inherited stdout/stderr open until the worker exits, so a captured call only returns when the last worker
    has exited, and never if a worker hangs while shutting down (it happened: CI stalled here for an hour)."""
    subprocess.run(
        ["dvc", "queue", "start", "-j", str(jobs)],
        cwd=project,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=120,
    )


def stop_queue(project: Path) -> None:
    """`dvc queue stop --kill`, then SIGKILL any of this project's queue workers still alive a few seconds later
    (a worker can hang while shutting down; left running, it would outlive the test)."""
    dvc(project, "queue", "stop", "--kill", check=False)
    deadline = time.monotonic() + 5
    for pid_file in (project / ".dvc/tmp/exps/celery").glob("dvc-exp-worker-*.pid"):
        pid = int(pid_file.read_text().strip() or 0)
        cmdline = Path(f"/proc/{pid}/cmdline")
        while pid and cmdline.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid and cmdline.exists() and b"queue-worker" in cmdline.read_bytes():
            os.kill(pid, signal.SIGKILL)


def wait_for_queue(project: Path, expected: int, failed: int = 0, jobs: int = 2, timeout: float = 420) -> str:
    """Wait until `expected` experiments succeeded and `failed` failed, with nothing queued or running; returns
    `dvc queue status`. Polls git refs (milliseconds) and asks DVC (a second of CPU) only when they are all there,
    or now and then. A worker can stop while experiments are still queued (treeverse/dvc#10562): then start
    workers again, as a user would, instead of waiting for nothing."""
    deadline = time.monotonic() + timeout
    polls = 0
    while time.monotonic() < deadline:
        polls += 1
        if len(experiment_refs(project)) >= expected or polls % 15 == 0:
            status = dvc(project, "queue", "status").stdout
            busy = any(state in status for state in ("Queued", "Running"))
            if not busy and (status.count("Success") >= expected and status.count("Failed") >= failed):
                return status
            if not busy and polls % 15 == 0:
                return status  # nothing left to wait for: the caller's assertions say what is missing
            if "Queued" in status and "Worker status: 0 active" in status:
                start_queue(project, jobs)
        time.sleep(2)
    status = dvc(project, "queue", "status", check=False).stdout
    raise AssertionError(f"the queue did not finish in {timeout:.0f} s:\n{status}")
