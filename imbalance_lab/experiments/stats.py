"""Small, pure statistics for comparing strategies across seeds and CV folds.

Every function takes plain sequences of floats and returns plain dicts of floats/strings, so the results
go straight into the JSON report. Undefined quantities (a std from one value, a test on no pairs) are
``nan``; writers turn ``nan``/``inf`` into ``null``.

Seeds re-split ONE data set, so their paired differences are correlated: part of each difference belongs to the
data set and no number of seeds averages it away. Every seed comparison therefore uses the correlation ``rho``
of the correlated t-test (Nadeau & Bengio 2003; Corani & Benavoli 2015): the mean of J differences has variance
(1/J + rho/(1 - rho)) times their sample variance, which never falls below rho/(1 - rho) of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

_ZERO = 1e-12


def _arr(values: Sequence[float]) -> np.ndarray:
    return np.asarray([float(v) for v in values], dtype=float)


def summarize(values: Sequence[float], confidence: float = 0.95, *, rho: float = 0.0) -> dict:
    """mean, sample std (ddof=1), t-based two-sided CI for the mean, n. With rho (values from seeds that re-split
    one data set) the CI is for the mean beyond this data set: half-width t * std * sqrt(1/n + rho/(1 - rho))."""
    x = _arr(values)
    n = int(x.size)
    if n == 0:
        return {"mean": math.nan, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 1}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std * math.sqrt(_inflation(n, rho))
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def split_correlation(test_share: float) -> float:
    """rho of seed-paired differences when every seed re-splits one data set: the test split's share of the rows
    (n_test / (n_train + n_val + n_test)), as Nadeau & Bengio's n_test / n for random re-splits. A heuristic: one
    data set gives no unbiased estimate of the variance (Bengio & Grandvalet 2004); tests/test_population.py
    checks the coverage it gives on data sets drawn from a known population."""
    return float(test_share)


def _inflation(j: int, rho: float) -> float:
    return 1.0 / j + rho / (1.0 - rho)


def mean_scale(spread: float, j: int, rho: float) -> float:
    """Scale of the mean of j correlated differences of this spread: spread * sqrt(1/j + rho/(1 - rho))."""
    return spread * math.sqrt(_inflation(j, rho))


def posterior_scale(diffs: Sequence[float], rho: float = 0.0) -> float:
    """Scale of the mean difference's posterior: sqrt((1/J + rho/(1 - rho)) * var(d)); nan below 2 values."""
    x = _arr(diffs)
    if x.size < 2:
        return math.nan
    return math.sqrt(_inflation(int(x.size), rho) * float(x.var(ddof=1)))


def posterior_interval(diffs: Sequence[float], rho: float = 0.0, level: float = 0.95) -> tuple[float, float]:
    """Central interval of the mean difference's posterior (Student t, df J - 1); (nan, nan) below 2 values."""
    x = _arr(diffs)
    scale = posterior_scale(x, rho)
    if math.isnan(scale):
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * scale
    return float(x.mean()) - half, float(x.mean()) + half


def corrected_ttest(diffs: Sequence[float], rho: float) -> dict:
    """Two-sided t-test of mean difference 0 with the correlated variance (1/J + rho/(1 - rho)) * var(d), df J - 1.

    rho = 0 is the plain one-sample t-test. Zero variance: p = 1 for a zero mean, else 0."""
    x = _arr(diffs)
    j = int(x.size)
    if j < 2:
        return {"t": math.nan, "p": math.nan, "df": max(j - 1, 0), "n": j}
    mean = float(x.mean())
    var_c = _inflation(j, rho) * float(x.var(ddof=1))
    if var_c <= _ZERO**2:
        if abs(mean) <= _ZERO:
            return {"t": 0.0, "p": 1.0, "df": j - 1, "n": j}
        return {"t": math.copysign(math.inf, mean), "p": 0.0, "df": j - 1, "n": j}
    t = mean / math.sqrt(var_c)
    return {"t": t, "p": float(2.0 * stats.t.sf(abs(t), j - 1)), "df": j - 1, "n": j}


