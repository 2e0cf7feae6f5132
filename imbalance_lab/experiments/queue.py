"""The DVC experiment queue, driven from Python for `make sweep` (commands/sweep.py): queue named
experiments, start workers, poll their states, read their logs. Every call is a plain DVC command."""

from __future__ import annotations

import subprocess
import sys
import time

from imbalance_lab.errors import UserError
from imbalance_lab.experiments.compare import load_records
from imbalance_lab.experiments.sweep_plan import Experiment

EMBED_RAN = "Running stage 'embed'"
DVC = [sys.executable, "-m", "dvc"]


EXP_SHOW_TIMEOUT_S = 60  # `dvc exp show` has hung while workers ran (once 25 min, once 300 s): polls move on


class NoAnswer(UserError):
    """A DVC command did not finish within its timeout."""


def dvc(*args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run([*DVC, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise NoAnswer(f"`dvc {' '.join(args)}` did not answer in {timeout:.0f} s") from None
    if check and proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["(no message)"])[-1]
        raise UserError(f"`dvc {' '.join(args)}` failed: {last}")
    return proc


def git(*args: str) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"`git {' '.join(args)}` failed: {proc.stderr.strip() or 'not a git repository?'}")
    return proc.stdout.strip()


def say(msg: str) -> None:
    print(f"[sweep] {msg}", flush=True)


def baseline_commit() -> str:
    """HEAD, after checking that queued experiments will see the pipeline (they start from a commit)."""
    if subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], capture_output=True).returncode != 0:
        raise UserError("no git commit yet; queued experiments start from a commit: git add -A && git commit")
    tracked = set(git("ls-files", "dvc.yaml", "params.yaml").split())
    if tracked != {"dvc.yaml", "params.yaml"}:
        raise UserError("dvc.yaml and params.yaml must be committed: queued experiments copy the git tree")
    untracked = git("ls-files", "--others", "--exclude-standard").split()
    if untracked:
        more = f" and {len(untracked) - 5} more" if len(untracked) > 5 else ""
        say(f"warning: untracked files are NOT copied into queued experiments: {', '.join(untracked[:5])}{more}")
    return git("rev-parse", "HEAD")


# When one name has several entries (a failed run, then a re-queued one), the most advanced one counts.
_PRECEDENCE = {"success": 0, "running": 1, "queued": 2}


def states(rev: str) -> dict[str, str]:
    """Experiment name -> state (queued, running, success, failed) for experiments of commit ``rev``."""
    try:
        records = load_records(dvc("exp", "show", "--json", "--rev", rev, timeout=EXP_SHOW_TIMEOUT_S).stdout)
    except NoAnswer:
        raise
    except UserError as exc:  # typically a run whose worker was killed: DVC still lists it as running
        hint = "if `dvc queue status` shows a Running experiment with 0 active workers, `dvc queue remove <name>`"
        raise UserError(f"{exc}; {hint}, then run the sweep again") from None
    out: dict[str, str] = {}
    for r in records:
        if r.kind != "experiment":
            continue
        state = "success" if r.state == "duplicate" else r.state  # duplicate: same params as another success
        if r.name not in out or _PRECEDENCE.get(state, 9) < _PRECEDENCE.get(out[r.name], 9):
            out[r.name] = state
    return out


def queue(experiments: list[Experiment], done: dict[str, str]) -> list[Experiment]:
    queued = []
    for exp in experiments:
        if done.get(exp.name) in ("success", "queued", "running"):
            say(f"{exp.name}: already {done[exp.name]} for this commit, not queued again")
            continue
        if done.get(exp.name) == "failed":  # its queue entry goes, so the leaderboard does not list it as failed
            tail = [ln for ln in log_text(exp.name).strip().splitlines() if ln.strip()][-1:]
            say(f"{exp.name}: failed before ({' '.join(tail) or 'no log'}); queued again")
            dvc("queue", "remove", exp.name, check=False)
        args = ["exp", "run", "--queue", "-n", exp.name]
        for s in exp.set_params:
            args += ["-S", s]
        dvc(*args)
        queued.append(exp)
    return queued


