"""balance.method: training-set resampling (imbalanced-learn samplers plus mixup) behind one deterministic call.

Only the training split is ever passed in; nothing here may look at validation or test rows.
A new method = one function taking a _Job + one @RESAMPLERS.register entry (CONTRIBUTING.md).
imbalanced-learn and scikit-learn are imported inside the resamplers: config imports this registry in
every stage, and most stages never resample.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from imbalance_lab.config import BalanceParams
from imbalance_lab.data.rows import rows_not_in
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies import neighbours
from imbalance_lab.strategies.registry import Registry
from imbalance_lab.strategies.text_augment import Texts, augment_class, recording
from imbalance_lab.task import MULTICLASS, MULTILABEL

STRATEGY = "balance.sampling_strategy"  # param names, for error messages
K = "balance.k_neighbors"

# traits of a resampler entry
INTERPOLATES = "interpolates"  # every new row lies on a segment between two real rows of its class
SELECTS_ROWS = "selects_rows"  # the output is copies of input rows only: nothing synthetic
APPROXIMATE = "approximate"  # may end off its target counts (said in the log)
NEEDS_TEXT = "needs_text"  # makes new texts: needs the rows' texts and the embed stage's embedder

RESAMPLERS = Registry("balance.method")
OVER, UNDER, CLEAN, OVER_CLEAN = "over-sampling", "under-sampling", "cleaning", "over-sampling + cleaning"
TARGETS, SEARCH = "balance.sampling_strategy", neighbours.PARAM
NEIGHBOURS = ("balance.k_neighbors", TARGETS, SEARCH)


@dataclass(frozen=True)
class Resampled:
    X: np.ndarray  # float32 (n_out, d)
    y: np.ndarray  # int64 class codes
    synthetic: np.ndarray  # bool (n_out,): True for rows whose bytes occur nowhere among the input rows
    notes: tuple[str, ...]  # human log lines about adjustments made on the way
    texts: tuple[str, ...] | None = None  # methods that make texts: the text of every output row, in row order


@dataclass
class _Job:
    """What every resampler receives; resamplers append human log lines to `notes`."""

    method: str
    X: np.ndarray
    y: np.ndarray
    seed: int
    balance: BalanceParams
    class_names: list[str]
    texts: Texts | None = None  # NEEDS_TEXT methods only
    notes: list[str] = field(default_factory=list)

    @property
    def strategy(self):
        return self.balance.sampling_strategy

    def counts(self) -> dict[int, int]:
        codes, counts = np.unique(self.y, return_counts=True)
        return dict(zip(codes.tolist(), counts.tolist(), strict=True))

    def name(self, code: int) -> str:
        return repr(self.class_names[code])

    def neighbours(self, k: int, itself: int = 1):
        """The k-nearest-neighbour search imbalanced-learn gets; `itself`: the row itself is among its results."""
        return neighbours.Neighbours(k + itself, self.balance.neighbors, self.seed)


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
            if (target < counts[code]) if direction == "over" else (target > counts[code]):
                raise ConfigError(
                    f"{STRATEGY}: class {job.name(code)} has {counts[code]} rows but target {target}, and "
                    f"{job.method} only {'adds' if direction == 'over' else 'removes'} rows; fix the target"
                )
    else:  # config.parse_sampling_strategy allows nothing else
        raise TypeError(f"{STRATEGY}: unexpected {strategy!r}")
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
    """sampling_strategy keys are class names (config turns every key into text, so `1:` means class '1')."""
    if key in job.class_names:
        return job.class_names.index(key)
    raise ConfigError(f"{STRATEGY}: unknown class {key!r}; classes are: {', '.join(job.class_names)}")


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
    if job.balance.k_neighbors < size:
        return job.balance.k_neighbors
    job.notes.append(
        f"{job.method}: smallest class {job.name(smallest)} has {size} rows; "
        f"k_neighbors lowered {job.balance.k_neighbors} -> {size - 1}"
    )
    return size - 1


def _over(job: _Job, sampler_class, interpolates: bool = True, **options):
    """Over-sample with an imbalanced-learn sampler; interpolating ones get a safe k_neighbors."""
    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    if interpolates:
        options["k_neighbors"] = job.neighbours(_safe_k(job, targets))
    return _fit(job, sampler_class(sampling_strategy=targets, random_state=job.seed, **options))


def _under(job: _Job, sampler_class, **options):
    targets = _targets(job, "under")
    return _fit(job, sampler_class(sampling_strategy=targets, **options)) if targets else _unchanged(job)


def _clean(job: _Job, sampler):
    if job.strategy != "auto":
        raise ConfigError(f"{STRATEGY}: {job.method} removes ambiguous rows, it has no targets; set 'auto'")
    return _fit(job, sampler)


@cache
def _tomek_links_class():
    """imbalanced-learn's TomekLinks, with its nearest-neighbour search (fixed there) made balance.neighbors."""
    from imblearn.under_sampling import TomekLinks

    class SearchedTomekLinks(TomekLinks):
        _parameter_constraints = {**TomekLinks._parameter_constraints, "neighbours": [object]}

        def __init__(self, neighbours=None, *, sampling_strategy="auto"):
            super().__init__(sampling_strategy=sampling_strategy)
            self.neighbours = neighbours

        def _fit_resample(self, X, y):  # TomekLinks._fit_resample with the search swapped
            # is_tomek reads the nearest row of the cleaned classes' rows and of THEIR nearest rows only
            search = self.neighbours.fit(X)
            nearest = np.full(len(y), -1)
            cleaned = np.flatnonzero(np.isin(y, list(self.sampling_strategy_)))
            nearest[cleaned] = search.kneighbors(X[cleaned], return_distance=False)[:, 1]
            partners = np.setdiff1d(nearest[cleaned], cleaned)
            nearest[partners] = search.kneighbors(X[partners], return_distance=False)[:, 1]
            links = self.is_tomek(y, nearest, self.sampling_strategy_)
            self.sample_indices_ = np.flatnonzero(np.logical_not(links))
            return X[self.sample_indices_], y[self.sample_indices_]

    return SearchedTomekLinks


