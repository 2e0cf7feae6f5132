"""Small, pure statistics for comparing strategies across seeds and CV folds.

Every function takes plain sequences of floats and returns plain dicts of floats/strings, so the results
go straight into the JSON report. Undefined quantities (a std from one value, a test on no pairs) are
``nan``; writers turn ``nan``/``inf`` into ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

#: Metrics where a lower value is better; every other metric is higher-is-better.
LOWER_IS_BETTER = frozenset({"brier", "log_loss", "ece"})

#: With fewer pairs than this, Wilcoxon's exact p-value can never drop below 0.05 (n=5 -> min p 0.0625),
#: so a paired t-test is used instead.
WILCOXON_MIN_N = 6

_ZERO = 1e-12


def _arr(values: Sequence[float]) -> np.ndarray:
    return np.asarray([float(v) for v in values], dtype=float)


def summarize(values: Sequence[float], confidence: float = 0.95) -> dict:
    """mean, sample std (ddof=1), t-based two-sided CI for the mean, n."""
    x = _arr(values)
    n = int(x.size)
    if n == 0:
        return {"mean": math.nan, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 1}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def _constant(x: np.ndarray) -> bool:
    return float(np.ptp(x)) <= _ZERO * max(1.0, float(np.abs(x).max()))


def paired_test(diffs: Sequence[float]) -> dict:
    """Two-sided test that the paired differences are centred on zero.

    n >= 6: Wilcoxon signed-rank (scipy ``method="auto"``: exact without ties/zeros, exact permutation
    with ties for n <= 13). 2 <= n < 6: paired t-test (one-sample t on the differences). All-zero
    differences -> p = 1.0. Identical non-zero differences (zero variance) -> p = 0.0 for the t-test.
    n < 2 -> p = nan (no test possible).
    """
    x = _arr(diffs)
    n = int(x.size)
    test = "wilcoxon" if n >= WILCOXON_MIN_N else "paired_t"
    if n < 2:
        return {"test": "none", "statistic": math.nan, "p": math.nan, "n": n}
    if np.all(np.abs(x) <= _ZERO):
        return {"test": test, "statistic": 0.0, "p": 1.0, "n": n}
    if test == "wilcoxon":
        res = stats.wilcoxon(x, zero_method="wilcox", method="auto")
        return {"test": test, "statistic": float(res.statistic), "p": float(res.pvalue), "n": n}
    if _constant(x):
        return {"test": test, "statistic": math.copysign(math.inf, float(x.mean())), "p": 0.0, "n": n}
    res = stats.ttest_1samp(x, 0.0)
    return {"test": test, "statistic": float(res.statistic), "p": float(res.pvalue), "n": n}


def nadeau_bengio_ttest(diffs: Sequence[float], n_train: float, n_test: float) -> dict:
    """Corrected resampled t-test (Nadeau & Bengio 2003; repeated k-fold form: Bouckaert & Frank 2004).

    ``diffs`` are the J per-split score differences (e.g. seeds x folds). The variance is inflated for the
    overlap of training sets: var_c = (1/J + n_test/n_train) * var(diffs, ddof=1); t = mean / sqrt(var_c),
    df = J - 1, two-sided p.
    """
    x = _arr(diffs)
    j = int(x.size)
    if j < 2 or not n_train or n_train <= 0 or n_test is None or n_test < 0:
        return {"t": math.nan, "p": math.nan, "df": max(j - 1, 0), "n": j}
    mean = float(x.mean())
    var_c = (1.0 / j + float(n_test) / float(n_train)) * float(x.var(ddof=1))
    if var_c <= _ZERO**2:
        if abs(mean) <= _ZERO:
            return {"t": 0.0, "p": 1.0, "df": j - 1, "n": j}
        return {"t": math.copysign(math.inf, mean), "p": 0.0, "df": j - 1, "n": j}
    t = mean / math.sqrt(var_c)
    p = float(2.0 * stats.t.sf(abs(t), j - 1))
    return {"t": t, "p": p, "df": j - 1, "n": j}


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as input; monotone; capped at 1; nan stays nan).

    nan entries (no test possible) are not counted in the family size m.
    """
    p = [float(v) for v in pvalues]
    idx = sorted((i for i, v in enumerate(p) if not math.isnan(v)), key=lambda i: p[i])
    m = len(idx)
    out = [math.nan] * len(p)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def verdict(mean_diff: float, p_adjusted: float, alpha: float = 0.05, *, lower_is_better: bool = False) -> str:
    """ "better" / "worse" / "no detectable difference" / "insufficient data" from a (Holm) p-value."""
    if p_adjusted is None or math.isnan(p_adjusted) or math.isnan(mean_diff):
        return "insufficient data"
    if p_adjusted >= alpha or mean_diff == 0:
        return "no detectable difference"
    improved = mean_diff < 0 if lower_is_better else mean_diff > 0
    return "better" if improved else "worse"


