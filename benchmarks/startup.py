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

from benchmarks.common import ROOT, bench_env, load, median, run_measured

REFERENCE_COMMIT = "9adde7e"  # main before the redesign (issue: one place per idea)
STAGES = ("embed", "split", "balance", "train", "cross_validate", "evaluate", "threshold_tune")


def _measure(code: str, cwd: Path) -> dict:
    result = run_measured([sys.executable, "-c", code], cwd=cwd, env=bench_env(PYTHONPATH=str(cwd)))
    if result.rc != 0:
        raise RuntimeError(f"{code} in {cwd}: {result.stderr[-500:]}")
    return {"wall_s": result.wall_s, "cpu_s": result.cpu_s, "peak_rss_mb": result.peak_rss_mb}


def _summary(runs: list[dict]) -> dict:
    return {
        "wall_s": median([r["wall_s"] for r in runs]),
        "cpu_s": median([r["cpu_s"] for r in runs]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    load_start = load()
    now, reference = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "reference"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), REFERENCE_COMMIT], cwd=ROOT, check=True)
        try:
            for stage in STAGES:
                code = f"import stages.{stage}; from imbalance_lab.config import load_params; load_params()"
                runs_now, runs_old = [], []
                for _ in range(args.repeats):  # A B A B: load drift hits both alike
                    runs_now.append(_measure(code, ROOT))
                    runs_old.append(_measure(code, old))
                now[stage], reference[stage] = _summary(runs_now), _summary(runs_old)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    Path(args.out).write_text(
        json.dumps(
            {
                "stages": now,
                "reference": reference,
                "reference_commit": subprocess.run(
                    ["git", "rev-parse", REFERENCE_COMMIT], cwd=ROOT, capture_output=True, text=True
                ).stdout.strip(),
                "ratios_cpu": {s: round(now[s]["cpu_s"] / reference[s]["cpu_s"], 3) for s in STAGES},
                "repeats": args.repeats,
                "load_start": load_start,
                "load_end": load(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