@cache
def _kmeans_smote_class():
    """imbalanced-learn's KMeansSMOTE with its cluster sparsity (the mean distance between a cluster's minority
    rows) summed over blocks of rows: imbalanced-learn holds the cluster's whole distance matrix (11.7 GB peak at
    200,000 rows x 384). Same formula; the sum runs in float64, block by block."""
    import math

    from imblearn.over_sampling import KMeansSMOTE
    from sklearn.metrics import pairwise_distances_chunked

    class BlockedKMeansSMOTE(KMeansSMOTE):
        def _find_cluster_sparsity(self, X):
            total = sum(float(block.sum(dtype=np.float64)) for block in pairwise_distances_chunked(X))
            mean_distance = total / (X.shape[0] ** 2 - X.shape[0])  # the diagonal is 0 (each row to itself)
            exponent = (
                math.log(X.shape[0], 1.6) ** 1.8 * 0.16 if self.density_exponent == "auto" else self.density_exponent
            )
            return (mean_distance**exponent) / X.shape[0]

    return BlockedKMeansSMOTE


MINIBATCH_ROWS = 4096  # cluster_centroids' mini-batch k-means


def _m_neighbors(job: _Job):
    return job.neighbours(min(10, len(job.y) - 1))  # imbalanced-learn's default 10, capped for tiny data sets


# --- resamplers: one function per method, _Job -> (X, y) ------------------------------------------


@RESAMPLERS.register(
    "none", kind="none", summary="no resampling (the baseline)", traits={SELECTS_ROWS}, tasks=(MULTICLASS,)
)
def _none(job: _Job):
    return job.X, job.y


@RESAMPLERS.register(
    "random_over",
    kind=OVER,
    summary="copies random minority rows up to the targets",
    reads=(TARGETS,),
    traits={SELECTS_ROWS},
    reference="imbalanced-learn RandomOverSampler",
    tasks=(MULTICLASS,),
)
def _random_over(job: _Job):
    from imblearn.over_sampling import RandomOverSampler

    return _over(job, RandomOverSampler, interpolates=False)


@RESAMPLERS.register(
    "random_under",
    kind=UNDER,
    summary="drops random majority rows down to the targets",
    reads=(TARGETS,),
    traits={SELECTS_ROWS},
    reference="imbalanced-learn RandomUnderSampler",
    tasks=(MULTICLASS,),
)
def _random_under(job: _Job):
    from imblearn.under_sampling import RandomUnderSampler

    return _under(job, RandomUnderSampler, random_state=job.seed)


@RESAMPLERS.register(
    "near_miss",
    kind=UNDER,
    summary="keeps the majority rows closest to the minority class (NearMiss-1)",
    reads=(TARGETS, SEARCH),
    traits={SELECTS_ROWS},
    reference="Mani & Zhang 2003",
    tasks=(MULTICLASS,),
)
def _near_miss(job: _Job):
    from imblearn.under_sampling import NearMiss

    # NearMiss-1 averages distances to the n nearest rows of the smallest class, so n <= its size
    return _under(job, NearMiss, version=1, n_neighbors=job.neighbours(min(3, min(job.counts().values())), 0))


