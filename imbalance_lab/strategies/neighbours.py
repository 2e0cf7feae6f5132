"""balance.neighbors: the one nearest-neighbour search behind every resampler that searches neighbours.

`Neighbours` is the estimator imbalanced-learn takes as `k_neighbors` / `n_neighbors` / `m_neighbors` (scikit-learn's
NearestNeighbors contract: fit, kneighbors, kneighbors_graph). Both searches run in faiss:
- exact: every distance, in float32 matrix products (faiss's blocked BLAS search, memory bounded by its blocks),
  then the candidates re-ranked in float64, so the neighbours and their order are scikit-learn's brute-force
  ones on data without distance ties (ties, e.g. duplicate rows, go to the smaller row index);
- approximate: an HNSW graph (built on one thread, so the same rows give the same graph), its candidates re-ranked
  the same way; the recall on sampled rows is measured against the exact search and logged.
faiss is imported inside the search: config imports the resampler registry in every stage.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

import numpy as np

EXACT, APPROXIMATE = "exact", "approximate"
SEARCHES = (EXACT, APPROXIMATE)
PARAM = "balance.neighbors"

HNSW_LINKS = 32  # graph degree M: recall vs memory (M * 8 bytes per row)
HNSW_BUILD_BREADTH = 64  # efConstruction
HNSW_SEARCH_BREADTH = 64  # efSearch, raised to 2 * the neighbours asked for
RECALL_SAMPLE = 200  # rows whose exact neighbours the approximate search is checked against
EXTRA_CANDIDATES = 8  # float32 candidates beyond k, re-ranked in float64
QUERY_CHUNK = 4096  # query rows re-ranked at a time (memory: chunk x candidates x dims x 8 bytes)

_notes: list[str] | None = None  # set while a resampler runs (see `notes`)
_built: dict[tuple, object] = {}  # the last HNSW graph: imbalanced-learn refits the same rows once per class


@contextmanager
def notes():
    """Collect (neighbours found, neighbours asked) of each approximate search while a resampler runs."""
    global _notes
    _notes, previous = [], _notes
    try:
        yield _notes
    finally:
        _notes = previous
        _built.clear()


class Neighbours:
    """scikit-learn's NearestNeighbors (Euclidean, brute force) as imbalanced-learn calls it, searched in faiss.

    get_params / set_params are scikit-learn's estimator protocol (imbalanced-learn clones the estimator); not a
    BaseEstimator subclass so that importing the registry does not import scikit-learn."""

    def __init__(self, n_neighbors: int = 5, search: str = EXACT, seed: int = 0, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.search = search
        self.seed = seed
        self.n_jobs = n_jobs  # imbalanced-learn sets it; faiss runs on its own threads

    def get_params(self, deep=True):
        return {"n_neighbors": self.n_neighbors, "search": self.search, "seed": self.seed, "n_jobs": self.n_jobs}

    def set_params(self, **params):
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"Invalid parameter {key!r} for Neighbours")
            setattr(self, key, value)
        return self

    def __repr__(self):
        return f"Neighbours(n_neighbors={self.n_neighbors}, search={self.search!r})"

    def fit(self, X, y=None):
        self.rows_ = np.ascontiguousarray(X, dtype=np.float32)
        self.n_samples_fit_ = len(self.rows_)
        self.index_ = _flat(self.rows_) if self.search == EXACT else _hnsw(self.rows_, self.seed)
        return self

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        k = self.n_neighbors if n_neighbors is None else int(n_neighbors)
        queries = self.rows_ if X is None else np.ascontiguousarray(X, dtype=np.float32)
        wanted = k + 1 if X is None else k  # scikit-learn: with X None, a row is not its own neighbour
        if wanted > self.n_samples_fit_:
            raise ValueError(f"Expected n_neighbors <= n_samples_fit, got {wanted} > {self.n_samples_fit_}")
        distances, indices = self._search(queries, wanted)
        if X is None:
            distances, indices = _drop_self(distances, indices)
        return (distances, indices) if return_distance else indices

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        from scipy.sparse import csr_matrix

        distances, indices = self.kneighbors(X, n_neighbors)
        rows, k = indices.shape
        values = np.ones(rows * k) if mode == "connectivity" else distances.ravel()
        return csr_matrix((values, indices.ravel(), np.arange(0, rows * k + 1, k)), shape=(rows, self.n_samples_fit_))

    def _search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        candidates = min(self.n_samples_fit_, k + EXTRA_CANDIDATES)
        if self.search == APPROXIMATE:
            self.index_.hnsw.efSearch = max(HNSW_SEARCH_BREADTH, 2 * candidates)
        _, found = self.index_.search(queries, candidates)
        distances, indices = _rerank(queries, self.rows_, found, k)
        if self.search == EXACT:
            distances, indices = _recheck(queries, self.rows_, found, distances, indices, k)
        else:
            _note_recall(self, queries, indices)
        return distances, indices


def _flat(rows: np.ndarray):
    import faiss

    index = faiss.IndexFlatL2(rows.shape[1])
    index.add(rows)
    return index


def _hnsw(rows: np.ndarray, seed: int):
    import faiss

    key = (rows.shape, hashlib.blake2b(rows.data, digest_size=16).hexdigest(), seed)
    if key in _built:
        return _built[key]
    index = faiss.IndexHNSWFlat(rows.shape[1], HNSW_LINKS)
    index.hnsw.efConstruction = HNSW_BUILD_BREADTH
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # rows join the graph in order: a parallel build differs run to run
    try:
        index.add(rows)
    finally:
        faiss.omp_set_num_threads(threads)
    _built.clear()
    _built[key] = index
    return index


def _rerank(queries, rows, found, k) -> tuple[np.ndarray, np.ndarray]:
    """float64 distances to each query's candidates, ordered by (distance, row index); the k nearest."""
    out_d = np.empty((len(queries), k))
    out_i = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), QUERY_CHUNK):
        part = slice(start, start + QUERY_CHUNK)
        cand = found[part]
        valid = cand >= 0  # faiss pads with -1 when a graph search finds fewer rows
        cand = np.where(valid, cand, 0)
        diff = rows[cand].astype(np.float64) - queries[part, None, :].astype(np.float64)
        squared = np.where(valid, np.einsum("qcd,qcd->qc", diff, diff), np.inf)
        order = np.lexsort((cand, squared), axis=-1)[:, :k]  # by distance, then by row index
        out_d[part] = np.sqrt(np.take_along_axis(squared, order, axis=1))
        out_i[part] = np.take_along_axis(cand, order, axis=1)
    return out_d, out_i


