"""end to end and scale: `dvc repro` from scratch in a scratch project copy, per-stage wall time and peak RSS.

    python -m benchmarks.pipeline e2e   --workdir DIR --out FILE   # TREC-6 + MiniLM, the default params
    python -m benchmarks.pipeline scale --workdir DIR --out FILE [--rows 200000]  # features backend

Every stage command is wrapped by benchmarks.stagetime, so the figures are those of the real stage
processes that DVC started (imports included); "dvc" is what `dvc repro` added around them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import bench_env, load, run_measured
from benchmarks.project import commit, make_project, read_stage_log
from benchmarks.synthetic import write_features_table

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
    record["project"] = str(project)
    record["metrics"] = json.loads((project / "metrics/test.json").read_text())["macro_f1"]
    return record


def scale(workdir: Path, rows: int, timeout: float) -> dict:
    project = make_project(
        workdir / f"scale-{rows}",
        data={"source": SCALE_FILE},
        embed={"backend": "features"},
        train={"max_epochs": SCALE_MAX_EPOCHS},
    )
    started = time.perf_counter()
    write_features_table(project / SCALE_FILE, rows)
    write_s = time.perf_counter() - started
    record = repro(project, workdir / f"scale-{rows}-stages.jsonl", timeout)
    record.update(
        rows=rows,
        write_table_s=round(write_s, 2),
        table_mb=round((project / SCALE_FILE).stat().st_size / 2**20, 1),
        within_memory_limit=record["peak_rss_mb"] < MEMORY_LIMIT_GIB * 1024,
        memory_limit_gib=MEMORY_LIMIT_GIB,
        test_macro_f1=json.loads((project / "metrics/test.json").read_text())["macro_f1"],
        train_epochs=json.loads((project / "models/train.json").read_text())["epochs_run"],
        max_epochs=SCALE_MAX_EPOCHS,
        project=str(project),
    )
    return record


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
