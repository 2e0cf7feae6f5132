"""Stage start-up: what each `python -m stages.X` pays before doing any work (interpreter, imports,
params validation), today and at a pinned reference commit (before the strategies redesign, when every
stage imported torch through config). Every DVC stage of every experiment pays it.

    python -m benchmarks.startup --out FILE [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, bench_env, median, run_measured
from imbalance_lab.pipeline.stage import pipeline_order

REFERENCE_COMMIT = "9adde7e"  # main before the redesign (issue: one place per idea)
STAGES = tuple(module for _, module in pipeline_order(ROOT / "dvc.yaml"))


def _measure(code: str, cwd: Path) -> dict:
    result = run_measured([sys.executable, "-c", code], cwd=cwd, env=bench_env(PYTHONPATH=str(cwd)))
    if result.rc != 0:
        raise RuntimeError(f"{code} in {cwd}: {result.stderr[-500:]}")
    return {"wall_s": result.wall_s, "cpu_s": result.cpu_s, "peak_rss_mb": result.peak_rss_mb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, dict[str, list]] = {"now": {}, "reference": {}}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "reference"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), REFERENCE_COMMIT], cwd=ROOT, check=True)
        try:
            for stage in STAGES:
                code = f"import stages.{stage}; from imbalance_lab.config import load_params; load_params()"
                for _ in range(args.repeats):  # A B A B: load drift hits both alike
                    for side, root in (("now", ROOT), ("reference", old)):
                        runs[side].setdefault(stage, []).append(_measure(code, root))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    now, reference = (
        {s: {k: median([r[k] for r in rs]) for k in rs[0]} for s, rs in runs[side].items()} for side in runs
    )
    commit = subprocess.run(["git", "rev-parse", REFERENCE_COMMIT], cwd=ROOT, capture_output=True, text=True)
    record = {"stages": now, "reference": reference, "reference_commit": commit.stdout.strip(), "repeats": args.repeats}
    record["ratios_cpu"] = {s: round(now[s]["cpu_s"] / reference[s]["cpu_s"], 3) for s in STAGES}
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
