"""balance: every resampler at 1k / 5k / 50k / 200k rows x 384 dims, against the neighbour search's own time.

    python -m benchmarks.balance --out FILE [--timeout 900] [--methods a,b] [--sizes 1000,5000] [--searches ...]

The limit, measured in the same run at each size: every row's 11 nearest rows among all rows in bare faiss
(IndexFlatL2: float32 matrix products and a heap, nothing else), the most neighbour search any resampler here
asks per row; for balance.neighbors approximate, the bare HNSW graph built (one thread) and searched the same way.
ratio = a resampler's time / the limit of its search at that size. Each case runs in a forked child (its peak
RSS its own), killed at --timeout; no case is skipped. text_augment embeds its new texts with a word-hashing
embedder here: the sentence model's time is the embed section's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import zlib

import numpy as np

from benchmarks.common import fit_exponent, median

SIZES = (1_000, 5_000, 50_000, 200_000)
APPROXIMATE_SIZES = (50_000, 200_000)  # where a graph could pay; below, the exact search takes a second or less
DIM = 384
K_LIMIT = 11  # the most neighbours a resampler here asks per row (borderline/svm_smote's m = 10, plus the row)
REPEAT_BUDGET_S = 8.0  # repeat a case (up to 3 runs) while the runs so far took less than this
GOAL_S, GOAL_RATIO, GOAL_MB = 60.0, 3.0, 4096


def _data(rows: int):
    from benchmarks.synthetic import PROPORTIONS, make_embeddings

    X, y = make_embeddings(rows, DIM, seed=0)
    return X, y, [f"c{i}" for i in range(len(PROPORTIONS))]


def _hashing_texts(y: np.ndarray):
    """One short text per row and an embedder that sums fixed random vectors of the words (no model)."""
    from imbalance_lab.strategies.text_augment import Texts

    vectors: dict[str, np.ndarray] = {}

    def word(w: str) -> np.ndarray:
        if w not in vectors:
            vectors[w] = np.random.default_rng(zlib.crc32(w.encode())).standard_normal(DIM).astype(np.float32)
        return vectors[w]

    def embed(texts):
        return np.stack([np.mean([word(w) for w in t.split()], axis=0) for t in texts])

    return Texts([f"class{c} word{i % 97} word{i % 89} term{i % 13} row{i}" for i, c in enumerate(y)], embed)


def _resample_case(method: str, search: str, rows: int) -> dict:
    from imbalance_lab.config import parse_section
    from imbalance_lab.strategies.resampling import NEEDS_TEXT, RESAMPLERS, resample

    X, y, names = _data(rows)
    entry = RESAMPLERS[method]
    labels = y
    if "multiclass" not in entry.tasks:  # multi-label only (mlsmote): the classes as labels, plus a rare tag
        labels = np.eye(len(names), dtype=np.uint8)[y]
        labels = np.hstack([labels, (np.arange(rows) % 50 == 0)[:, None].astype(np.uint8)])
    texts = _hashing_texts(y) if NEEDS_TEXT in entry.traits else None
    section = parse_section("balance", {"method": method, "neighbors": search})
    times, out = [], None
    while len(times) < 3 and sum(times) < REPEAT_BUDGET_S:
        wall = time.perf_counter()
        out = resample(X, labels, section, seed=0, class_names=names, texts=texts)
        times.append(time.perf_counter() - wall)
    recall = [n for n in out.notes if n.startswith("balance.neighbors approximate")]
    return {
        "times_s": times,
        "rows_out": int(len(out.y)),
        "recall": float(recall[0].split(": ")[1].split()[0]) if recall else None,
    }


def _limit_case(search: str, rows: int) -> dict:
    """The bare search: every row's K_LIMIT nearest among all rows (the row itself included), nothing else."""
    import faiss

    from imbalance_lab.strategies import neighbours

    X, _, _ = _data(rows)
    wall = time.perf_counter()
    if search == "exact":
        index = faiss.IndexFlatL2(DIM)
    else:
        index = faiss.IndexHNSWFlat(DIM, neighbours.HNSW_LINKS)
        index.hnsw.efConstruction = neighbours.HNSW_BUILD_BREADTH
        faiss.omp_set_num_threads(1)
    index.add(X)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    if search != "exact":
        index.hnsw.efSearch = max(neighbours.HNSW_SEARCH_BREADTH, 2 * (K_LIMIT + neighbours.EXTRA_CANDIDATES))
    index.search(X, K_LIMIT)
    return {"times_s": [time.perf_counter() - wall], "rows_out": rows, "recall": None}


