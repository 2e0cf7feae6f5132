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
QUERY_CHUNK = 1024  # query rows re-ranked at a time (memory: chunk x candidates x dims x 8 bytes)
FLOAT32_SLACK = 1.0e-4  # relative error allowed for faiss's float32 squared distances
FLOAT64_BLOCK = 16384  # rows per block of the float64 search of inconclusive queries
HNSW_KEPT = 2  # graphs kept while a resampler runs: imbalanced-learn refits the same rows once per class

_notes: list[tuple[int, int]] | None = None  # set while a resampler runs (see `notes`)
_built: dict[tuple, object] = {}  # the last HNSW_KEPT graphs, by their rows' bytes


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
        self.largest_norm_ = float(np.einsum("nd,nd->n", self.rows_, self.rows_).max(initial=0.0))  # squared
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
        distances = np.empty((len(queries), k))
        indices = np.empty((len(queries), k), dtype=np.int64)
        unsure = []
        for start in range(0, len(queries), QUERY_CHUNK):
            part = slice(start, start + QUERY_CHUNK)
            distances[part], indices[part], farthest = _rerank(queries[part], self.rows_, found[part], k)
            if self.search == EXACT and candidates > k:
                unsure.append(
                    start + np.flatnonzero(_inconclusive(queries[part], self.largest_norm_, farthest, distances[part]))
                )
        if unsure and len(rows := np.concatenate(unsure)):
            distances[rows], indices[rows] = _float64_search(queries[rows], self.rows_, k)
        if self.search == APPROXIMATE:
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
        _built[key] = _built.pop(key)  # most recently used last
        return _built[key]
    index = faiss.IndexHNSWFlat(rows.shape[1], HNSW_LINKS)
    index.hnsw.efConstruction = HNSW_BUILD_BREADTH
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # rows join the graph in order: a parallel build differs run to run
    try:
        index.add(rows)
    finally:
        faiss.omp_set_num_threads(threads)
    while len(_built) >= HNSW_KEPT:
        _built.pop(next(iter(_built)))
    _built[key] = index
    return index


def _rerank(queries, rows, found, k):
    """float64 distances to each query's candidates, ordered by (distance, row index): the k nearest, and the
    squared distance of the farthest candidate."""
    valid = found >= 0  # faiss pads with -1 when a graph search finds fewer rows
    cand = np.where(valid, found, 0)
    diff = rows[cand].astype(np.float64) - queries[:, None, :].astype(np.float64)
    squared = np.where(valid, np.einsum("qcd,qcd->qc", diff, diff), np.inf)
    order = np.lexsort((cand, squared), axis=-1)  # by distance, then by row index
    nearest = order[:, :k]
    farthest = np.take_along_axis(squared, order[:, -1:], axis=1)[:, 0]
    return np.sqrt(np.take_along_axis(squared, nearest, axis=1)), np.take_along_axis(cand, nearest, axis=1), farthest


def _inconclusive(queries, largest_norm, farthest, distances) -> np.ndarray:
    """Queries where a row outside the float32 candidates could still be nearer than the k-th: float32 squared
    distances are within ~1e-5 of the squared norms; a list is conclusive when its farthest candidate lies clearly
    beyond its k-th (ties at the k-th place, duplicate rows among them, are always settled in float64)."""
    scale = np.einsum("qd,qd->q", queries, queries) + largest_norm
    return farthest - distances[:, -1] ** 2 <= FLOAT32_SLACK * scale


def _float64_search(queries, rows, k):
    """Exact k nearest in float64 for a few queries, scanning the rows in blocks; ties go to the smaller index."""
    queries = queries.astype(np.float64)
    q_norms = np.einsum("qd,qd->q", queries, queries)[:, None]
    best_d = np.full((len(queries), 0), np.inf)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(rows), FLOAT64_BLOCK):
        block = rows[start : start + FLOAT64_BLOCK].astype(np.float64)
        squared = np.maximum(q_norms - 2 * queries @ block.T + np.einsum("nd,nd->n", block, block), 0.0)
        index = np.broadcast_to(np.arange(start, start + len(block)), squared.shape)
        best_d, best_i = np.hstack([best_d, squared]), np.hstack([best_i, index])
        order = np.lexsort((best_i, best_d), axis=-1)[:, :k]
        best_d, best_i = np.take_along_axis(best_d, order, axis=1), np.take_along_axis(best_i, order, axis=1)
    return np.sqrt(best_d), best_i


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
    _, exact = _float64_search(queries[sample], estimator.rows_, indices.shape[1])  # no second index of the rows
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