def _recheck(queries, rows, found, distances, indices, k):
    """Rows where a neighbour beyond the float32 candidates could still be nearer get an exact float64 search.

    float32 squared distances are within a relative ~1e-5 of the truth; a candidate list is conclusive when its
    last candidate lies clearly beyond the k-th distance."""
    if found.shape[1] <= k:  # every row is a candidate
        return distances, indices
    last = found[:, -1]
    beyond = np.einsum("qd,qd->q", *(2 * [rows[last].astype(np.float64) - queries.astype(np.float64)]))
    scale = np.einsum("qd,qd->q", queries, queries) + np.max(np.einsum("nd,nd->n", rows, rows))
    unsure = np.flatnonzero(beyond - distances[:, -1] ** 2 <= 1.0e-4 * scale)
    for row in unsure:
        squared = np.einsum("nd,nd->n", *(2 * [rows.astype(np.float64) - queries[row].astype(np.float64)]))
        order = np.lexsort((np.arange(len(rows)), squared))[:k]
        distances[row], indices[row] = np.sqrt(squared[order]), order
    return distances, indices


def _drop_self(distances, indices):
    """scikit-learn's rule: drop each row's own index; a row not among its neighbours (duplicates) drops the first."""
    own = indices == np.arange(len(indices))[:, None]
    own[~own.any(axis=1), 0] = True
    k = indices.shape[1] - 1
    return distances[~own].reshape(-1, k), indices[~own].reshape(-1, k)


def _note_recall(estimator: Neighbours, queries: np.ndarray, indices: np.ndarray) -> None:
    if _notes is None or len(queries) == 0:
        return
    rng = np.random.default_rng(estimator.seed)
    sample = rng.choice(len(queries), size=min(RECALL_SAMPLE, len(queries)), replace=False)
    exact = Neighbours(indices.shape[1], EXACT).fit(estimator.rows_).kneighbors(queries[sample], return_distance=False)
    hits = sum(len(set(a) & set(b)) for a, b in zip(exact, indices[sample], strict=True))
    _notes.append((hits, exact.size))


def recall_line(found: list[tuple[int, int]]) -> list[str]:
    """One log line for the approximate searches a resampler ran (none for exact ones)."""
    if not found:
        return []
    recalls = [hits / asked for hits, asked in found]
    overall = sum(hits for hits, _ in found) / sum(asked for _, asked in found)
    return [
        f"{PARAM} approximate: {overall:.3f} of the exact nearest neighbours found (lowest {min(recalls):.3f} over "
        f"{len(found)} search(es), up to {RECALL_SAMPLE} sampled rows each); exact gives 1.000"
    ]
