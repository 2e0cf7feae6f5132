"""end to end and scale: `dvc repro` from scratch in a scratch project copy, per-stage wall time and peak RSS.

    python -m benchmarks.pipeline e2e   --workdir DIR --out FILE   # TREC-6 + MiniLM, the default params
    python -m benchmarks.pipeline scale --workdir DIR --out FILE [--rows 200000]  # features backend

Every stage command is wrapped by benchmarks.stagetime, so the figures are those of the real stage
processes that DVC started (imports included); "dvc" is what `dvc repro` added around them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import yaml

from benchmarks.common import ROOT, bench_env, load, run_measured
from benchmarks.synthetic import write_features_table

# what a project needs to run (.cache: the fetched datasets and the embedding cache, as on a user's machine)
COPIED = ("stages", "imbalance_lab", "datasets", ".cache", "dvc.yaml", "params.yaml", ".dvcignore", ".gitignore")
WRAPPER = ROOT / "benchmarks" / "stagetime.py"


def sh(cmd: list[str], cwd: Path, timeout: float | None = None, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=bench_env(**env), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_project(dest: Path, **params) -> Path:
    """Copy code and config to dest, wrap every stage command, apply params overrides, git commit."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in map(ROOT.joinpath, COPIED):
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif item.exists():
            shutil.copy2(item, dest / item.name)
    wrap_stages(dest / "dvc.yaml")
    set_params(dest / "params.yaml", **params)
    sh(["git", "init", "-q", "-b", "main"], dest)
    sh(["git", "config", "user.email", "bench@example.com"], dest)
    sh(["git", "config", "user.name", "bench"], dest)
    sh(["dvc", "init", "-q"], dest)
    sh(["dvc", "config", "core.analytics", "false"], dest)
    commit(dest, "scratch project")
    return dest


def wrap_stages(dvc_yaml: Path) -> None:
    """Prefix each stage command with the stagetime wrapper (absolute path: experiments run in temp dirs)."""
    spec = yaml.safe_load(dvc_yaml.read_text())
    for name, stage in spec["stages"].items():
        stage["cmd"] = f"python {WRAPPER} {name} {stage['cmd']}"
    dvc_yaml.write_text(yaml.safe_dump(spec, sort_keys=False))


def set_params(path: Path, **sections: dict) -> None:
    params = yaml.safe_load(path.read_text())
    for key, value in sections.items():
        params[key] = {**(params.get(key) or {}), **value}  # params.yaml may leave a section out
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def commit(project: Path, message: str) -> None:
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-qm", message, "--allow-empty"], project)


def read_stage_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


MEMORY_LIMIT_GIB = 24
SCALE_FILE = "features.parquet"
SCALE_MAX_EPOCHS = 5  # per model (train, and each of the 5 CV folds): keeps `make bench` within 15 minutes


def repro(project: Path, stage_log: Path, timeout: float) -> dict:
    stage_log.unlink(missing_ok=True)
    load_before = load()
    result = run_measured(["dvc", "repro"], cwd=project, env=bench_env(BENCH_STAGE_LOG=str(stage_log)), timeout=timeout)
    if result.rc != 0:
        tail = (result.stdout + result.stderr)[-2000:]
        raise RuntimeError(f"dvc repro failed or timed out ({result.rc}) in {project}:\n{tail}")
    stages = read_stage_log(stage_log)
    stage_wall = sum(s["wall_s"] for s in stages)
    return {
        "wall_s": round(result.wall_s, 2),
        "stages": stages,
        "stage_wall_s": round(stage_wall, 2),
        "dvc_overhead_s": round(result.wall_s - stage_wall, 2),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in stages),
        "load_before": load_before,
        "load_after": load(),
    }


def e2e(workdir: Path, timeout: float) -> dict:
    project = make_project(workdir / "e2e")
    record = repro(project, workdir / "e2e-stages.jsonl", timeout)
    commit(project, "baseline: dvc repro")  # the sweep benchmark starts from this commit
    return {**record, "project": str(project)}


def scale(workdir: Path, rows: int, timeout: float) -> dict:
    project = make_project(
        workdir / f"scale-{rows}",
        data={"source": SCALE_FILE},
        embed={"backend": "features"},
        train={"max_epochs": SCALE_MAX_EPOCHS},
    )
    write_features_table(project / SCALE_FILE, rows)
    record = repro(project, workdir / f"scale-{rows}-stages.jsonl", timeout)
    return {**record, "rows": rows, "within_memory_limit": record["peak_rss_mb"] < MEMORY_LIMIT_GIB * 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["e2e", "scale"])
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    workdir = Path(args.workdir)
    record = e2e(workdir, args.timeout) if args.what == "e2e" else scale(workdir, args.rows, args.timeout)
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