def nadeau_bengio_ttest(diffs: Sequence[float], n_train: float, n_test: float) -> dict:
    """Corrected resampled t-test (Nadeau & Bengio 2003; repeated k-fold form: Bouckaert & Frank 2004).

    ``diffs`` are the J per-split score differences (e.g. seeds x folds): var_c = (1/J + n_test/n_train) *
    var(diffs, ddof=1), i.e. corrected_ttest with rho = n_test / (n_train + n_test); df = J - 1, two-sided p.
    """
    if not n_train or n_train <= 0 or n_test is None or n_test < 0:
        return {"t": math.nan, "p": math.nan, "df": max(len(diffs) - 1, 0), "n": len(diffs)}
    return corrected_ttest(diffs, float(n_test) / (float(n_train) + float(n_test)))


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
DECIDE_CHANCE = 0.8  # seeds_needed(): the chance of deciding a projected number of seeds aims for
NOT_DECIDABLE = 0.1  # below this chance of deciding with unlimited seeds, a row is "not decidable on this data set"


def rope_probabilities(diffs: Sequence[float], rope: float, *, rho: float = 0.0) -> dict:
    """P(worse by more than rope), P(within +-rope), P(better by more than rope) of the mean difference.

    The posterior of the Bayesian correlated t-test (Corani & Benavoli 2015; Benavoli et al. 2017 with a
    flat prior): Student t, df J - 1, location mean(d), scale sqrt((1/J + rho/(1 - rho)) * var(d)).
    Seeds re-splitting one data set: rho = split_correlation(test share); k-fold CV: rho = n_test / (n_train +
    n_test), as baycomp.CorrelatedTTest (rho = 1/k). rho = 0 treats the differences as independent. Positive d =
    better. Zero variance: all mass on the mean. Fewer than 2 differences: nan.
    """
    x = _arr(diffs)
    j = int(x.size)
    if j < 2:
        return {"p_worse": math.nan, "p_equivalent": math.nan, "p_better": math.nan, "n": j, "rho": rho}
    worse, better = _outside_rope(float(x.mean()), posterior_scale(x, rho), j - 1, rope)
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


def resolution(spread: float, rho: float, decision_probability: float) -> float:
    """How far from the ROPE's edge a true difference must lie for unlimited seeds on this data set to decide it:
    the posterior's scale never falls below spread * sqrt(rho / (1 - rho)), times the normal quantile of the
    decision probability."""
    return float(stats.norm.ppf(decision_probability)) * spread * math.sqrt(rho / (1.0 - rho))


def _decided_edges(scale: np.ndarray, df: np.ndarray, rope: float, decide: float) -> tuple[np.ndarray, np.ndarray]:
    """For posteriors of these scales: the mean beyond which one side is decided (rope + q * scale), and the
    largest |mean| at which "equivalent" is decided (nan where no mean is: the posterior is wider than the ROPE)."""
    q = stats.t.ppf(decide, df)
    side = rope + q * scale

    def mass_inside(e):
        return stats.t.cdf((rope - e) / scale, df) - stats.t.cdf((-rope - e) / scale, df)

    low, high = np.zeros_like(scale), np.full_like(scale, rope)
    for _ in range(24):  # bisection to rope / 2^24: mass inside the ROPE falls as the mean moves out
        mid = (low + high) / 2
        inside = mass_inside(mid) >= decide
        low, high = np.where(inside, mid, low), np.where(inside, high, mid)
    equivalent = np.where(mass_inside(np.zeros_like(scale)) >= decide, low, np.nan)
    return side, equivalent


SPREAD_QUANTILES = 16  # _chance_decided averages over this many quantiles of the spread's posterior