@RESAMPLERS.register(
    "cluster_centroids",
    kind=UNDER,
    summary="replaces each shrunk class by the centroids of that many k-means clusters of its rows",
    reads=(TARGETS, "balance.cluster_kmeans"),
    reference="Yen & Lee 2009; imbalanced-learn ClusterCentroids",
    tasks=(MULTICLASS,),
)
def _cluster_centroids(job: _Job):
    from imblearn.under_sampling import ClusterCentroids
    from sklearn.cluster import KMeans, MiniBatchKMeans

    # imbalanced-learn sets n_clusters to each target. Full k-means (3 k-means++ starts) costs minutes with
    # thousands of clusters; mini-batches from random starts cost seconds (docs/strategies.md: what it changes)
    if job.balance.cluster_kmeans == "full":
        kmeans = KMeans(n_init=3, random_state=job.seed)
    else:
        kmeans = MiniBatchKMeans(n_init=1, init="random", batch_size=MINIBATCH_ROWS, random_state=job.seed)
    return _under(job, ClusterCentroids, estimator=kmeans, random_state=job.seed)


@RESAMPLERS.register(
    "tomek_links",
    kind=CLEAN,
    summary="drops majority rows of cross-class nearest-neighbour pairs",
    reads=(SEARCH,),
    traits={SELECTS_ROWS},
    reference="Tomek 1976",
    tasks=(MULTICLASS,),
)
def _tomek_links(job: _Job):
    return _clean(job, _tomek_links_class()(job.neighbours(1), sampling_strategy="auto"))  # "auto": non-minority


@RESAMPLERS.register(
    "smote",
    kind=OVER,
    summary="new minority rows between a row and one of its k same-class neighbours",
    reads=NEIGHBOURS,
    traits={INTERPOLATES},
    reference="Chawla et al. 2002",
    tasks=(MULTICLASS,),
)
def _smote(job: _Job):
    from imblearn.over_sampling import SMOTE

    return _over(job, SMOTE)


@RESAMPLERS.register(
    "borderline_smote",
    kind=OVER,
    summary="SMOTE from minority rows near the class border only",
    reads=NEIGHBOURS,
    traits={INTERPOLATES, APPROXIMATE},
    reference="Han et al. 2005",
    tasks=(MULTICLASS,),
)
def _borderline_smote(job: _Job):
    from imblearn.over_sampling import BorderlineSMOTE

    return _over(job, BorderlineSMOTE, m_neighbors=_m_neighbors(job))


@RESAMPLERS.register(
    "svm_smote",
    kind=OVER,
    summary="SMOTE around an SVM's minority support vectors (also extrapolates away from the border)",
    reads=(*NEIGHBOURS, "balance.svm_kernel"),
    traits={APPROXIMATE},
    reference="Nguyen et al. 2011",
    tasks=(MULTICLASS,),
)
def _svm_smote(job: _Job):
    from imblearn.over_sampling import SVMSMOTE
    from sklearn.svm import SVC

    if job.balance.svm_kernel == "rbf":  # libsvm: quadratic in the rows, minutes at 50k
        svm = SVC(gamma="scale", random_state=job.seed)
    else:
        svm = _linear_svm_class()(seed=job.seed)
    return _over(job, SVMSMOTE, m_neighbors=_m_neighbors(job), svm_estimator=svm)


@cache
def _linear_svm_class():
    """A linear SVM (hinge loss, stochastic gradient descent, one class against the rest) with an SVC's `support_`:
    the rows inside their own class's margin (decision value <= 1), the rows a hinge-loss SVM is built from.
    SVMSMOTE refits it once per over-sampled class on the same rows; it is fitted once."""
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import SGDClassifier

    class LinearSupportVectors(ClassifierMixin, BaseEstimator):
        def __init__(self, seed=0):
            self.seed = seed

        def fit(self, X, y):
            if getattr(self, "fitted_on_", None) is not X:
                self.model_ = SGDClassifier(loss="hinge", alpha=1.0 / len(y), random_state=self.seed).fit(X, y)
                scores = self.model_.decision_function(X)
                if scores.ndim == 1:  # two classes: the score is for the second class
                    scores = np.stack([-scores, scores], axis=1)
                own = scores[np.arange(len(y)), np.searchsorted(self.model_.classes_, y)]
                self.support_ = np.flatnonzero(own <= 1.0)
                self.fitted_on_ = X
            return self

        def predict(self, X):
            return self.model_.predict(X)

    return LinearSupportVectors