#: Verdicts of the region-of-practical-equivalence comparison, in the order rows show them.
VERDICTS = ("better", "equivalent", "worse", "undecided", "insufficient data")
MAX_SEEDS_PROJECTED = 200  # seeds_needed() looks no further


def rope_probabilities(diffs: Sequence[float], rope: float, *, rho: float = 0.0) -> dict:
    """P(worse by more than rope), P(within +-rope), P(better by more than rope) of the mean difference.

    The posterior of the Bayesian correlated t-test (Corani & Benavoli 2015; Benavoli et al. 2017 with a
    flat prior): Student t, df J - 1, location mean(d), scale sqrt((1/J + rho/(1 - rho)) * var(d)).
    rho = 0 treats the J differences as independent (seeds, each on its own test split); for k-fold CV
    rho = n_test / (n_train + n_test), as baycomp.CorrelatedTTest (rho = 1/k). Positive d = better.
    Zero variance: all mass on the mean. Fewer than 2 differences: nan.
    """
    x = _arr(diffs)
    j = int(x.size)
    if j < 2:
        return {"p_worse": math.nan, "p_equivalent": math.nan, "p_better": math.nan, "n": j, "rho": rho}
    scale = math.sqrt((1.0 / j + rho / (1.0 - rho)) * float(x.var(ddof=1)))
    worse, better = _outside_rope(float(x.mean()), scale, j - 1, rope)
    return {"p_worse": worse, "p_equivalent": max(0.0, 1.0 - worse - better), "p_better": better, "n": j, "rho": rho}


def rope_verdict(probabilities: dict, decision_probability: float) -> str:
    """better / equivalent / worse when that probability reaches decision_probability, else undecided."""
    values = [probabilities[k] for k in ("p_better", "p_equivalent", "p_worse")]
    if any(math.isnan(v) for v in values):
        return "insufficient data"
    for verdict_name, p in zip(("better", "equivalent", "worse"), values, strict=True):
        if p >= decision_probability:
            return verdict_name
    return "undecided"


def seeds_needed(diffs: Sequence[float], rope: float, decision_probability: float) -> int | None:
    """Smallest number of seeds at which the verdict would be decided if more seeds showed the same mean
    difference and spread as these (the posterior narrows as 1/sqrt(n) and its df grow); None when even
    MAX_SEEDS_PROJECTED would not decide (a mean right at the ROPE's edge) or no spread can be estimated."""
    x = _arr(diffs)
    if x.size < 2:
        return None
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    for n in range(int(x.size), MAX_SEEDS_PROJECTED + 1):
        worse, better = _outside_rope(mean, sd / math.sqrt(n), n - 1, rope)
        if max(worse, better, 1.0 - worse - better) >= decision_probability:
            return n
    return None


def _outside_rope(mean: float, scale: float, df: int, rope: float) -> tuple[float, float]:
    """(P below -rope, P above +rope) under a Student t posterior; zero scale puts all mass on the mean."""
    if scale <= _ZERO:
        return float(mean < -rope), float(mean > rope)
    posterior = stats.t(df, loc=mean, scale=scale)
    return float(posterior.cdf(-rope)), float(posterior.sf(rope))
