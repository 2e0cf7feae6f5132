"""Training-set resampling: imbalanced-learn samplers plus mixup, behind one deterministic call.

Only the training split is ever passed in; nothing here may look at validation or test rows.
imbalanced-learn and scikit-learn are imported inside the resamplers: config imports this module to check
balance.method in every stage, and most stages never resample (saves ~0.5 s of start-up per stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from imbalance_lab.errors import ConfigError, DataError, lookup

STRATEGY = "balance.sampling_strategy"  # param names, for error messages
K = "balance.k_neighbors"


@dataclass(frozen=True)
class Resampled:
    X: np.ndarray  # float32 (n_out, d)
    y: np.ndarray  # int64 class codes
    synthetic: np.ndarray  # bool (n_out,): True for rows whose bytes occur nowhere among the input rows
    notes: tuple[str, ...]  # human log lines about adjustments made on the way


@dataclass
class _Job:
    """Validated inputs every resampler receives; resamplers append human log lines to `notes`."""

    method: str
    X: np.ndarray
    y: np.ndarray
    seed: int
    k_neighbors: int
    strategy: object
    class_names: list[str] | None
    mixup_alpha: float
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[int, int]:
        codes, counts = np.unique(self.y, return_counts=True)
        return dict(zip(codes.tolist(), counts.tolist(), strict=True))

    def name(self, code: int) -> str:
        return repr(self.class_names[code]) if self.class_names else repr(code)


# --- sampling_strategy -> {class code: target count}, only for classes that change -----------------


def _targets(job: _Job, direction: str) -> dict[int, int]:
    """direction "over" adds rows, "under" removes them; "auto" means imbalanced-learn's "auto"."""
    counts, strategy = job.counts(), job.strategy
    if strategy == "auto":  # over: every class up to the majority; under: every class down to the minority
        wanted = dict.fromkeys(counts, (max if direction == "over" else min)(counts.values()))
    elif isinstance(strategy, float):
        wanted = _ratio_targets(counts, strategy, direction)
    elif isinstance(strategy, dict):
        wanted = {_class_code(job, key): target for key, target in strategy.items()}
        for code, target in wanted.items():
            if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
                raise ConfigError(f"{STRATEGY}: target for class {job.name(code)} must be an int >= 1")
            if (target < counts[code]) if direction == "over" else (target > counts[code]):
                raise ConfigError(
                    f"{STRATEGY}: class {job.name(code)} has {counts[code]} rows but target {target}, and "
                    f"{job.method} only {'adds' if direction == 'over' else 'removes'} rows; fix the target"
                )
    else:
        raise ConfigError(f"{STRATEGY}: got {strategy!r}; use 'auto', a float or {{class: count}}")
    return {code: int(target) for code, target in wanted.items() if target != counts[code]}


def _ratio_targets(counts: dict[int, int], ratio: float, direction: str) -> dict[int, int]:
    # imbalanced-learn's float: the wanted minority/majority ratio, only defined for two classes
    if len(counts) != 2:
        raise ConfigError(f"{STRATEGY}: a float needs 2 classes, data has {len(counts)}; use a dict")
    minority, majority = sorted(counts, key=counts.get)
    current = counts[minority] / counts[majority]
    if not current <= ratio <= 1:
        raise ConfigError(f"{STRATEGY}: ratio {ratio} must lie in [{current:.4g} (current ratio), 1]")
    if direction == "over":
        return {minority: int(counts[majority] * ratio)}
    return {majority: int(counts[minority] / ratio)}


def _class_code(job: _Job, key) -> int:
    if isinstance(key, str) and job.class_names and key in job.class_names:
        return job.class_names.index(key)
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and int(key) in job.counts():
        return int(key)
    known = ", ".join(job.class_names) if job.class_names else f"codes {sorted(job.counts())}"
    raise ConfigError(f"{STRATEGY}: unknown class {key!r}; classes are: {known}")


# --- shared steps --------------------------------------------------------------------------------


