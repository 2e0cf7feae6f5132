import zlib

import numpy as np
import pytest

from imbalance_lab.config import parse_section
from imbalance_lab.data import rows
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies import resampling
from imbalance_lab.strategies.resampling import (
    APPROXIMATE,
    INTERPOLATES,
    NEEDS_TEXT,
    OVER,
    OVER_CLEAN,
    RESAMPLERS,
    SELECTS_ROWS,
    UNDER,
    Resampled,
)
from imbalance_lab.strategies.text_augment import Texts
from imbalance_lab.task import MULTICLASS

NAMES = ["big", "mid", "ABBR"]
COUNTS = [60, 20, 8]


def methods(kind=None, having=(), lacking=()) -> list[str]:
    """Resampler names from the registry's metadata, for parametrisation."""
    return sorted(
        name
        for name, entry in RESAMPLERS.items()
        if MULTICLASS in entry.tasks
        and (kind is None or entry.kind == kind)
        and set(having) <= entry.traits
        and not set(lacking) & entry.traits
    )


NEEDS_NEIGHBOURS = sorted(n for n in methods() if "balance.k_neighbors" in RESAMPLERS[n].reads)


def resample(X, y, method, *, seed, class_names=None, **balance):
    """resampling.resample with its params section read the way the stages read it (config validates); methods
    that make texts get one short text per row and a deterministic word-hashing embedder of X's width."""
    section = parse_section("balance", {"method": method, **balance})
    texts = word_texts(y, X.shape[1]) if NEEDS_TEXT in RESAMPLERS[method].traits else None
    return resampling.resample(X, y, section, seed=seed, class_names=class_names, texts=texts)


def word_texts(y, width: int) -> Texts:
    def embed(texts):
        vectors = [[sum(hash_word(w, j) for w in t.split()) / len(t.split()) for j in range(width)] for t in texts]
        return np.asarray(vectors, dtype=np.float32)

    return Texts([f"class{code} word{i % 7} word{i % 5} row{i}" for i, code in enumerate(y)], embed)


def hash_word(word: str, j: int) -> float:
    return zlib.crc32(f"{j}:{word}".encode()) % 1000 / 1000


