"""the sweep: a queued DVC sweep (`dvc queue start -j 2`) vs the same stages in a plain Python loop.

    python -m benchmarks.sweep --project DIR --grid small|full --out FILE

DIR is a project copy where the baseline `dvc repro` ran and was committed (benchmarks.pipeline e2e), so
embed is cached. The DVC wall time runs from the first `dvc exp run --queue` until the last experiment is
committed (its git ref exists) or failed. The loop (benchmarks.sweep_loop) runs in a fresh process, imports
included. Stage records (benchmarks.stagetime) show which stages ran.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import ROOT, bench_env, run_measured
from benchmarks.grid import GRIDS, experiments
from benchmarks.pipeline import read_stage_log, sh
from benchmarks.sweep_loop import compared_metrics

POLL_S = 1.0
STATUS_EVERY = 15  # polls between `dvc queue status` calls (they cost ~1 s of CPU each)


def _out(project: Path, *cmd: str, env: dict | None = None) -> str:
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True).stdout


def wait_for(project: Path, names: list[str], env: dict, deadline: float) -> dict[str, str]:
    """Poll until every experiment is committed (refs/exps/.../<name>) or failed; {name: ref} of the done."""
    polls, failures, done = 0, [], {}
    while time.perf_counter() < deadline and len(done) + len(failures) < len(names):
        time.sleep(POLL_S)
        refs = _out(project, "git", "for-each-ref", "--format=%(refname)", "refs/exps").split()
        done = {ref.rsplit("/", 1)[1]: ref for ref in refs if ref.count("/") >= 4 and ref.rsplit("/", 1)[1] in names}
        polls += 1
        if polls % STATUS_EVERY == 0:
            status = _out(project, "dvc", "queue", "status", env=env).splitlines()
            failures = [
                line.split()[1] for line in status if line.rstrip().endswith("Failed") and len(line.split()) > 2
            ]
    return done


def run_dvc(project: Path, grid: str, stage_log: Path, timeout: float) -> dict:
    env = bench_env(BENCH_STAGE_LOG=str(stage_log))
    # forget earlier benchmark experiments and the run-cache, so a repeated sweep recomputes like the first
    _out(project, "dvc", "queue", "remove", "--all", env=env)
    _out(project, "dvc", "exp", "remove", "--all-commits", env=env)
    shutil.rmtree(project / ".dvc/cache/runs", ignore_errors=True)
    stage_log.unlink(missing_ok=True)
    names = [name for name, _, _ in experiments(grid)]
    started = time.perf_counter()
    for name, seed, overrides in experiments(grid):
        sets = [f"seed={seed}", *(f"++{key}={value}" for key, value in overrides.items())]
        sh(["dvc", "exp", "run", "--queue", "--name", name, *(a for s in sets for a in ("-S", s))], project, **env)
    queued = time.perf_counter()
    try:  # not captured: the detached workers inherit stdout, and reading a pipe would wait for them to exit
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["dvc", "queue", "start", "-j", "2"], cwd=project, env=env, check=True, **quiet)
        done = wait_for(project, names, env, started + timeout)
        finished = time.perf_counter()
    finally:  # also on timeout or SIGTERM: the detached workers would otherwise keep running experiments
        _out(project, "dvc", "queue", "stop", "--kill", env=env)
    stages = read_stage_log(stage_log)

    def metrics(ref: str) -> dict:
        def read(path: str) -> dict:
            text = _out(project, "git", "show", f"{ref}:{path}")
            return json.loads(text) if text else {}

        return compared_metrics(read)

    return {
        "wall_s": round(finished - started, 2),
        "queueing_s": round(queued - started, 2),
        "experiments": len(names),
        "failed": [n for n in names if n not in done],
        "stage_runs": dict(Counter(s["stage"] for s in stages)),
        "stage_process_wall_s": round(sum(s["wall_s"] for s in stages), 2),
        "metrics": {name: metrics(ref) for name, ref in done.items()},
    }


def run_loop(project: Path, grid: str, out: Path, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.sweep_loop", "--project", str(project), "--grid", grid, "--out", str(out)]
    result = run_measured(cmd, cwd=ROOT, env=bench_env(), timeout=timeout)
    if result.rc != 0:
        raise RuntimeError(f"sweep loop failed ({result.rc}):\n{result.stderr[-2000:]}")
    return {**json.loads(out.read_text()), "wall_s": round(result.wall_s, 2)}


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally-blocks: stop the queue workers
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--grid", choices=sorted(GRIDS), default="small")
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    project, work = Path(args.project), Path(args.out).parent
    # loop, DVC, loop: the machine's speed drifts over minutes, the mean of the loops brackets the DVC run
    before = run_loop(project, args.grid, work / "sweep-loop-1.json", args.timeout)
    dvc = run_dvc(project, args.grid, work / f"sweep-{args.grid}-stages.jsonl", args.timeout)
    after = run_loop(project, args.grid, work / "sweep-loop-2.json", args.timeout)
    loop_s = (before["wall_s"] + after["wall_s"]) / 2
    record = {
        "grid": args.grid,
        "strategies": GRIDS[args.grid][0],
        "seeds": list(GRIDS[args.grid][1]),
        "dvc": dvc,
        "loop": {"wall_s": loop_s, "runs_s": [before["wall_s"], after["wall_s"]], "metrics": before["metrics"]},
        "ratio_dvc_vs_loop": dvc["wall_s"] / loop_s,
        "dvc_overhead_per_experiment_s": (dvc["wall_s"] - loop_s) / dvc["experiments"],
        "loops_agree": before["metrics"] == after["metrics"],
        "metrics_identical": {
            n: dvc["metrics"].get(n) == m for n, m in before["metrics"].items() if n in dvc["metrics"]
        },
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
