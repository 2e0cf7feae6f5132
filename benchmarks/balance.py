"""balance: time and peak memory of every resampler at 1k / 5k / 50k / 200k rows x 384 dims, and its growth.

    python -m benchmarks.balance --out FILE [--timeout 45] [--methods a,b]

The libraries are imported once; each (method, size) then runs in a forked child, so its peak RSS is its own
and a slow case is killed at --timeout. A size the previous one predicts (at quadratic growth, brute-force
neighbour search in 384 dims) to pass the timeout is not run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from benchmarks.common import fit_exponent, median

SIZES = (1_000, 5_000, 50_000, 200_000)
DIM = 384
NLOGN_EXPONENT = 1.15  # n log n over 5k..200k fits an exponent of ~1.1; above this it grows faster
FLAG_MIN_S = 1.0  # sub-second cases are dominated by constant costs: their slope says little
REPEAT_BUDGET_S = 8.0  # repeat a case (up to 3 runs) while the runs so far took less than this


def _case(method: str, rows: int, write) -> None:
    """In the forked child: resample up to 3 times, write the timings."""
    from benchmarks.synthetic import PROPORTIONS, make_embeddings
    from imbalance_lab.config import parse_section
    from imbalance_lab.strategies.resampling import resample

    X, y = make_embeddings(rows, DIM, seed=0)
    names = [f"c{i}" for i in range(len(PROPORTIONS))]
    times = []
    while len(times) < 3 and sum(times) < REPEAT_BUDGET_S:
        wall = time.perf_counter()
        out = resample(X, y, parse_section("balance", {"method": method}), seed=0, class_names=names)
        times.append(time.perf_counter() - wall)
    write({"times_s": times, "rows_out": int(len(out.y))})


def run_case(method: str, rows: int, timeout: float) -> dict:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            _case(method, rows, lambda record: os.write(write, json.dumps(record).encode()))
        except BaseException as exc:  # noqa: BLE001 - any failure is the case's result
            os.write(write, json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}).encode())
        os._exit(0)
    os.close(write)
    deadline = time.perf_counter() + timeout
    try:
        while not (done := os.wait4(pid, os.WNOHANG))[0] and time.perf_counter() < deadline:
            time.sleep(0.05)
        killed = not done[0]
        if killed:
            os.kill(pid, signal.SIGKILL)
            done = os.wait4(pid, 0)
    except BaseException:  # interrupted or terminated: take the child down too
        os.kill(pid, signal.SIGKILL)
        raise
    with os.fdopen(read) as pipe:
        text = pipe.read()
    record = {"rows": rows, "peak_rss_mb": round(done[2].ru_maxrss / 1024, 1)}
    if killed:
        return {**record, "status": "timeout"}
    record.update(json.loads(text) if text else {"error": "the child died without a result"})
    if "error" in record:
        return {**record, "status": "error"}
    return {**record, "status": "ok", "seconds": round(median(record["times_s"]), 4), "runs": len(record["times_s"])}


def bench_method(method: str, timeout: float) -> dict:
    cases = []
    for rows in SIZES:
        last = cases[-1] if cases else None
        too_slow = last and (last["status"] != "ok" or last["seconds"] * (rows / last["rows"]) ** 2 > timeout)
        cases.append({"rows": rows, "status": "skipped"} if too_slow else run_case(method, rows, timeout))
    points = [(c["rows"], c["seconds"]) for c in cases if c["status"] == "ok" and c["rows"] >= SIZES[1]]
    points = points if len(points) > 1 else [(c["rows"], c["seconds"]) for c in cases if c["status"] == "ok"]
    exponent = fit_exponent(*zip(*points)) if len(points) > 1 else None
    slow = bool(points) and max(t for _, t in points) >= FLAG_MIN_S
    return {
        "method": method,
        "cases": cases,
        "exponent": None if exponent is None else round(exponent, 2),
        "worse_than_nlogn": exponent is not None and exponent > NLOGN_EXPONENT and slow,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_BALANCE_TIMEOUT", 45)))
    ap.add_argument("--methods", default="")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so run_case's cleanup kills a running child
    # imported once before forking; the resamplers import imbalanced-learn lazily, so the first timed call of
    # each child would pay for it
    import imblearn.over_sampling  # noqa: F401
    import imblearn.under_sampling  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.svm  # noqa: F401

    import benchmarks.synthetic  # noqa: F401
    from imbalance_lab.strategies.resampling import RESAMPLERS

    results = []
    for method in [m for m in args.methods.split(",") if m] or list(RESAMPLERS):
        results.append(bench_method(method, args.timeout))
        print(f"balance {method}: {[(c['rows'], c.get('seconds'), c['status']) for c in results[-1]['cases']]}")
    record = {"dim": DIM, "timeout_s": args.timeout, "methods": results, "nlogn_exponent": NLOGN_EXPONENT}
    with open(args.out, "w") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()