def _fit(job: _Job, sampler) -> tuple[np.ndarray, np.ndarray]:
    try:
        return sampler.fit_resample(job.X, job.y)
    except (ValueError, RuntimeError) as err:
        raise DataError(
            f"{job.method}: imbalanced-learn failed ({' '.join(str(err).split())}); "
            f"try another balance.method or change {K} / {STRATEGY}"
        ) from None


def _unchanged(job: _Job) -> tuple[np.ndarray, np.ndarray]:
    job.notes.append(f"{job.method}: every class is already at its target count; data left unchanged")
    return job.X, job.y


def _safe_k(job: _Job, targets: dict[int, int]) -> int:
    """k_neighbors that interpolating methods can use: below the size of every class they over-sample."""
    counts = job.counts()
    smallest = min(targets, key=counts.get)
    size = counts[smallest]
    if size < 2:
        raise DataError(
            f"{job.method}: class {job.name(smallest)} has {size} training row, nothing to interpolate with; "
            f"use balance.method random_over or mixup, or add rows of that class"
        )
    if job.k_neighbors < size:
        return job.k_neighbors
    job.notes.append(
        f"{job.method}: smallest class {job.name(smallest)} has {size} rows; "
        f"k_neighbors lowered {job.k_neighbors} -> {size - 1}"
    )
    return size - 1


def _over(job: _Job, sampler_class, interpolates: bool = True, **options):
    """Over-sample with an imbalanced-learn sampler; interpolating ones get a safe k_neighbors."""
    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    if interpolates:
        options["k_neighbors"] = _safe_k(job, targets)
    return _fit(job, sampler_class(sampling_strategy=targets, random_state=job.seed, **options))


def _under(job: _Job, sampler_class, **options):
    targets = _targets(job, "under")
    return _fit(job, sampler_class(sampling_strategy=targets, **options)) if targets else _unchanged(job)


def _clean(job: _Job, sampler):
    if job.strategy != "auto":
        raise ConfigError(f"{STRATEGY}: {job.method} removes ambiguous rows, it has no targets; set 'auto'")
    return _fit(job, sampler)


def _m_neighbors(job: _Job) -> int:
    return min(10, len(job.y) - 1)  # imbalanced-learn's default 10, capped for tiny data sets


# --- resamplers: one function per method, _Job -> (X, y) ------------------------------------------


def _none(job: _Job):
    return job.X, job.y


def _random_over(job: _Job):
    from imblearn.over_sampling import RandomOverSampler

    return _over(job, RandomOverSampler, interpolates=False)


def _random_under(job: _Job):
    from imblearn.under_sampling import RandomUnderSampler

    return _under(job, RandomUnderSampler, random_state=job.seed)


def _near_miss(job: _Job):
    from imblearn.under_sampling import NearMiss

    # NearMiss-1 averages distances to the n nearest rows of the smallest class, so n <= its size
    return _under(job, NearMiss, version=1, n_neighbors=min(3, min(job.counts().values())))


def _tomek_links(job: _Job):
    from imblearn.under_sampling import TomekLinks

    return _clean(job, TomekLinks(sampling_strategy="auto"))  # "auto": drop rows of non-minority classes


def _smote(job: _Job):
    from imblearn.over_sampling import SMOTE

    return _over(job, SMOTE)


def _borderline_smote(job: _Job):
    from imblearn.over_sampling import BorderlineSMOTE

    return _over(job, BorderlineSMOTE, m_neighbors=_m_neighbors(job))


def _svm_smote(job: _Job):
    from imblearn.over_sampling import SVMSMOTE
    from sklearn.svm import SVC

    svm = SVC(gamma="scale", random_state=job.seed)
    return _over(job, SVMSMOTE, m_neighbors=_m_neighbors(job), svm_estimator=svm)


