"""`make bench`: run every benchmark section, merge into benchmarks/results.json, render results.md.

    python -m benchmarks.run [--sweep small|full] [--only e2e,embed,...] [--workdir DIR] [--keep]

Each section runs in its own process (python -m benchmarks.<section>), so imports, threads and memory
do not leak between sections. Sections not run this time keep their previous figures (each section
records its own date, load and command), e.g. a full sweep recorded once outside `make bench`.
Env: BENCH_SWEEP=small|full (default small), BENCH_EMBED_TEXTS (0 = all TREC-6 texts).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import ROOT, bench_env, load, machine, run_measured
from benchmarks.report import render

RESULTS_JSON = ROOT / "benchmarks" / "results.json"
RESULTS_MD = ROOT / "benchmarks" / "results.md"
SECTIONS = (
    "e2e",
    "startup",
    "embed",
    "embed_cache",
    "train",
    "finetune",
    "balance",
    "balance_choices",
    "sweep",
    "scale",
    "multilabel",
)
NEEDS_PROJECT = {"train", "finetune", "sweep"}  # use the TREC-6 project the e2e section ran
SECTION_TIMEOUT_S = 900
LONG_SECTIONS_S = {"balance": 3 * 3600}  # 16 resamplers x 2 searches up to 200k rows, each case timed alone


def section_command(name: str, out: Path, work: Path, project: Path | None, sweep: str) -> list[str]:
    py = [sys.executable, "-m"]
    with_project = ["--project", str(project)]
    return {
        "e2e": py + ["benchmarks.pipeline", "e2e", "--workdir", str(work), "--out", str(out)],
        "scale": py + ["benchmarks.pipeline", "scale", "--workdir", str(work), "--out", str(out)],
        "startup": py + ["benchmarks.startup", "--out", str(out)],
        "embed": py + ["benchmarks.embed", "--out", str(out), "--texts", os.environ.get("BENCH_EMBED_TEXTS", "0")],
        "embed_cache": py + ["benchmarks.embed_cache", "--out", str(out)],
        "train": py + ["benchmarks.train", "--out", str(out), *with_project],
        "finetune": py + ["benchmarks.finetune", "--out", str(out), *with_project],
        "balance": py + ["benchmarks.balance", "--out", str(out)],
        "balance_choices": py + ["benchmarks.balance_choices", "--out", str(out)],
        "sweep": py + ["benchmarks.sweep", "--grid", sweep, "--out", str(out), *with_project],
        "multilabel": py + ["benchmarks.multilabel", "--workdir", str(work), "--out", str(out)],
    }[name]


def run_section(name: str, work: Path, project: Path | None, sweep: str) -> dict:
    out = work / f"{name}.json"
    cmd = section_command(name, out, work, project, sweep)
    started, load_before = datetime.now(UTC), load()
    print(f"[bench] {name}: {' '.join(cmd[2:])}  (load {load_before})", flush=True)
    timeout = LONG_SECTIONS_S.get(name, SECTION_TIMEOUT_S) * (4 if sweep == "full" and name == "sweep" else 1)
    result = run_measured(cmd, cwd=ROOT, env=bench_env(PYTHONPATH=str(ROOT)), timeout=timeout)
    record = {
        "command": "python -m " + " ".join(Path(c).name if c.startswith(str(work)) else c for c in cmd[2:]),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": round(result.wall_s, 1),
        "cpu_s": round(result.cpu_s, 1),  # this process and its children (not DVC's detached queue workers)
        "load_before": load_before,
        "load_after": load(),
    }
    if result.rc == 0 and out.exists():
        record["result"] = json.loads(out.read_text())
    else:
        record["error"] = f"exit {result.rc}: " + (result.stderr or result.stdout)[-1500:]
    print(f"[bench] {name}: {record['wall_s']} s{'  FAILED' if 'error' in record else ''}", flush=True)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", choices=["small", "full"], default=os.environ.get("BENCH_SWEEP", "small"))
    ap.add_argument("--only", default="", help="comma-separated sections (default: all)")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    chosen = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        sys.exit(f"error: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if NEEDS_PROJECT & set(chosen) and "e2e" not in chosen:
        chosen.insert(0, "e2e")  # the TREC-6 project the others read
    work = Path(args.workdir or tempfile.mkdtemp(prefix="imbalance-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"sections": {}}
    results["machine"] = machine()
    started = time.perf_counter()
    project = None
    for name in [s for s in SECTIONS if s in chosen]:
        record = run_section(name, work, project, args.sweep)
        key = f"sweep_{args.sweep}" if name == "sweep" else name
        results["sections"][key] = record
        if name == "e2e" and "result" in record:
            project = Path(record["result"]["project"])
        RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")
    this_run = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sections": chosen,
        "wall_s": round(time.perf_counter() - started, 1),
        "sweep": args.sweep,
    }
    results.setdefault("runs", []).append(this_run)
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")
    RESULTS_MD.write_text(render(results))
    print(f"[bench] wrote {RESULTS_MD.relative_to(ROOT)} in {this_run['wall_s']} s", flush=True)
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