def run_case(work, args: tuple, timeout: float) -> dict:
    """work(*args) in a forked child: its result, wall time, and the child's peak RSS."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            record = work(*args)
        except BaseException as exc:  # noqa: BLE001 - any failure is the case's result
            record = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        os.write(write, json.dumps(record).encode())
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
    record = {"peak_rss_mb": round(done[2].ru_maxrss / 1024, 1)}
    if killed:
        return {**record, "status": "timeout"}
    record.update(json.loads(text) if text else {"error": "the child died without a result"})
    if "error" in record:
        return {**record, "status": "error"}
    return {**record, "status": "ok", "seconds": round(median(record["times_s"]), 4), "runs": len(record["times_s"])}


def bench_method(method: str, search: str, sizes, limits: dict, timeout: float) -> dict:
    cases = []
    for rows in sizes:
        case = {"rows": rows, **run_case(_resample_case, (method, search, rows), timeout)}
        limit = limits[search].get(rows, {})
        if case["status"] == "ok" and limit.get("status") == "ok":
            case["ratio"] = round(case["seconds"] / limit["seconds"], 3)
        cases.append(case)
        print(f"balance {method} {search} {rows}: {case.get('seconds')} s {case['status']}", flush=True)
    points = [(c["rows"], c["seconds"]) for c in cases if c["status"] == "ok" and c["rows"] >= 5_000]
    exponent = fit_exponent(*zip(*points)) if len(points) > 1 else None
    return {
        "method": method,
        "search": search,
        "cases": cases,
        "exponent": None if exponent is None else round(exponent, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_BALANCE_TIMEOUT", 900)))
    ap.add_argument("--methods", default="")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--searches", default="exact,approximate")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so run_case's cleanup kills a running child
    # imported once before forking, so no case pays for imports
    import faiss  # noqa: F401
    import imblearn.over_sampling  # noqa: F401
    import imblearn.under_sampling  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import benchmarks.synthetic  # noqa: F401
    from imbalance_lab.strategies.resampling import RESAMPLERS, SEARCH

    sizes = [int(s) for s in args.sizes.split(",") if s]
    searches = [s for s in args.searches.split(",") if s]
    graph_sizes = [n for n in sizes if n in APPROXIMATE_SIZES]
    limits = {"exact": {}, "approximate": {}}
    for search, at in (("exact", sizes), ("approximate", graph_sizes if "approximate" in searches else [])):
        for rows in at:
            limits[search][rows] = run_case(_limit_case, (search, rows), args.timeout)
            print(f"balance limit {search} {rows}: {limits[search][rows].get('seconds')} s", flush=True)
    results = []
    for method in [m for m in args.methods.split(",") if m] or list(RESAMPLERS):
        results.append(bench_method(method, "exact", sizes, limits, args.timeout))
        if "approximate" in searches and SEARCH in RESAMPLERS[method].reads and graph_sizes:
            results.append(bench_method(method, "approximate", graph_sizes, limits, args.timeout))
    record = {
        "dim": DIM,
        "k_limit": K_LIMIT,
        "timeout_s": args.timeout,
        "sizes": sizes,
        "limits": {s: {str(n): c for n, c in v.items()} for s, v in limits.items()},
        "methods": results,
        "goals": {"seconds": GOAL_S, "ratio": GOAL_RATIO, "peak_rss_mb": GOAL_MB},
    }
    with open(args.out, "w") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()