@RESAMPLERS.register(
    "adasyn",
    kind=OVER,
    summary="SMOTE with more new rows where other classes crowd a row",
    reads=NEIGHBOURS,
    traits={INTERPOLATES, APPROXIMATE},
    reference="He et al. 2008",
    tasks=(MULTICLASS,),
)
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
        sampler = ADASYN(sampling_strategy={code: target}, n_neighbors=job.neighbours(k), random_state=job.seed)
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


@RESAMPLERS.register(
    "kmeans_smote",
    kind=OVER,
    summary="SMOTE inside k-means clusters dense in the minority class",
    reads=NEIGHBOURS,
    traits={INTERPOLATES, APPROXIMATE},
    reference="Douzas et al. 2018",
    tasks=(MULTICLASS,),
)
def _kmeans_smote(job: _Job):
    KMeansSMOTE = _kmeans_smote_class()
    from sklearn.cluster import MiniBatchKMeans

    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    k = _safe_k(job, targets)
    # "No clusters found" is common on small or overlapping data (a CV fold of a few hundred rows): retry with
    # fewer clusters, then with no balance threshold (any cluster holding more than k rows of the class
    # qualifies), and last with one cluster, which is SMOTE itself (k already lowered for small classes)
    first = max(2, min(8, len(job.y) // 10))
    for n_clusters, threshold in [(first, "auto"), (max(2, first // 2), "auto"), (2, 0.0), (1, 0.0)]:
        kmeans = MiniBatchKMeans(n_clusters=n_clusters, n_init=3, random_state=job.seed)
        sampler = KMeansSMOTE(
            sampling_strategy=targets,
            k_neighbors=job.neighbours(k),
            kmeans_estimator=kmeans,
            cluster_balance_threshold=threshold,
            random_state=job.seed,
        )
        try:
            X, y = sampler.fit_resample(job.X, job.y)
        except RuntimeError:
            continue
        if (n_clusters, threshold) != (first, "auto"):
            used = "1 cluster (plain SMOTE)" if n_clusters == 1 else f"{n_clusters} clusters"
            job.notes.append(
                f"kmeans_smote: no usable cluster among {first}; used {used} and cluster_balance_threshold {threshold}"
            )
        return X, y
    raise DataError(
        f"kmeans_smote: no k-means cluster holds more than k_neighbors={k} rows of each over-sampled class, "
        f"even with 2 clusters and no balance threshold; use smote, or lower {K}"
    )


@RESAMPLERS.register(
    "text_augment",
    kind=OVER,
    summary="new minority TEXTS by word dropout, swap and insertion (EDA without WordNet), embedded like the rest",
    reads=("balance.augment_operations", "balance.augment_rate", TARGETS),
    traits={NEEDS_TEXT},
    reference="Wei & Zou 2019",
    tasks=(MULTICLASS,),
)
def _text_augment(job: _Job):
    targets = _targets(job, "over")
    if not targets:
        return _unchanged(job)
    rng = np.random.default_rng(job.seed)
    new_texts, new_y = [], []
    for code, target in sorted(targets.items()):
        rows = np.flatnonzero(job.y == code)
        made, sources = augment_class(
            job.texts.subset(rows).texts,
            target - len(rows),
            job.balance.augment_operations,
            job.balance.augment_rate,
            rng,
        )
        new_texts += made
        new_y += [code] * len(made)
        example = job.texts.texts[rows[sources[0]]]
        job.notes.append(
            f"text_augment: class {job.name(code)} +{len(made)} texts, e.g. {example[:80]!r} -> {made[0][:80]!r}"
        )
    vectors = np.asarray(job.texts.embed(new_texts), dtype=np.float32)
    return np.concatenate([job.X, vectors]), np.concatenate([job.y, np.asarray(new_y, dtype=np.int64)])


def _smote_then_clean(job: _Job, build_cleaner):
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
    cleaning = _Job(job.method, X, y, job.seed, replace(job.balance, sampling_strategy="auto"), job.class_names)
    return _fit(cleaning, build_cleaner(to_clean))


@RESAMPLERS.register(
    "smote_tomek",
    kind=OVER_CLEAN,
    summary="SMOTE, then drop Tomek-link rows of the classes SMOTE did not grow",
    reads=NEIGHBOURS,
    traits={INTERPOLATES},
    reference="Batista et al. 2004",
    tasks=(MULTICLASS,),
)
def _smote_tomek(job: _Job):
    return _smote_then_clean(job, lambda classes: _tomek_links_class()(job.neighbours(1), sampling_strategy=classes))


@RESAMPLERS.register(
    "smote_enn",
    kind=OVER_CLEAN,
    summary="SMOTE, then edited nearest neighbours on the classes SMOTE did not grow",
    reads=NEIGHBOURS,
    traits={INTERPOLATES},
    reference="Batista et al. 2004",
    tasks=(MULTICLASS,),
)
def _smote_enn(job: _Job):
    from imblearn.under_sampling import EditedNearestNeighbours

    return _smote_then_clean(
        job, lambda classes: EditedNearestNeighbours(n_neighbors=job.neighbours(3), sampling_strategy=classes)
    )


@RESAMPLERS.register(
    "mixup",
    kind=OVER,
    summary="new rows lam*a + (1-lam)*b of two same-class rows, lam ~ Beta(alpha, alpha)",
    reads=("balance.mixup_alpha", TARGETS),
    traits={INTERPOLATES},
    reference="Zhang et al. 2018",
    tasks=(MULTICLASS,),
)
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
            alpha = job.balance.mixup_alpha
            lam = rng.beta(alpha, alpha, size=(n_new, 1))
            new = lam * rows[first] + (1.0 - lam) * rows[second]
        parts_X.append(new.astype(np.float32))
        parts_y.append(np.full(n_new, code, dtype=np.int64))
    return np.concatenate(parts_X), np.concatenate(parts_y)


def resample(
    X,
    y,
    balance: BalanceParams,
    *,
    seed: int,
    class_names: list[str] | None = None,
    texts: Texts | None = None,
    task: str = MULTICLASS,
) -> Resampled:
    """Resample training rows X (n, d), y (n,) int codes with balance.method; deterministic for a given seed.
    class_names: one per code (default: the codes as text), as sampling_strategy keys and in log lines.
    texts: the rows' texts and embedder, which NEEDS_TEXT methods require (callers build it only for them).
    task MULTILABEL: y is an (n, L) 0/1 matrix, resampled by the method's multi-label implementation
    (strategies/multilabel.py)."""
    made: list[str] = []
    if texts is not None:  # the new texts, in the order their vectors are appended after the input rows
        texts, made = recording(texts)
    with neighbours.notes() as searches:  # both tasks' resamplers search through it
        if task == MULTILABEL:
            from imbalance_lab.strategies.multilabel import resample_labels

            result = resample_labels(X, y, balance, seed=seed, texts=texts)
        else:
            result = _resample_classes(X, y, balance, seed=seed, class_names=class_names, texts=texts)
    result = replace(result, notes=(*result.notes, *neighbours.recall_line(searches)))
    if texts is not None and len(result.y) == len(texts.texts) + len(made):
        result = replace(result, texts=(*texts.texts, *made))
    return result


def _resample_classes(X, y, balance: BalanceParams, *, seed: int, class_names=None, texts=None) -> Resampled:
    RESAMPLERS.check_task(balance.method, MULTICLASS)
    entry = RESAMPLERS[balance.method]
    X, y = _checked_data(X, y)
    if NEEDS_TEXT in entry.traits and (texts is None or len(texts.texts) != len(y)):
        raise DataError(f"{balance.method}: needs the texts of the {len(y)} rows; they were not passed")
    names = list(class_names) if class_names is not None else [str(code) for code in range(int(y.max()) + 1)]
    if y.max() >= len(names):
        raise DataError(f"resample: class code {y.max()} has no name; only {len(names)} names given")
    job = _Job(balance.method, X, y, int(seed), balance, names, texts)
    X_out, y_out = entry(job)
    X_out, y_out = np.asarray(X_out, dtype=np.float32), np.asarray(y_out, dtype=np.int64)
    if APPROXIMATE in entry.traits:
        after = dict(zip(*np.unique(y_out, return_counts=True), strict=True))
        for code, target in sorted(_targets(job, "over").items()):
            if after.get(code, 0) != target:
                got = after.get(code, 0)
                job.notes.append(f"{job.method}: class {job.name(code)} ends with {got} rows, target {target}")
    if SELECTS_ROWS in entry.traits or X_out is X:
        synthetic = np.zeros(len(y_out), dtype=bool)
    else:
        synthetic = rows_not_in(X_out, X)
    return Resampled(X_out, y_out, synthetic, tuple(job.notes))


def _checked_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or X.shape[1] == 0:
        raise DataError(f"resample: need X (n, d) and y (n,), got X {X.shape} and y {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min(initial=0) < 0:
        raise DataError(f"resample: y must hold non-negative integer class codes, got dtype {y.dtype}")
    if len(np.unique(y)) < 2:
        raise DataError(f"resample: training data has {len(np.unique(y))} class(es); need at least 2")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise DataError("resample: X contains NaN or infinite values; fix the embeddings first")
    return X, y.astype(np.int64)
