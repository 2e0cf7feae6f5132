"""balance_choices: what the fast defaults of svm_smote and cluster_centroids change in the resampled set.

    python -m benchmarks.balance_choices --out FILE [--sizes 5000,10000]

svm_smote, balance.svm_kernel linear vs rbf: time, support vectors of the over-sampled classes and how many the
two share, new rows, and where the new rows lie (distance to the nearest real row of their class; share whose
nearest real row is of their own class). cluster_centroids, balance.cluster_kmeans minibatch vs full: time, and
how well the centroids stand for their class (mean squared distance of a shrunk class's rows to their nearest
centroid; share of centroids whose nearest real row is of their class). On the TREC-6 embeddings when
data/embeddings is there (`make run`), and on synthetic embeddings of each size.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT


def _data_sets(sizes):
    from benchmarks.synthetic import make_embeddings

    found = ROOT / "data" / "embeddings" / "features.npy"
    if found.exists():
        X = np.load(found).astype(np.float32)
        labels = np.load(found.parent / "labels.npy", allow_pickle=True)
        names, y = np.unique(labels, return_inverse=True)
        yield "TREC-6 (all questions)", X, y.astype(np.int64), [str(n) for n in names]
    for rows in sizes:
        X, y = make_embeddings(rows, 384, seed=0)
        yield f"synthetic {rows:,} x 384", X, y, [f"c{i}" for i in range(6)]


def _nearest(rows: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from imbalance_lab.strategies.neighbours import Neighbours

    distances, indices = Neighbours(1).fit(among).kneighbors(rows)
    return distances[:, 0], indices[:, 0]


def _run(X, y, names, **balance):
    from imbalance_lab.config import parse_section
    from imbalance_lab.strategies.resampling import resample

    wall = time.perf_counter()
    out = resample(X, y, parse_section("balance", balance), seed=0, class_names=names)
    return out, time.perf_counter() - wall


def svm_choice(X, y, names) -> dict:
    from imbalance_lab.strategies import resampling

    grown = [c for c in np.unique(y) if c != np.bincount(y).argmax()]
    record = {}
    supports = {}
    for kernel in ("rbf", "linear"):
        out, seconds = _run(X, y, names, method="svm_smote", svm_kernel=kernel)
        if kernel == "rbf":
            from sklearn.svm import SVC

            svm = SVC(gamma="scale", random_state=0).fit(X, y)
        else:
            svm = resampling._linear_svm_class()(seed=0).fit(X, y)
        support = set(np.asarray(svm.support_)[np.isin(y[svm.support_], grown)].tolist())
        supports[kernel] = support
        new = out.X[len(y) :]
        new_y = out.y[len(y) :]
        own_distance = [_nearest(new[new_y == c], X[y == c])[0].mean() for c in np.unique(new_y) if (new_y == c).any()]
        _, nearest_any = _nearest(new, X)
        record[kernel] = {
            "seconds": round(seconds, 2),
            "support_vectors": len(support),
            "new_rows": int(len(new_y)),
            "new_row_distance_to_class": round(float(np.mean(own_distance)), 4) if own_distance else None,
            "new_rows_nearest_own_class": round(float(np.mean(y[nearest_any] == new_y)), 3) if len(new_y) else None,
        }
    shared = len(supports["rbf"] & supports["linear"])
    record["support_vectors_shared"] = shared
    return record


def kmeans_choice(X, y, names) -> dict:
    record = {}
    for kmeans in ("full", "minibatch"):
        out, seconds = _run(X, y, names, method="cluster_centroids", cluster_kmeans=kmeans)
        shrunk = [c for c in np.unique(y) if (out.y == c).sum() < (y == c).sum()]
        errors = [(_nearest(X[y == c], out.X[out.y == c])[0] ** 2).mean() for c in shrunk]
        centroids = np.isin(out.y, shrunk)
        _, nearest = _nearest(out.X[centroids], X)
        record[kmeans] = {
            "seconds": round(seconds, 2),
            "centroids": int(centroids.sum()),
            "rows_to_centroid_sq_distance": round(float(np.mean(errors)), 4),
            "centroids_nearest_own_class": round(float(np.mean(y[nearest] == out.y[centroids])), 3),
        }
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="5000,10000")
    args = ap.parse_args()
    results = []
    for name, X, y, names in _data_sets([int(s) for s in args.sizes.split(",") if s]):
        results.append({"data": name, "rows": len(y), "svm_smote": svm_choice(X, y, names)})
        results[-1]["cluster_centroids"] = kmeans_choice(X, y, names)
        print(json.dumps(results[-1]), flush=True)
    Path(args.out).write_text(json.dumps({"data_sets": results}, indent=1))


if __name__ == "__main__":
    main()
