"""the sweep: a queued DVC sweep (`dvc queue start -j 2`) vs the same work in a plain Python loop.

    python -m benchmarks.sweep --project DIR --grid small|full --out FILE

DIR is a project copy where the baseline `dvc repro` ran and was committed (benchmarks.pipeline e2e), so
embed is cached. The DVC wall time runs from the first `dvc exp run --queue` until the last experiment is
committed (its git ref exists) or failed. The loop (benchmarks.sweep_loop) runs in a fresh process, imports
included. Stage records (benchmarks.stagetime) show which stages ran and prove embed was restored.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import bench_env, load, run_measured
from benchmarks.grid import GRIDS, experiments
from benchmarks.project import read_stage_log, sh
from benchmarks.sweep_loop import compared_metrics

POLL_S = 1.0
STATUS_EVERY = 15  # polls between `dvc queue status` calls (they cost ~1 s of CPU each)


def exp_refs(project: Path) -> dict[str, str]:
    """{experiment name: ref} for every finished experiment (DVC writes refs/exps/.../<name>)."""
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/exps"], cwd=project, capture_output=True, text=True
    ).stdout
    return {ref.rsplit("/", 1)[1]: ref for ref in out.split() if ref.count("/") >= 4}


def failed(project: Path, env: dict) -> list[str]:
    out = subprocess.run(["dvc", "queue", "status"], cwd=project, env=env, capture_output=True, text=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.rstrip().endswith("Failed") and len(line.split()) > 2]


def reset(project: Path, env: dict) -> None:
    """Forget earlier benchmark experiments and the run-cache, so a repeated sweep recomputes like the first
    (the baseline's outputs stay: dvc.lock and the cache restore them, as for a user)."""
    subprocess.run(["dvc", "queue", "remove", "--all"], cwd=project, env=env, capture_output=True)
    subprocess.run(["dvc", "exp", "remove", "--all-commits"], cwd=project, env=env, capture_output=True)
    shutil.rmtree(project / ".dvc/cache/runs", ignore_errors=True)


def wait_for(project: Path, names: list[str], env: dict, deadline: float) -> dict[str, str]:
    """Poll until every experiment is committed (its ref exists) or failed; {name: ref} of the done ones."""
    polls, failures, done = 0, [], {}
    while time.perf_counter() < deadline:
        done = {n: r for n, r in exp_refs(project).items() if n in names}
        polls += 1
        if len(done) < len(names) and polls % STATUS_EVERY == 0:
            failures = [n for n in failed(project, env) if n in names]
        if len(done) + len(failures) >= len(names):
            break
        time.sleep(POLL_S)
    return done


def run_dvc(project: Path, grid: str, stage_log: Path, timeout: float) -> dict:
    env = bench_env(BENCH_STAGE_LOG=str(stage_log))
    reset(project, env)
    stage_log.unlink(missing_ok=True)
    plan = experiments(grid)
    names = [name for name, _, _ in plan]
    load_before = load()
    started = time.perf_counter()
    for name, seed, overrides in plan:
        sets = [f"seed={seed}", *(f"{key}={value}" for key, value in overrides.items())]
        sh(["dvc", "exp", "run", "--queue", "--name", name, *(a for s in sets for a in ("-S", s))], project, **env)
    queued = time.perf_counter()
    try:
        # not sh(): the workers it spawns inherit its stdout, so reading a pipe would wait for them to exit
        cmd = ["dvc", "queue", "start", "-j", "2"]
        # not captured: a worker's parent keeps inherited stdout/stderr open until the worker exits
        subprocess.run(cmd, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        done = wait_for(project, names, env, started + timeout)
        finished = time.perf_counter()
    finally:  # also on timeout or SIGTERM: the detached workers would otherwise keep running experiments
        subprocess.run(["dvc", "queue", "stop", "--kill"], cwd=project, env=env, capture_output=True)
    failures = [n for n in names if n not in done]
    stages = [s for s in read_stage_log(stage_log)]
    ran = {}
    for record in stages:
        ran[record["stage"]] = ran.get(record["stage"], 0) + 1
    sample_log = subprocess.run(
        ["dvc", "queue", "logs", names[-1]], cwd=project, env=env, capture_output=True, text=True
    ).stdout
    metrics = {name: _exp_metrics(project, ref) for name, ref in done.items()}
    return {
        "wall_s": round(finished - started, 2),
        "queueing_s": round(queued - started, 2),
        "experiments": len(names),
        "failed": failures,
        "stage_runs": ran,
        "stage_process_wall_s": round(sum(s["wall_s"] for s in stages), 2),
        "stage_process_cpu_s": round(sum(s["cpu_s"] for s in stages), 2),
        "embed_runs": ran.get("embed", 0),
        "embed_log_line": next((ln.strip() for ln in sample_log.splitlines() if "'embed'" in ln), None),
        "metrics": metrics,
        "load_before": load_before,
        "load_after": load(),
    }


def _exp_metrics(project: Path, ref: str) -> dict:
    def read(path: str) -> dict:
        out = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=project, capture_output=True, text=True)
        return json.loads(out.stdout) if out.returncode == 0 else {}

    return compared_metrics(read)


def run_loop(project: Path, grid: str, out: Path, timeout: float) -> dict:
    load_before = load()
    cmd = [sys.executable, "-m", "benchmarks.sweep_loop", "--project", str(project), "--grid", grid, "--out", str(out)]
    result = run_measured(cmd, cwd=Path(__file__).resolve().parents[1], env=bench_env(), timeout=timeout)
    if result.rc != 0:
        raise RuntimeError(f"sweep loop failed ({result.rc}):\n{result.stderr[-2000:]}")
    record = json.loads(out.read_text())
    record.update(
        wall_s=round(result.wall_s, 2), cpu_s=round(result.cpu_s, 2), load_before=load_before, load_after=load()
    )
    return record


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally-blocks: stop the queue workers
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--grid", choices=sorted(GRIDS), default="small")
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    project = Path(args.project)
    work = Path(args.out).parent
    loop = run_loop(project, args.grid, work / f"sweep-loop-{args.grid}.json", args.timeout)
    dvc = run_dvc(project, args.grid, work / f"sweep-{args.grid}-stages.jsonl", args.timeout)
    n = dvc["experiments"]
    same = {
        name: dvc["metrics"].get(name) == loop["metrics"].get(name)
        for name in loop["metrics"]
        if name in dvc["metrics"]
    }
    record = {
        "grid": args.grid,
        "strategies": GRIDS[args.grid][0],
        "seeds": list(GRIDS[args.grid][1]),
        "jobs": 2,
        "dvc": dvc,
        "loop": loop,
        "ratio_dvc_vs_loop": dvc["wall_s"] / loop["wall_s"],
        "dvc_overhead_per_experiment_s": (dvc["wall_s"] - loop["wall_s"]) / n,
        "metrics_identical": same,
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