FAILED_POLLS_ALLOWED = 3  # `dvc exp show` can fail once while a finished run's temp workspace is removed


def wait(names: list[str], rev: str, poll: float, jobs: int, patience: int = 4) -> dict[str, str]:
    """Poll until none is queued or running. A name missing from `exp show` (briefly, between the end of
    a run and its commit) counts as busy for ``patience`` polls, then as lost. Queue workers that died
    (killed, crashed) while experiments wait are started again (`dvc queue start` starts only missing ones).
    A failed poll is retried; FAILED_POLLS_ALLOWED in a row end the wait with the last error."""
    last, missing_for, failed = None, 0, 0
    while True:
        try:
            now = states(rev)
            failed = 0
        except NoAnswer as exc:
            say(f"{exc}; polling again")
            continue
        except UserError as exc:  # seen: "directory '.dvc/tmp/exps/tmp.../.dvc' does not exist" mid-cleanup
            failed += 1
            if failed >= FAILED_POLLS_ALLOWED:
                raise
            say(f"{str(exc).split('; if ')[0]}; polling again")
            time.sleep(poll)
            continue
        state = {n: now.get(n, "missing") for n in names}
        missing_for = missing_for + 1 if "missing" in state.values() else 0
        busy = [
            n for n, s in state.items() if s in ("queued", "running") or (s == "missing" and missing_for < patience)
        ]
        counts = {s: sum(1 for v in state.values() if v == s) for s in sorted(set(state.values()))}
        line = ", ".join(f"{v} {k}" for k, v in counts.items())
        running = [n for n, s in state.items() if s == "running"]
        if line != last:
            say(f"{time.strftime('%H:%M:%S')} {line}" + (f" (running: {', '.join(running)})" if running else ""))
            last = line
        if not busy:
            return state
        if counts.get("queued") and counts.get("running", 0) < jobs:
            start_workers(jobs)
        time.sleep(poll)


def start_workers(jobs: int) -> None:
    """`dvc queue start`: its workers are daemons that keep inherited pipes open, so its output is not
    captured (a captured pipe would only reach EOF when the last worker exits)."""
    rc = subprocess.run([*DVC, "queue", "start", "-j", str(jobs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rc.returncode != 0:
        raise UserError(f"`dvc queue start -j {jobs}` failed; see `dvc queue status`")


def log_text(name: str) -> str:
    proc = dvc("queue", "logs", name, check=False)
    return proc.stdout + proc.stderr


def check_push_target(remote: str) -> None:
    """Before any work: the git remote exists and a default DVC remote will take the outputs."""
    if subprocess.run(["git", "remote", "get-url", remote], capture_output=True).returncode != 0:
        raise UserError(f"no git remote named {remote!r}; add it with `git remote add {remote} <url>`")
    if not dvc("remote", "default", check=False).stdout.strip():
        raise UserError(
            f"pushing to {remote} needs a default DVC remote for the outputs: `dvc remote add -d store <url>`, "
            "then commit .dvc/config (credentials go in `dvc remote modify --local` or the environment)"
        )


def experiment_names(rev: str, remote: str = "") -> set[str]:
    """Names of the experiments of commit ``rev``: here, or on the git remote ``remote``."""
    listed = dvc("exp", "list", *([remote] if remote else []), "--rev", rev, "--name-only").stdout
    return {line.strip() for line in listed.splitlines() if line.strip()}


def push(remote: str, names: list[str]) -> None:
    """The experiments (git refs) to ``remote``, their outputs and the run-cache to the default DVC remote."""
    dvc("exp", "push", "--run-cache", remote, *names)


def pull(remote: str, rev: str) -> None:
    """Every experiment of ``rev`` on ``remote``: refs and committed metrics only (what compare reads); their
    outputs stay on the DVC remote until someone asks (`dvc exp apply <name> && dvc pull`)."""
    dvc("exp", "pull", "--no-cache", "--rev", rev, remote)
