"""balance: time and peak memory of every resampler at 5k / 50k / 200k rows x 384 dims, and its growth.

    python -m benchmarks.balance --out FILE [--sizes 5000,50000,200000] [--timeout 45] [--methods a,b]

The libraries are imported once; each (method, size) then runs in a forked child, so its peak RSS is its
own (ru_maxrss of the child, which starts from the imports' resident pages like a fresh process would) and
a slow case is killed at --timeout. Sizes predicted to exceed the timeout from the measured growth are not
run but reported as "> timeout" with the extrapolation; a slow method gets an intermediate size instead so
its exponent still rests on two measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import tempfile
import time

from benchmarks.common import fit_exponent, load, median

SIZES = (5_000, 50_000, 200_000)
PROBE_ROWS = 1_000  # cheap first run that predicts the cost of the real sizes
DIM = 384
ASSUMED_EXPONENT = 2.0  # for extrapolating from one point: brute-force neighbour search in 384 dims
NLOGN_EXPONENT = 1.15  # n log n over 5k..200k fits an exponent of ~1.1; above this it grows faster
FLAG_MIN_S = 1.0  # only a method taking at least this long at its largest measured size is flagged
REPEAT_BUDGET_S = 8.0  # repeat a case (up to 3 runs) while the runs so far took less than this


def _case(method: str, rows: int, result_path: str) -> None:
    """In the forked child: build the data, run resample up to 3 times, write a JSON record, exit."""
    import numpy as np

    from benchmarks.synthetic import PROPORTIONS, make_embeddings
    from imbalance_lab.config import parse_section
    from imbalance_lab.rows import rows_not_in
    from imbalance_lab.strategies.resampling import resample

    X, y = make_embeddings(rows, DIM, seed=0)
    names = [f"c{i}" for i in range(len(PROPORTIONS))]
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, cpu_times, out = [], [], None
    while len(times) < 3 and sum(times) < REPEAT_BUDGET_S:
        wall, cpu = time.perf_counter(), time.process_time()
        out = resample(X, y, parse_section("balance", {"method": method}), seed=0, class_names=names)
        times.append(time.perf_counter() - wall)
        cpu_times.append(time.process_time() - cpu)
    wall = time.perf_counter()
    rows_not_in(out.X, X)
    mask_s = time.perf_counter() - wall
    record = {
        "times_s": times,
        "cpu_s": cpu_times,
        "rows_out": int(len(out.y)),
        "counts_out": np.bincount(out.y, minlength=len(names)).tolist(),
        "rss_data_mb": round(rss_data, 1),
        "synthetic_mask_s": round(mask_s, 4),
        "notes": list(out.notes),
    }
    with open(result_path, "w") as handle:
        json.dump(record, handle)


def run_case(method: str, rows: int, timeout: float) -> dict:
    fd, path = tempfile.mkstemp(prefix="bench-balance-", suffix=".json")
    os.close(fd)
    load_before = load()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            _case(method, rows, path)
        except BaseException as exc:  # noqa: BLE001 - report any failure as the case's result
            with open(path, "w") as handle:
                json.dump({"error": f"{type(exc).__name__}: {exc}"[:300]}, handle)
            code = 1
        os._exit(code)
    timed_out = False
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.perf_counter() - start > timeout:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                timed_out = True
                break
            time.sleep(0.05)
    except BaseException:  # interrupted or terminated: take the child down too
        os.kill(pid, signal.SIGKILL)
        raise
    record = {"rows": rows, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "load": load_before}
    if timed_out:
        record.update(status="timeout", seconds=None, lower_bound_s=timeout)
    else:
        with open(path) as handle:
            record.update(json.load(handle) if os.path.getsize(path) else {"error": "no result"})
        if "error" in record:
            record["status"] = "error"
        else:
            record.update(status="ok", seconds=round(median(record["times_s"]), 4), runs=len(record["times_s"]))
    os.unlink(path)
    return record


def _predict(points: list[tuple[int, float]], rows: int) -> float | None:
    if not points:
        return None
    exponent = fit_exponent(*zip(*points)) if len(points) > 1 else ASSUMED_EXPONENT
    exponent = max(exponent or ASSUMED_EXPONENT, 1.0)
    n0, t0 = points[-1]
    return t0 * (rows / n0) ** exponent


def bench_method(method: str, sizes: tuple[int, ...], timeout: float) -> dict:
    """A cheap probe at PROBE_ROWS first, then each size unless the growth so far predicts a timeout.

    A size predicted over the timeout is reported as skipped with its extrapolation; if only one
    point is known at that moment, an affordable intermediate size is measured first.
    """
    cases, points = [], []

    def measure(rows: int) -> dict:
        case = run_case(method, rows, timeout)
        cases.append(case)
        if case["status"] == "ok":
            points.append((rows, case["seconds"]))
        return case

    probe = measure(PROBE_ROWS)
    for rows in sizes:
        if probe["status"] != "ok" or (cases[-1]["status"] == "timeout"):
            cases.append({"rows": rows, "status": "skipped", "lower_bound_s": timeout, "extrapolated_s": None})
            continue
        predicted = _predict(points, rows)
        if predicted > timeout and len(points) == 1:
            n0, t0 = points[0]
            mid = int(n0 * (timeout / 3 / t0) ** (1 / ASSUMED_EXPONENT)) // 1000 * 1000
            if mid >= 2 * n0:
                measure(mid)
                predicted = _predict(points, rows)
        if predicted > timeout:
            cases.append(
                {"rows": rows, "status": "skipped", "lower_bound_s": timeout, "extrapolated_s": round(predicted, 1)}
            )
            continue
        measure(rows)
    main_points = [(n, t) for n, t in points if n in sizes]
    fit_points = main_points if len(main_points) > 1 else points
    exponent = fit_exponent(*zip(*fit_points)) if len(fit_points) > 1 else None
    return {
        "method": method,
        "cases": sorted(cases, key=lambda c: c["rows"]),
        "exponent": None if exponent is None else round(exponent, 2),
        "exponent_from_rows": [n for n, _ in fit_points],
        # sub-second cases are dominated by constant costs and noise: their slope says little
        "worse_than_nlogn": exponent is not None
        and exponent > NLOGN_EXPONENT
        and max(t for _, t in fit_points) >= FLAG_MIN_S,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_BALANCE_TIMEOUT", 45)))
    ap.add_argument("--methods", default="")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so run_case's cleanup kills a running child
    # import everything the children need once, before forking (no threads started yet); the resamplers
    # import imbalanced-learn lazily, so import it here or the first timed call of each child pays for it
    import imblearn.over_sampling  # noqa: F401
    import imblearn.under_sampling  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.svm  # noqa: F401

    import benchmarks.synthetic  # noqa: F401
    import imbalance_lab.strategies.resampling as resampling

    methods = [m for m in args.methods.split(",") if m] or list(resampling.RESAMPLERS)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    started, load_start = time.time(), load()
    results = []
    for method in methods:
        results.append(bench_method(method, sizes, args.timeout))
        summary = [(c["rows"], c.get("seconds"), c["status"]) for c in results[-1]["cases"]]
        print(f"balance {method}: {summary}", flush=True)
    record = {
        "sizes": sizes,
        "dim": DIM,
        "timeout_s": args.timeout,
        "started": started,
        "wall_s": round(time.time() - started, 1),
        "load_start": load_start,
        "load_end": load(),
        "methods": results,
        "nlogn_exponent": NLOGN_EXPONENT,
    }
    with open(args.out, "w") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()
