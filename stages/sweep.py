"""sweep: queue strategies x seeds as DVC experiments, run them, report failures by name, then compare.

    python -m stages.sweep [--strategies "none smote train.loss=focal"] [--seeds "0 1 2 3 4"] [--jobs 2]

What it runs, in order (each step is a plain DVC command you can also type yourself):
1. ``dvc repro embed``: the embedding is computed (or restored) once in the workspace, so that it is in the
   run-cache before parallel experiments start; otherwise two workers starting at once would both embed.
2. ``dvc exp run --queue -n <strategy>-s<seed> -S <baseline + strategy> -S seed=<seed>`` per grid point;
   experiments of this commit that already succeeded under the same name are kept, not re-run.
3. ``dvc queue start -j <jobs>``, then ``dvc exp show --json --rev <commit>`` every few seconds until none
   of the sweep's experiments is queued or running.
4. Failed experiments are printed by name with the last lines of ``dvc queue logs <name>``; the logs of
   the successful ones are checked for "Running stage 'embed'" (embed recomputed instead of restored).
5. ``python -m stages.compare --rev <commit>`` writes reports/leaderboard.{md,json,png}.
Exit status: 0 when every experiment succeeded, 1 when any failed (the leaderboard is still written from
the others), 2 for a bad strategy/seed list or a repo that cannot queue experiments.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from imbalance_lab.compare import load_records
from imbalance_lab.errors import UserError
from imbalance_lab.sweep import DEFAULT_SEEDS, DEFAULT_STRATEGIES, Experiment, parse_seeds, parse_strategies, plan

EXIT_FAILED_EXPERIMENTS = 1
EXIT_USER_ERROR = 2
EMBED_RAN = "Running stage 'embed'"
DVC = [sys.executable, "-m", "dvc"]


def dvc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*DVC, *args], capture_output=True, text=True)
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
        records = load_records(dvc("exp", "show", "--json", "--rev", rev).stdout)
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


def wait(names: list[str], rev: str, poll: float, jobs: int, patience: int = 4) -> dict[str, str]:
    """Poll until none is queued or running. A name missing from `exp show` (briefly, between the end of
    a run and its commit) counts as busy for ``patience`` polls, then as lost. Queue workers that died
    (killed, crashed) while experiments wait are started again (`dvc queue start` starts only missing ones)."""
    last, missing_for = None, 0
    while True:
        now = states(rev)
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stages.sweep", description=__doc__.splitlines()[0])
    ap.add_argument("--strategies", default=DEFAULT_STRATEGIES, help=f"default: {DEFAULT_STRATEGIES}")
    ap.add_argument("--seeds", default=DEFAULT_SEEDS, help=f"default: {DEFAULT_SEEDS}")
    ap.add_argument("--jobs", type=int, default=2, help="experiments at a time (at most the CPU count)")
    ap.add_argument("--poll", type=float, default=30.0, help="seconds between queue checks (each costs ~1.5 s CPU)")
    ap.add_argument("--no-compare", action="store_true", help="skip `python -m stages.compare` at the end")
    args = ap.parse_args(argv)
    started = time.monotonic()
    try:
        params = yaml.safe_load(Path("params.yaml").read_text()) if Path("params.yaml").is_file() else None
        if not isinstance(params, dict):
            raise UserError("params.yaml not found or empty; run from the project root")
        grid = plan(parse_strategies(args.strategies), parse_seeds(args.seeds), params)
        jobs = max(1, min(args.jobs, os.cpu_count() or 1))
        rev = baseline_commit()
        say(f"{len(grid)} experiments on commit {rev[:7]}; {jobs} at a time")
        say("dvc repro embed (computed once here, restored from the run-cache by every experiment)")
        dvc("repro", "embed")
        before = states(rev)
        queued = queue(grid, before)
        if queued or any(before.get(e.name) == "queued" for e in grid):  # also left over from an interrupted sweep
            start_workers(jobs)
            say(f"queued {len(queued)}; follow one with `dvc queue logs -f <name>`, all with `dvc queue status`")
        final = wait([e.name for e in grid], rev, args.poll, jobs)
    except UserError as exc:
        print(f"error: sweep: {' '.join(str(exc).split())}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        say("stopped waiting; queued experiments keep running (`dvc queue status`, `dvc queue kill <name>`)")
        return 130
    failed = [n for n, s in final.items() if s != "success"]
    for name in failed:
        tail = [ln for ln in log_text(name).strip().splitlines() if ln.strip()][-3:]
        say(f"FAILED {name} ({final[name]}): " + (" | ".join(tail) or "no log; see `dvc queue status`"))
    ran_here = {e.name for e in queued}
    embedded = [n for n in sorted(ran_here - set(failed)) if EMBED_RAN in log_text(n)]
    say(
        f"embed recomputed in {len(embedded)} of {len(ran_here - set(failed))} experiments run now"
        + (f": {', '.join(embedded)}" if embedded else " (restored from the cache in every one)")
    )
    say(f"{len(grid) - len(failed)} of {len(grid)} succeeded in {time.monotonic() - started:.0f} s")
    if not args.no_compare:
        rc = subprocess.run([sys.executable, "-m", "stages.compare", "--rev", rev]).returncode
        if rc != 0:
            return rc
    if failed:
        say(f"{len(failed)} failed: {', '.join(failed)}; `make sweep` again re-runs only these")
        return EXIT_FAILED_EXPERIMENTS
    return 0


if __name__ == "__main__":
    sys.exit(main())