def blobs(counts, centers, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    parts = [rng.normal(loc=c, scale=scale, size=(n, 2)) for n, c in zip(counts, centers, strict=True)]
    X = np.concatenate(parts)
    return X.astype(np.float32), np.repeat(np.arange(len(counts)), counts)


@pytest.fixture
def three_class():
    return blobs(COUNTS, [(0, 0), (1.5, 0), (3, 0)])  # overlapping, so every method has something to do


@pytest.fixture
def binary():
    return blobs([50, 12], [(0, 0), (1.5, 0)])


def counts_of(result: Resampled, k: int = 3) -> list[int]:
    return np.bincount(result.y, minlength=k).tolist()


def rows_of(X: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(X, dtype=np.float32)}


def assert_one_line(err: pytest.ExceptionInfo) -> None:
    assert "\n" not in str(err.value)


def assert_on_class_segments(points: np.ndarray, rows: np.ndarray, tol: float = 1e-5) -> None:
    """Every point lies on a segment between two real rows (a convex combination of a pair)."""
    a, b = rows[:, None, :].astype(np.float64), rows[None, :, :].astype(np.float64)
    ab = b - a
    length2 = np.maximum((ab**2).sum(-1), 1e-30)
    for p in points.astype(np.float64):
        t = np.clip(((p - a) * ab).sum(-1) / length2, 0.0, 1.0)
        distance = np.linalg.norm(a + t[..., None] * ab - p, axis=-1)
        assert distance.min() < tol, f"{p} is not between two rows of its class"


@pytest.mark.parametrize("method", methods())
def test_every_method_returns_consistent_arrays(method, three_class):
    X, y = three_class
    out = resample(X, y, method, seed=0, class_names=NAMES)
    assert out.X.dtype == np.float32 and out.y.dtype == np.int64 and out.synthetic.dtype == bool
    assert out.X.shape == (len(out.y), 2) and out.synthetic.shape == out.y.shape
    assert set(out.y.tolist()) <= {0, 1, 2}
    # every non-synthetic row is a real input row
    assert rows_of(out.X[~out.synthetic]) <= rows_of(X)
    assert all(isinstance(note, str) and "\n" not in note for note in out.notes)


@pytest.mark.parametrize("method", methods(OVER, lacking=[APPROXIMATE]))
def test_exact_oversamplers_balance_every_class_to_majority(method, three_class):
    assert counts_of(resample(*three_class, method, seed=0)) == [60, 60, 60]


@pytest.mark.parametrize("method", methods(having=[APPROXIMATE]))
def test_approximate_oversamplers_grow_minorities_and_note_any_miss(method, three_class):
    out = resample(*three_class, method, seed=0, class_names=NAMES)
    counts = counts_of(out)
    assert counts[0] == 60 and counts[1] > 20 and counts[2] > 8
    for name, count in zip(NAMES[1:], counts[1:], strict=True):
        if count != 60:
            assert any(f"'{name}' ends with {count} rows" in note for note in out.notes)


@pytest.mark.parametrize("method", methods(UNDER, having=[SELECTS_ROWS]))
def test_undersamplers_shrink_every_class_to_minority(method, three_class):
    out = resample(*three_class, method, seed=0)
    assert counts_of(out) == [8, 8, 8]
    assert not out.synthetic.any()


def test_tomek_links_removes_only_majority_rows(binary):
    X, y = binary
    out = resample(X, y, "tomek_links", seed=0)
    counts = counts_of(out, 2)
    assert counts[1] == 12 and counts[0] < 50  # overlapping blobs do have Tomek links
    assert not out.synthetic.any()
    assert rows_of(X[y == 1]) <= rows_of(out.X[out.y == 1])


def test_tomek_links_auto_keeps_smallest_class_in_multiclass(three_class):
    assert counts_of(resample(*three_class, "tomek_links", seed=0))[2] == 8


def test_tomek_links_removes_exactly_the_majority_end_of_each_link(binary):
    X, y = binary
    distance = np.linalg.norm(X[:, None, :].astype(np.float64) - X[None, :, :], axis=-1)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.argmin(axis=1)
    # a Tomek link: two rows of different classes that are each other's nearest neighbour
    in_link = (nearest[nearest] == np.arange(len(y))) & (y[nearest] != y)
    assert in_link.any()
    out = resample(X, y, "tomek_links", seed=0)
    assert rows_of(out.X) == rows_of(X[~(in_link & (y == 0))]) and len(out.y) == len(y) - (in_link & (y == 0)).sum()


@pytest.mark.parametrize("method", methods(OVER_CLEAN))
def test_cleaning_half_of_combined_methods_keeps_minority_rows(method, three_class):
    X, y = three_class
    out = resample(X, y, method, seed=0)
    counts = counts_of(out)
    assert counts[1:] == [60, 60]  # SMOTE targets, untouched by cleaning
    assert counts[0] < 60  # the (not over-sampled) majority was cleaned
    for code in (1, 2):
        assert rows_of(X[y == code]) <= rows_of(out.X[out.y == code])


@pytest.mark.parametrize("method", methods(having=[INTERPOLATES]))
def test_synthetic_rows_lie_between_two_real_rows_of_their_class(method, three_class):
    X, y = three_class
    out = resample(X, y, method, seed=0)
    assert out.synthetic.any()
    for code in (1, 2):
        assert_on_class_segments(out.X[out.synthetic & (out.y == code)], X[y == code])


@pytest.mark.parametrize("method", ["smote", "mixup", "random_over", "random_under", "kmeans_smote"])
def test_same_seed_same_output_other_seed_differs(method, three_class):
    first, again, other = (resample(*three_class, method, seed=s) for s in (1, 1, 2))
    assert np.array_equal(first.X, again.X) and np.array_equal(first.y, again.y)
    assert np.array_equal(first.synthetic, again.synthetic) and first.notes == again.notes
    assert not (first.X.shape == other.X.shape and np.array_equal(first.X, other.X))


@pytest.mark.parametrize("method", methods())
def test_every_method_is_deterministic_under_its_seed(method, three_class):
    first, again = (resample(*three_class, method, seed=7) for _ in range(2))
    assert np.array_equal(first.X, again.X) and np.array_equal(first.y, again.y)
    assert np.array_equal(first.synthetic, again.synthetic) and first.notes == again.notes


def test_synthetic_flags_count_generated_rows_not_duplicates(three_class):
    X, y = three_class
    smote = resample(X, y, "smote", seed=0)
    assert smote.synthetic.sum() == len(smote.y) - len(y)
    assert not smote.synthetic[: len(y)].any()
    over = resample(X, y, "random_over", seed=0)
    assert len(over.y) > len(y) and over.synthetic.sum() == 0


def isin_rows(X_in: np.ndarray, X_out: np.ndarray) -> np.ndarray:
    """Reference answer: output rows whose exact bytes are nowhere among the input rows."""
    return np.array([row not in rows_of(X_in) for row in (r.tobytes() for r in X_out)], dtype=bool)


def test_synthetic_mask_is_exact_bytes_membership(monkeypatch):
    rng = np.random.default_rng(0)
    X_in = rng.normal(size=(50, 3)).astype(np.float32)
    X_in[1] = X_in[0]  # a repeated input row
    X_in[2, 0] = 0.0
    X_out = np.concatenate([X_in[::-1], rng.normal(size=(20, 3)).astype(np.float32), X_in[2:3]])
    X_out[-1, 0] = -0.0  # equal as a float, different bytes: synthetic, as before
    expected = isin_rows(X_in, X_out)
    assert expected.sum() == 21
    assert np.array_equal(rows.rows_not_in(X_out, X_in), expected)
    assert np.array_equal(rows.rows_not_in(X_out[:, :1], X_in[:, :1]), isin_rows(X_in[:, :1], X_out[:, :1]))
    assert rows.rows_not_in(X_out, X_in[:0]).all()
    appended = np.concatenate([X_in, X_out[-25:]])  # input rows first, as imbalanced-learn's over-samplers
    assert np.array_equal(rows.rows_not_in(appended, X_in), isin_rows(X_in, appended))
    # every row hashing alike forces the byte-by-byte fallback: still the exact answer
    monkeypatch.setattr(rows, "row_keys", lambda words: np.zeros(len(words), dtype=np.uint64))
    assert np.array_equal(rows.rows_not_in(X_out, X_in), expected)
    assert np.array_equal(rows.rows_not_in(appended, X_in), isin_rows(X_in, appended))


def test_first_source_rows_is_the_first_input_row_with_the_same_bytes(monkeypatch):
    rng = np.random.default_rng(1)
    X_in = rng.normal(size=(40, 3)).astype(np.float32)
    X_in[7] = X_in[3]  # a repeated input row: its first index, 3, is the answer
    X_out = np.concatenate([X_in[[7, 0, 39]], rng.normal(size=(2, 3)).astype(np.float32), -np.zeros((1, 3))])
    X_in[5] = 0.0  # 0.0 and -0.0 are equal floats with different bytes: no source
    first = {}
    for i, row in enumerate(X_in):
        first.setdefault(row.tobytes(), i)
    expected = [first.get(row.astype(np.float32).tobytes(), -1) for row in X_out]
    assert expected == [3, 0, 39, -1, -1, -1]
    assert rows.first_source_rows(X_out, X_in).tolist() == expected
    monkeypatch.setattr(rows, "row_keys", lambda words: np.zeros(len(words), dtype=np.uint64))  # every hash alike
    assert rows.first_source_rows(X_out, X_in).tolist() == expected


def test_k_neighbors_lowered_with_a_note_for_a_small_class():
    X, y = blobs([40, 3], [(0, 0), (1, 0)])
    out = resample(X, y, "smote", seed=0, k_neighbors=5, class_names=["common", "ABBR"])
    assert counts_of(out, 2) == [40, 40]
    assert "smote: smallest class 'ABBR' has 3 rows; k_neighbors lowered 5 -> 2" in out.notes


@pytest.mark.parametrize("method", NEEDS_NEIGHBOURS)
def test_single_member_class_is_a_data_error_naming_the_class(method):
    X, y = blobs([40, 15, 1], [(0, 0), (1, 0), (0.5, 0.5)])
    with pytest.raises(DataError, match=r"class 'ABBR' has 1 training row.*random_over or mixup") as err:
        resample(X, y, method, seed=0, class_names=NAMES)
    assert_one_line(err)


def test_mixup_copies_a_single_member_class_with_a_note():
    X, y = blobs([10, 1], [(0, 0), (1, 0)])
    out = resample(X, y, "mixup", seed=0, class_names=["a", "ABBR"])
    assert counts_of(out, 2) == [10, 10]
    assert np.all(out.X[out.y == 1] == X[y == 1]) and not out.synthetic.any()
    assert any("'ABBR' has 1 row" in note for note in out.notes)


def test_unknown_method_lists_valid_names(three_class):
    with pytest.raises(ConfigError, match="balance.method") as err:
        resample(*three_class, "smoot", seed=0)
    assert all(name in str(err.value) for name in RESAMPLERS)
    assert_one_line(err)


def test_dict_strategy_by_class_name_and_code(three_class):
    strategy = {"ABBR": 30, "mid": 25}
    by_name = resample(*three_class, "smote", seed=0, sampling_strategy=strategy, class_names=NAMES)
    assert counts_of(by_name) == [60, 25, 30]
    by_code = resample(*three_class, "random_under", seed=0, sampling_strategy={0: 30})
    assert counts_of(by_code) == [30, 20, 8]


@pytest.mark.parametrize(
    "method, strategy, match",
    [
        ("smote", {"nope": 30}, "unknown class 'nope'; classes are: big, mid, ABBR"),
        ("smote", {"ABBR": 3}, "'ABBR' has 8 rows but target 3.*only adds rows"),
        ("near_miss", {"big": 100}, "'big' has 60 rows but target 100.*only removes rows"),
        ("smote", {"ABBR": 0}, "must be an integer >= 1"),
        ("smote", 0.5, "a float needs 2 classes, data has 3"),
        ("smote", "minority", "use auto, a ratio"),
        ("tomek_links", {"big": 40}, "set 'auto'"),
    ],
)
def test_bad_sampling_strategy_is_a_config_error(three_class, method, strategy, match):
    with pytest.raises(ConfigError, match=match) as err:
        resample(*three_class, method, seed=0, sampling_strategy=strategy, class_names=NAMES)
    assert "balance.sampling_strategy" in str(err.value)
    assert_one_line(err)


def test_float_strategy_on_binary_data(binary):
    assert counts_of(resample(*binary, "smote", seed=0, sampling_strategy=0.5), 2) == [50, 25]
    assert counts_of(resample(*binary, "random_under", seed=0, sampling_strategy=0.5), 2) == [24, 12]
    with pytest.raises(ConfigError, match=r"ratio 0.1 must lie in \[0.24"):
        resample(*binary, "smote", seed=0, sampling_strategy=0.1)


def test_balanced_data_is_returned_unchanged_with_a_note():
    X, y = blobs([20, 20], [(0, 0), (1, 0)])
    for method in ("adasyn", "smote", "mixup", "smote_enn"):
        out = resample(X, y, method, seed=0)
        assert np.array_equal(out.X, X) and np.array_equal(out.y, y)
        assert any("already at its target count" in note for note in out.notes)


def test_adasyn_on_a_fully_separated_class_is_a_data_error():
    X, y = blobs([40, 10], [(0, 0), (100, 100)])
    with pytest.raises(DataError, match="adasyn: class 'far' has no other-class rows.*use smote") as err:
        resample(X, y, "adasyn", seed=0, class_names=["near", "far"])
    assert_one_line(err)


def test_adasyn_grows_the_minority_even_when_another_class_rounds_to_zero_new_rows():
    # 'mid' needs 5 rows spread over 195: every per-row quota rounds to 0, which used to abort all classes
    X, y = blobs([200, 195, 20], [(0, 0), (1.5, 0), (3, 0)])
    out = resample(X, y, "adasyn", seed=0, class_names=NAMES)
    counts = counts_of(out)
    assert counts[:2] == [200, 195] and counts[2] > 20 + 0.8 * 180
    assert out.synthetic.sum() == counts[2] - 20
    assert "adasyn: class 'mid' needs 5 more rows but its per-row quotas round to 0" in " ".join(out.notes)


def test_kmeans_smote_without_any_usable_cluster_degrades_to_smote_and_says_so():
    # the 4 minority rows sit in two distant majority blobs, so no cluster of 2 or more holds k+1 = 4 of them (a
    # small CV fold looks like this); one cluster is plain SMOTE, with k lowered to the class size like smote
    X, blob = blobs([30, 30, 2, 2], [(0, 0), (50, 50), (0, 0), (50, 50)], scale=0.5)
    y = (blob >= 2).astype(np.int64)
    out = resample(X, y, "kmeans_smote", seed=0)
    assert counts_of(out, 2) == [60, 60] and out.synthetic.sum() == 56
    notes = " ".join(out.notes)
    assert "k_neighbors lowered 5 -> 3" in notes and "used 1 cluster (plain SMOTE)" in notes


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"k_neighbors": 0}, ConfigError, "balance.k_neighbors"),
        ({"mixup_alpha": 0.0}, ConfigError, "balance.mixup_alpha"),
        ({"class_names": ["only"]}, DataError, "class code 2 has no name"),
    ],
)
def test_bad_arguments(three_class, kwargs, error, match):
    with pytest.raises(error, match=match):
        resample(*three_class, "mixup", seed=0, **kwargs)