def _adasyn(job: _Job):
    """ADASYN one class at a time: imbalanced-learn raises for the whole call when any one class's per-row
    quotas all round to 0 (a nearly balanced class), which would leave every other class unchanged too."""
    from imblearn.over_sampling import ADASYN

    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    k = _safe_k(job, targets)
    counts = job.counts()
    parts_X, parts_y = [job.X], [job.y]
    for code, target in sorted(targets.items()):
        sampler = ADASYN(sampling_strategy={code: target}, n_neighbors=k, random_state=job.seed)
        try:
            X, y = sampler.fit_resample(job.X, job.y)
        except ValueError as err:
            if "No samples will be generated" not in str(err):
                raise DataError(f"adasyn: imbalanced-learn failed ({' '.join(str(err).split())})") from None
            job.notes.append(
                f"adasyn: class {job.name(code)} needs {target - counts[code]} more rows but its per-row quotas "
                f"round to 0 (nearly balanced); class left unchanged"
            )
            continue
        except RuntimeError:  # ADASYN weights rows by other-class neighbours; a fully separated class has none
            raise DataError(
                f"adasyn: class {job.name(code)} has no other-class rows among its {k} nearest neighbours, "
                f"so ADASYN cannot weight its rows; use smote or borderline_smote"
            ) from None
        parts_X.append(X[len(job.X) :])  # imbalanced-learn appends the new rows after the input rows
        parts_y.append(y[len(job.y) :])
    return np.concatenate(parts_X), np.concatenate(parts_y)


