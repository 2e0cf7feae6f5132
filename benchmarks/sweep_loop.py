"""The no-DVC limit of a sweep: one Python process runs each experiment's stages (their main(), the code DVC
runs) one after another in a scratch copy of the project, so imports are paid once and there is no DVC, git
or process start-up. The embeddings come from the baseline run, as DVC restores them.

    python -m benchmarks.sweep_loop --project DIR --grid small|full --out FILE
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import ROOT
from benchmarks.grid import experiments
from imbalance_lab.config import set_dotted
from imbalance_lab.pipeline.stage import pipeline_order

STAGES = tuple(module for name, module in pipeline_order(ROOT / "dvc.yaml") if name != "embed")  # run order
COMPARED = {  # what both paths must agree on: file -> (key path, name)
    "metrics/test.json": (("macro_f1",), "test_macro_f1"),
    "metrics/full/threshold.json": (("after", "macro_f1"), "threshold_macro_f1"),
    "metrics/cv.json": (("macro_f1_mean",), "cv_macro_f1_mean"),
}


def compared_metrics(read) -> dict:
    """The COMPARED values of one experiment (None where missing); read(path) gives a metrics file as a dict."""
    out = {}
    for path, (keys, name) in COMPARED.items():
        value = read(path)
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        out[name] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--grid", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    started = time.perf_counter()
    project = Path(args.project).resolve()
    raw = yaml.safe_load((project / "params.yaml").read_text())
    stages = [importlib.import_module(f"stages.{name}") for name in STAGES]
    results, times = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(project / "data/embeddings", work / "data/embeddings")
        os.chdir(work)
        for name, seed, overrides in experiments(args.grid):
            wall = time.perf_counter()
            params = copy.deepcopy(raw)
            params["seed"] = seed
            for key, value in overrides.items():
                set_dotted(params, key, value)
            Path("params.yaml").write_text(yaml.safe_dump(params))
            for stage in stages:
                stage.main()
            results[name] = compared_metrics(lambda p: json.loads(Path(p).read_text()) if Path(p).exists() else {})
            times[name] = round(time.perf_counter() - wall, 3)
            print(f"loop {name}: {times[name]:.1f}s {results[name]}", flush=True)
    record = {"metrics": results, "seconds": times, "in_process_s": round(time.perf_counter() - started, 2)}
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
