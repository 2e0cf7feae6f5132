"""Stage start-up: what each `python -m stages.X` pays before doing any work (interpreter, imports,
params validation). Every DVC stage of every experiment pays it; the in-process loop pays it once.

    python -m benchmarks.startup --out FILE [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import ROOT, bench_env, load, median, run_measured

# what imbalance_lab.resampling imported at module level before it imported them lazily ("before")
EAGER_RESAMPLING_IMPORTS = (
    "import imblearn.over_sampling, imblearn.under_sampling, sklearn.cluster, sklearn.neighbors, sklearn.svm"
)
BEFORE_AFTER = ("split", "evaluate")  # two stages that never resample: enough to show the saving
STAGES = ("embed", "split", "balance", "train", "cross_validate", "evaluate", "threshold_tune")


def startup(code: str, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        result = run_measured([sys.executable, "-c", code], cwd=ROOT, env=bench_env(PYTHONPATH=str(ROOT)))
        if result.rc != 0:
            raise RuntimeError(f"{code}: {result.stderr[-500:]}")
        runs.append(result)
    return {
        "wall_s": median([r.wall_s for r in runs]),
        "cpu_s": median([r.cpu_s for r in runs]),
        "peak_rss_mb": max(r.peak_rss_mb for r in runs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    load_start = load()
    record = {"python": startup("pass", args.repeats)}
    before = {}
    for stage in STAGES:
        code = f"import stages.{stage}; from imbalance_lab.config import load_params; load_params()"
        record[stage] = startup(code, args.repeats)
        if stage in BEFORE_AFTER:
            before[stage] = startup(f"{code}; {EAGER_RESAMPLING_IMPORTS}", args.repeats)
    Path(args.out).write_text(
        json.dumps(
            {
                "stages": record,
                "before_lazy_resampling_imports": before,
                "repeats": args.repeats,
                "load_start": load_start,
                "load_end": load(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