def _kmeans_smote(job: _Job):
    from imblearn.over_sampling import KMeansSMOTE
    from sklearn.cluster import MiniBatchKMeans

    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    k = _safe_k(job, targets)
    # "No clusters found" is common on small or overlapping data: retry with fewer clusters, then with
    # no balance threshold (then any cluster holding more than k rows of the class qualifies)
    first = max(2, min(8, len(job.y) // 10))
    for n_clusters, threshold in [(first, "auto"), (max(2, first // 2), "auto"), (2, 0.0)]:
        kmeans = MiniBatchKMeans(n_clusters=n_clusters, n_init=3, random_state=job.seed)
        sampler = KMeansSMOTE(
            sampling_strategy=targets,
            k_neighbors=k,
            kmeans_estimator=kmeans,
            cluster_balance_threshold=threshold,
            random_state=job.seed,
        )
        try:
            X, y = sampler.fit_resample(job.X, job.y)
        except RuntimeError:
            continue
        if (n_clusters, threshold) != (first, "auto"):
            job.notes.append(
                f"kmeans_smote: no usable cluster among {first}; used {n_clusters} clusters "
                f"and cluster_balance_threshold {threshold}"
            )
        return X, y
    raise DataError(
        f"kmeans_smote: no k-means cluster holds more than k_neighbors={k} rows of each over-sampled class, "
        f"even with 2 clusters and no balance threshold; use smote, or lower {K}"
    )


def _smote_then_clean(job: _Job, build_cleaner: Callable[[list[int]], object]):
    """SMOTE, then clean only the classes SMOTE did not grow, so minority rows are never removed.

    (imbalanced-learn's SMOTETomek/SMOTEENN clean every class by default; here minority rows are kept.)
    """
    grown = _targets(job, "over")
    if not grown:
        return _unchanged(job)
    X, y = _smote(job)
    to_clean = [code for code in job.counts() if code not in grown]
    if not to_clean:
        job.notes.append(f"{job.method}: every class was over-sampled; cleaning step skipped")
        return X, y
    return _fit(_Job(job.method, X, y, job.seed, 0, "auto", None, 0.0), build_cleaner(to_clean))


def _smote_tomek(job: _Job):
    from imblearn.under_sampling import TomekLinks

    return _smote_then_clean(job, lambda classes: TomekLinks(sampling_strategy=classes))


def _smote_enn(job: _Job):
    from imblearn.under_sampling import EditedNearestNeighbours

    return _smote_then_clean(job, lambda classes: EditedNearestNeighbours(sampling_strategy=classes))


def _mixup(job: _Job):
    """Each new row is lam*a + (1-lam)*b for two distinct real rows a, b of the same class.

    lam ~ Beta(alpha, alpha) as in mixup (Zhang et al. 2018): alpha < 1 keeps new rows near real ones,
    alpha = 1 is uniform along the segment. Labels are never mixed, since a and b share the class.
    """
    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    rng = np.random.default_rng(job.seed)
    parts_X, parts_y = [job.X], [job.y]
    for code, target in sorted(targets.items()):
        rows = job.X[job.y == code].astype(np.float64)
        n_new = target - len(rows)
        if len(rows) == 1:
            job.notes.append(f"mixup: class {job.name(code)} has 1 row, nothing to mix; copied it {n_new}x")
            new = np.repeat(rows, n_new, axis=0)
        else:
            first = rng.integers(len(rows), size=n_new)
            second = (first + rng.integers(1, len(rows), size=n_new)) % len(rows)  # never the same row
            lam = rng.beta(job.mixup_alpha, job.mixup_alpha, size=(n_new, 1))
            new = lam * rows[first] + (1.0 - lam) * rows[second]
        parts_X.append(new.astype(np.float32))
        parts_y.append(np.full(n_new, code, dtype=np.int64))
    return np.concatenate(parts_X), np.concatenate(parts_y)


RESAMPLERS: dict[str, Callable[[_Job], tuple[np.ndarray, np.ndarray]]] = {
    "none": _none,
    "random_over": _random_over,
    "random_under": _random_under,
    "smote": _smote,
    "borderline_smote": _borderline_smote,
    "svm_smote": _svm_smote,
    "adasyn": _adasyn,
    "kmeans_smote": _kmeans_smote,
    "smote_tomek": _smote_tomek,
    "smote_enn": _smote_enn,
    "tomek_links": _tomek_links,
    "near_miss": _near_miss,
    "mixup": _mixup,
}
CHUNK_ROWS = 8192  # rows per block when hashing / comparing rows in _synthetic_rows
APPROXIMATE = {"borderline_smote", "svm_smote", "adasyn", "kmeans_smote"}  # may miss targets: noted
SELECTS_ROWS = {"none", "random_over", "random_under", "near_miss", "tomek_links"}  # output = copies of input rows


def resample(
    X,
    y,
    method: str,
    *,
    seed: int,
    k_neighbors: int = 5,
    sampling_strategy="auto",
    class_names: list[str] | None = None,
    mixup_alpha: float = 0.4,
) -> Resampled:
    """Resample training rows X (n, d), y (n,) int codes with `method`; deterministic for a given seed."""
    run = lookup(RESAMPLERS, "balance.method", method)
    X, y = _checked_data(X, y, class_names)
    if isinstance(k_neighbors, bool) or not isinstance(k_neighbors, (int, np.integer)) or k_neighbors < 1:
        raise ConfigError(f"{K}: must be an integer >= 1, got {k_neighbors!r}")
    if isinstance(mixup_alpha, bool) or not isinstance(mixup_alpha, (int, float)) or not mixup_alpha > 0:
        raise ConfigError(f"balance.mixup_alpha: must be a number > 0, got {mixup_alpha!r}")
    if isinstance(sampling_strategy, int) and not isinstance(sampling_strategy, bool):
        sampling_strategy = float(sampling_strategy)  # YAML `1` means the ratio 1.0
    job = _Job(method, X, y, int(seed), int(k_neighbors), sampling_strategy, class_names, float(mixup_alpha))
    X_out, y_out = run(job)
    X_out, y_out = np.asarray(X_out, dtype=np.float32), np.asarray(y_out, dtype=np.int64)
    if method in APPROXIMATE:
        after = dict(zip(*np.unique(y_out, return_counts=True), strict=True))
        for code, target in sorted(_targets(job, "over").items()):
            if after.get(code, 0) != target:
                got = after.get(code, 0)
                job.notes.append(f"{method}: class {job.name(code)} ends with {got} rows, target {target}")
    synthetic = np.zeros(len(y_out), dtype=bool) if method in SELECTS_ROWS else _synthetic_rows(X, X_out)
    return Resampled(X_out, y_out, synthetic, tuple(job.notes))


def _checked_data(X, y, class_names) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or X.shape[1] == 0:
        raise DataError(f"resample: need X (n, d) and y (n,), got X {X.shape} and y {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min(initial=0) < 0:
        raise DataError(f"resample: y must hold non-negative integer class codes, got dtype {y.dtype}")
    if len(np.unique(y)) < 2:
        raise DataError(f"resample: training data has {len(np.unique(y))} class(es); need at least 2")
    if class_names is not None and y.max() >= len(class_names):
        raise DataError(f"resample: class code {y.max()} has no name; only {len(class_names)} names given")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise DataError("resample: X contains NaN or infinite values; fix the embeddings first")
    return X, y.astype(np.int64)


def _synthetic_rows(X_in: np.ndarray, X_out: np.ndarray) -> np.ndarray:
    """True for output rows whose exact bytes occur nowhere in the input (copies are not synthetic).

    Rows are matched on a 64-bit hash, then each match is confirmed byte for byte, so the answer is exact;
    np.isin on whole rows as opaque 1.5 KB keys was the same answer but ~100x slower at 200k rows.
    """
    if X_out is X_in:  # unchanged data: every row is an input row
        return np.zeros(len(X_out), dtype=bool)
    words_in, words_out = _as_words(X_in), _as_words(X_out)
    n = len(words_in)
    if len(words_out) >= n and np.array_equal(words_out[:n], words_in):
        # imbalanced-learn's over-samplers return the input rows first, then the new ones: check only those
        return np.concatenate([np.zeros(n, dtype=bool), _not_in(words_out[n:], words_in)])
    return _not_in(words_out, words_in)


def _not_in(words_out: np.ndarray, words_in: np.ndarray) -> np.ndarray:
    """True for rows of words_out equal to no row of words_in (both from _as_words)."""
    synthetic = np.ones(len(words_out), dtype=bool)
    if not len(words_in) or not len(words_out):
        return synthetic
    keys_in, keys_out = _row_keys(words_in), _row_keys(words_out)
    order = np.argsort(keys_in, kind="stable")
    at = np.minimum(np.searchsorted(keys_in[order], keys_out), len(order) - 1)
    hit = np.flatnonzero(keys_in[order[at]] == keys_out)
    same = np.empty(len(hit), dtype=bool)
    for start in range(0, len(hit), CHUNK_ROWS):  # chunks: no full-size temporary copies
        rows = hit[start : start + CHUNK_ROWS]
        same[start : start + CHUNK_ROWS] = (words_out[rows] == words_in[order[at[rows]]]).all(axis=1)
    synthetic[hit[same]] = False
    collided = hit[~same]  # equal hash, different bytes: another input row may still match exactly
    if collided.size:
        synthetic[collided] = ~np.isin(_as_void(words_out[collided]), _as_void(words_in))
    return synthetic


def _as_words(X: np.ndarray) -> np.ndarray:
    """(n, w) unsigned ints holding each row's exact bytes (so -0.0 and 0.0 differ, as bytes do);
    8-byte words when the row length allows, which halves the hashing work for float32."""
    X = np.ascontiguousarray(X)
    size = 8 if (X.shape[1] * X.itemsize) % 8 == 0 else X.itemsize
    return X.view(np.dtype(f"u{size}")).reshape(X.shape[0], X.shape[1] * X.itemsize // size)


def _row_keys(words: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """A 64-bit multiplicative hash of every row (fixed odd multipliers, wrapping uint64 arithmetic)."""
    multipliers = np.random.default_rng(0x5EED).integers(1, 2**63, size=words.shape[1], dtype=np.uint64) * 2 + 1
    keys = np.empty(len(words), dtype=np.uint64)
    for start in range(0, len(words), chunk):
        block = words[start : start + chunk].astype(np.uint64, copy=False)
        keys[start : start + chunk] = (block * multipliers).sum(axis=1, dtype=np.uint64)
    return keys


def _as_void(words: np.ndarray) -> np.ndarray:  # one opaque scalar per row, so np.isin compares whole rows
    words = np.ascontiguousarray(words)
    return words.view(np.dtype((np.void, words.shape[1] * words.itemsize))).ravel()