def _chance_decided(
    mean: float, spread: float, j: int, n: np.ndarray, rho: float, rope: float, decide: float, prior=None
):
    """Chance that the verdict is decided once n seeds have run, predicted from these j.

    Given the true spread sigma of the differences within this data set: the mean over n seeds is today's mean
    plus noise, normal with variance (n - j) / (n j) * sigma^2 (further seeds vary only within the data set, and
    today's mean estimates the data set's own up to sigma^2 / j), and the posterior then has scale
    sigma * sqrt(1/n + rho/(1 - rho)). sigma is known only from j differences: the chance is averaged over
    SPREAD_QUANTILES quantiles of its posterior (sigma^2 = (j - 1) s^2 / chi2(j - 1)), without which a row whose
    few seeds happened to agree is promised a decision far too often. n = inf: unlimited seeds.
    prior: (mean, variance) of a normal prior for the data set's own difference (a hierarchical model across
    rows; tests/population.py measures it); None, the flat prior the leaderboard uses."""
    u = (np.arange(SPREAD_QUANTILES) + 0.5) / SPREAD_QUANTILES
    sigma = spread * np.sqrt((j - 1) / stats.chi2.isf(u, j - 1))[:, None]  # (Q, 1)
    finite = np.isfinite(n)[None, :]
    nn = np.where(finite, n[None, :], 1.0)
    scale = sigma * np.sqrt(np.where(finite, 1.0 / nn, 0.0) + rho / (1.0 - rho))
    df = np.broadcast_to(np.where(finite, nn - 1, np.inf), scale.shape)
    if prior is None:  # the mean over n seeds: today's, give or take the seeds still to run
        sd = np.maximum(sigma * np.sqrt(np.where(finite, (nn - j) / (nn * j), 1.0 / j)), _ZERO)
    else:  # the data set's difference shrunk toward the prior's mean: N(centre, weight sigma^2 / j)
        weight = prior[1] / (prior[1] + sigma**2 / j)
        centre = prior[0] + weight * (mean - prior[0])
        later = np.where(finite, (nn - j) / nn, 1.0)
        mean = np.where(finite, j / nn * mean, 0.0) + later * centre
        fresh = np.where(finite, sigma**2 / np.maximum(nn - j, 1), 0.0)
        sd = np.maximum(later * np.sqrt(weight * sigma**2 / j + fresh), _ZERO)
    side, equivalent = _decided_edges(np.maximum(scale, _ZERO), df, rope, decide)
    z = stats.norm
    chance = z.sf((side - mean) / sd) + z.cdf((-side - mean) / sd)
    inside = z.cdf((equivalent - mean) / sd) - z.cdf((-equivalent - mean) / sd)
    return (chance + np.where(np.isnan(equivalent), 0.0, inside)).mean(axis=0)


def seeds_needed(
    diffs: Sequence[float], rope: float, decision_probability: float, *, rho: float = 0.0, prior=None
) -> dict:
    """For an undecided comparison: would more seeds decide it, and how many.

    {"decidable": False} when even unlimited seeds on this data set would decide it with a chance below
    NOT_DECIDABLE (the correlation puts a floor under the posterior's width); else "seeds", the smallest total
    number of seeds (on a grid about 10% apart) whose chance of deciding reaches DECIDE_CHANCE, or 0.9 of the
    chance with unlimited seeds where that is lower (more seeds would barely raise it), and "chance", that
    chance (_chance_decided). Fewer than 2 differences or no spread: not projected (None)."""
    x = _arr(diffs)
    none = {"decidable": None, "seeds": None, "chance": math.nan}
    if x.size < 2 or float(x.std(ddof=1)) <= _ZERO:
        return none
    mean, spread, j = float(x.mean()), float(x.std(ddof=1)), int(x.size)
    limit = float(_chance_decided(mean, spread, j, np.array([np.inf]), rho, rope, decision_probability, prior)[0])
    if limit < NOT_DECIDABLE:
        return {"decidable": False, "seeds": None, "chance": limit}
    n = np.unique(np.round(np.geomspace(j + 1, MAX_SEEDS_PROJECTED, 32)))  # about 10% apart
    chance = _chance_decided(mean, spread, j, n, rho, rope, decision_probability, prior)
    reached = np.flatnonzero(chance >= min(DECIDE_CHANCE, 0.9 * limit))
    i = int(reached[0]) if reached.size else len(n) - 1
    return {"decidable": True, "seeds": int(n[i]), "chance": float(chance[i])}


def _outside_rope(mean: float, scale: float, df: int, rope: float) -> tuple[float, float]:
    """(P below -rope, P above +rope) under a Student t posterior; zero scale puts all mass on the mean."""
    if not scale > _ZERO:
        return float(mean < -rope), float(mean > rope)
    posterior = stats.t(df, loc=mean, scale=scale)
    return float(posterior.cdf(-rope)), float(posterior.sf(rope))
