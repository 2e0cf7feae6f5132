"""Before/after of the library fixes made because of these benchmarks, side by side in one run.

    python -m benchmarks.fixes --out FILE [--repeats 3]

"before" is the replaced code, kept here verbatim; "after" is the library now. Each pair gets the same
inputs and must give the same answer (checked; for row hashes: the same grouping of rows), so the ratio
is the speed-up of an identical result. (train.threads is measured side by side in benchmarks.train, the
lazy imbalanced-learn import in benchmarks.startup.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.common import interleaved, load, median
from benchmarks.synthetic import make_embeddings


def synthetic_rows_before(X_in: np.ndarray, X_out: np.ndarray) -> np.ndarray:
    """imbalance_lab.resampling._synthetic_rows before: np.isin on whole rows as opaque void scalars."""

    def as_bytes(X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X)
        return X.view(np.dtype((np.void, X.shape[1] * X.itemsize))).ravel()

    return ~np.isin(as_bytes(X_out), as_bytes(X_in))


def synthetic_mask(rows: int, repeats: int) -> list[dict]:
    from imbalance_lab.resampling import _synthetic_rows, resample

    X, y = make_embeddings(rows)
    cases = []
    for method in ("none", "random_over", "mixup"):
        out = resample(X, y, method, seed=0).X
        answers: dict[str, np.ndarray] = {}

        def before(out=out, answers=answers):
            answers["before"] = synthetic_rows_before(X, out)

        def after(out=out, answers=answers):
            answers["after"] = _synthetic_rows(X, out)

        times = interleaved({"before": before, "after": after}, repeats)
        cases.append(
            {
                "what": f"resample(): synthetic-row mask, {method} output",
                "rows_in": rows,
                "rows_out": int(len(out)),
                "before_s": median(times["before"]),
                "after_s": median(times["after"]),
                "speedup": median(times["before"]) / median(times["after"]),
                "identical": bool(np.array_equal(answers["before"], answers["after"])),
                "times_s": times,
            }
        )
    return cases


def text_hashes_before(values) -> np.ndarray:
    """stages/embed.py text_hashes before: blake2b of str(v), i.e. of the repr of each feature row's bytes."""
    import hashlib

    digests = (hashlib.blake2b(str(v).strip().encode(), digest_size=8).digest() for v in values)
    return np.fromiter((int.from_bytes(d, "little") for d in digests), dtype=np.uint64, count=len(values))


def _first_same(hashes: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with the same hash: a grouping independent of values."""
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    return first[inverse]


def feature_row_hashes(rows: int, repeats: int) -> dict:
    from stages.embed import text_hashes

    X, _ = make_embeddings(rows)
    X[1] = X[0]  # one repeated row, so "same grouping" has something to find
    values = [row.tobytes() for row in X]
    answers: dict[str, np.ndarray] = {}

    def before():
        answers["before"] = text_hashes_before(values)

    def after():
        answers["after"] = text_hashes(values)

    times = interleaved({"before": before, "after": after}, repeats)
    groups = [_first_same(answers[k]) for k in ("before", "after")]
    return {
        "what": "embed stage: row hashes of feature rows (features backend)",
        "rows_in": rows,
        "rows_out": rows,
        "before_s": median(times["before"]),
        "after_s": median(times["after"]),
        "speedup": median(times["before"]) / median(times["after"]),
        "identical": bool(np.array_equal(*groups)),  # the same rows share a hash: values differ by design
        "times_s": times,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    load_start = load()
    cases = [*synthetic_mask(args.rows, args.repeats), feature_row_hashes(args.rows, args.repeats)]
    Path(args.out).write_text(
        json.dumps({"cases": cases, "repeats": args.repeats, "load_start": load_start, "load_end": load()}, indent=1)
    )


if __name__ == "__main__":
    main()