def test_bad_data_is_a_data_error(three_class):
    X, y = three_class
    with pytest.raises(DataError, match="NaN"):
        resample(np.where(np.arange(len(X))[:, None] == 3, np.nan, X), y, "smote", seed=0)
    with pytest.raises(DataError, match="integer class codes"):
        resample(X, y.astype(float), "smote", seed=0)
    with pytest.raises(DataError, match="need at least 2"):
        resample(X, np.zeros_like(y), "smote", seed=0)


def test_cluster_centroids_shrinks_majorities_to_centroids_inside_their_class(three_class):
    X, y = three_class
    out = resample(X, y, "cluster_centroids", seed=0)
    assert counts_of(out) == [8, 8, 8]
    assert rows_of(out.X[out.y == 2]) == rows_of(X[y == 2])  # the minority is kept as it is
    # centroids are new rows (a one-row cluster's centroid is that row, so not every one is)
    assert out.synthetic[out.y != 2].sum() >= 12 and not out.synthetic[out.y == 2].any()
    for code in (0, 1):  # a centroid is a mean of its class's rows: inside the class's bounding box
        centroids, rows = out.X[out.y == code], X[y == code]
        assert (centroids >= rows.min(axis=0) - 1e-6).all() and (centroids <= rows.max(axis=0) + 1e-6).all()
