"""balance.neighbors: the exact search is scikit-learn's, every neighbour-searching resampler uses it, and the
approximate search is reproducible and says its recall."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from imbalance_lab.config import parse_section
from imbalance_lab.strategies import neighbours, resampling
from imbalance_lab.strategies.neighbours import Neighbours
from imbalance_lab.strategies.resampling import RESAMPLERS, SEARCH, resample

SEARCHING = sorted(name for name, entry in RESAMPLERS.items() if SEARCH in entry.reads and "multiclass" in entry.tasks)


def clustered(rows: int, dim: int = 32, classes: int = 3, seed: int = 0):
    """Rows around 40 cluster centres (what sentence embeddings look like), classes tied loosely to clusters,
    class 0 the majority: no two distances tie."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    cluster = rng.integers(40, size=rows)
    X = (centres[cluster] + 0.4 * rng.normal(size=(rows, dim))).astype(np.float32)
    y = np.where(rng.random(rows) < 0.7, cluster % classes, rng.integers(classes, size=rows))
    y[np.argsort(rng.random(rows))[: rows // 2]] = 0
    return X, y.astype(np.int64)


@pytest.mark.parametrize("k", [1, 2, 6, 11])
@pytest.mark.parametrize("own_rows", [False, True])
def test_exact_search_is_scikit_learns_brute_force(k, own_rows):
    X, _ = clustered(1500)
    queries = None if own_rows else X[:700] + np.float32(0.01)
    ours = Neighbours(k).fit(X).kneighbors(queries)
    theirs = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(queries)
    assert np.array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)


def test_small_query_chunks_give_the_same_neighbours(monkeypatch):
    X, _ = clustered(600)
    whole = Neighbours(5).fit(X).kneighbors(X)
    monkeypatch.setattr(neighbours, "QUERY_CHUNK", 7)
    chunked = Neighbours(5).fit(X).kneighbors(X)
    assert np.array_equal(whole[1], chunked[1]) and np.array_equal(whole[0], chunked[0])


def test_near_ties_beyond_float32_are_settled_in_float64():
    """Rows at distances that differ by less than float32 resolves: the order is float64's, row by row."""
    rng = np.random.default_rng(1)
    directions = rng.normal(size=(300, 16))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = 1.0 + np.arange(300)[::-1] * 2.0e-9  # row 299 nearest, by 2e-9 steps
    X = np.vstack([np.zeros((1, 16)), directions * radii[:, None]]).astype(np.float32)
    truth = np.argsort(((X.astype(np.float64) - X[0].astype(np.float64)) ** 2).sum(1), kind="stable")[:6]
    found = Neighbours(6).fit(X).kneighbors(X[:1], return_distance=False)[0]
    assert np.array_equal(found, truth)


def test_duplicate_rows_are_each_others_neighbours_in_row_order():
    X, _ = clustered(200)
    X = np.vstack([X, X[:5]])  # rows 200..204 repeat rows 0..4
    found = Neighbours(2).fit(X).kneighbors(X, return_distance=False)
    assert found[0].tolist() == [0, 200] and found[200].tolist() == [0, 200]
    without_self = Neighbours(1).fit(X).kneighbors(return_distance=False)
    assert without_self[0, 0] == 200 and without_self[200, 0] == 0  # scikit-learn's rule: never itself


@pytest.mark.parametrize("method", SEARCHING)
def test_every_searching_resampler_gives_what_scikit_learns_search_gives(method, monkeypatch):
    """The exact search swapped for scikit-learn's own NearestNeighbors changes no output byte."""
    X, y = clustered(900)
    section = parse_section("balance", {"method": method})
    ours = resample(X, y, section, seed=3)
    monkeypatch.setattr(
        resampling._Job, "neighbours", lambda job, k, itself=1: NearestNeighbors(n_neighbors=k + itself)
    )
    theirs = resample(X, y, section, seed=3)
    assert np.array_equal(ours.X, theirs.X) and np.array_equal(ours.y, theirs.y)


def test_tomek_links_equal_imbalanced_learns():
    from imblearn.under_sampling import TomekLinks

    X, y = clustered(900)
    ours = resample(X, y, parse_section("balance", {"method": "tomek_links"}), seed=0)
    X_ref, y_ref = TomekLinks().fit_resample(X, y)
    assert len(y_ref) < len(y) and np.array_equal(ours.X, X_ref) and np.array_equal(ours.y, y_ref)


@pytest.mark.parametrize("method", ["smote", "tomek_links"])
def test_approximate_search_is_reproducible_and_states_its_recall(method):
    X, y = clustered(1200)
    section = parse_section("balance", {"method": method, "neighbors": "approximate"})
    first, again = resample(X, y, section, seed=0), resample(X, y, section, seed=0)
    assert np.array_equal(first.X, again.X) and first.notes == again.notes
    line = next(note for note in first.notes if note.startswith("balance.neighbors approximate"))
    recall = float(line.split(": ")[1].split(" ")[0])
    assert 0.9 <= recall <= 1.0, line


def test_approximate_search_finds_most_exact_neighbours():
    X, _ = clustered(3000, dim=64)
    exact = Neighbours(10).fit(X).kneighbors(X[:500], return_distance=False)
    approx = Neighbours(10, "approximate").fit(X).kneighbors(X[:500], return_distance=False)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall >= 0.95


def test_svm_smote_rbf_is_the_previous_behaviour():
    """balance.svm_kernel rbf: imbalanced-learn's SVMSMOTE with scikit-learn's SVC, as before the linear default."""
    from imblearn.over_sampling import SVMSMOTE
    from sklearn.svm import SVC

    X, y = clustered(600)
    ours = resample(X, y, parse_section("balance", {"method": "svm_smote", "svm_kernel": "rbf"}), seed=2)
    svm = SVC(gamma="scale", random_state=2)
    X_ref, y_ref = SVMSMOTE(k_neighbors=5, m_neighbors=10, svm_estimator=svm, random_state=2).fit_resample(X, y)
    assert np.array_equal(ours.X, X_ref) and np.array_equal(ours.y, y_ref)


def test_linear_svm_support_vectors_are_the_rows_inside_their_margin():
    X, y = clustered(800)
    svm = resampling._linear_svm_class()(seed=0).fit(X, y)
    own = svm.model_.decision_function(X)[np.arange(len(y)), y]
    assert 0 < len(svm.support_) < len(y)
    assert np.array_equal(svm.support_, np.flatnonzero(own <= 1.0))
    linear = resample(X, y, parse_section("balance", {"method": "svm_smote"}), seed=0)
    assert np.bincount(linear.y)[1:].min() > np.bincount(y)[1:].min()  # minorities grew


def test_cluster_centroids_full_is_the_previous_behaviour():
    from imblearn.under_sampling import ClusterCentroids
    from sklearn.cluster import KMeans

    X, y = clustered(600)
    ours = resample(X, y, parse_section("balance", {"method": "cluster_centroids", "cluster_kmeans": "full"}), seed=4)
    X_ref, y_ref = ClusterCentroids(estimator=KMeans(n_init=3, random_state=4), random_state=4).fit_resample(X, y)
    assert np.array_equal(ours.X, X_ref) and np.array_equal(ours.y, y_ref)
    fast = resample(X, y, parse_section("balance", {"method": "cluster_centroids"}), seed=4)
    assert np.array_equal(np.bincount(fast.y), np.bincount(y_ref))  # same targets, centroids from mini-batches


def test_an_unknown_search_is_refused_with_the_choices():
    from imbalance_lab.errors import ConfigError

    with pytest.raises(ConfigError, match="balance.neighbors: unknown value 'fast'.*approximate, exact"):
        parse_section("balance", {"neighbors": "fast"})
