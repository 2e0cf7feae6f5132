"""A world where the truth is known, for the leaderboard's statistics (tests/test_population.py).

A fixed population of six Gaussian classes (one at 1.6%) in 4 dimensions; a data set is n rows drawn from it.
The two procedures compared are linear discriminant analysis with the training split's class priors (plain)
and with equal priors (what class weighting does to a linear model), each with independent initialisation
noise on its biases. A seed re-splits ONE data set 70/10/20 and both procedures are fitted on its training
split and scored (macro-F1) on its test split, as a sweep does. The population's true difference at the training
size is known by Monte Carlo: many training sets drawn from the population, each model scored on 100,000 fresh
rows. Nothing here assumes the leaderboard's model of the differences (Student t, correlation rho): the
differences come from fitting and scoring models on data.
"""

from __future__ import annotations

import numpy as np

K, D = 6, 4
PRIORS = np.array([0.30, 0.25, 0.18, 0.14, 0.114, 0.016])
SEPARATION = 2.5  # class means ~ N(0, 2.5^2): macro-F1 about 0.8, the rare class recalled about half the time
INIT_NOISE = 0.15  # sd of each model's bias noise per seed (training's own randomness)
SPLIT = (0.7, 0.1, 0.2)  # train / val / test, as split.val_size=0.1, split.test_size=0.2
PLAIN, WEIGHTED = 0.0, 1.0  # prior adjustment: 0 keeps the training priors, 1 makes them equal


class Population:
    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.means = rng.normal(0.0, SEPARATION, (K, D))
        a = rng.normal(0.0, 0.3, (D, D))
        self.chol = np.linalg.cholesky(np.eye(D) + a @ a.T)

    def draw(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(K, n, p=PRIORS)
        return self.means[y] + rng.standard_normal((n, D)) @ self.chol.T, y


def fit_lda(X, y, rows: np.ndarray, adjust: float) -> tuple[np.ndarray, np.ndarray]:
    """One LDA per row of `rows` (S, m): weights (S, K, D) and biases (S, K); adjust moves the log-prior term
    from the training priors (0) to equal priors (1)."""
    Xs, onehot = X[rows], (y[rows][..., None] == np.arange(K)).astype(float)
    count = onehot.sum(1)
    mu = (onehot.transpose(0, 2, 1) @ Xs) / np.maximum(count, 1)[..., None]
    within = Xs.transpose(0, 2, 1) @ Xs - (mu.transpose(0, 2, 1) * count[:, None, :]) @ mu
    W = mu @ np.linalg.inv(within / (rows.shape[1] - K))
    prior = np.log(np.maximum(count / count.sum(1, keepdims=True), 1e-12))
    return W, -0.5 * (W * mu).sum(-1) + (1.0 - adjust) * prior


def macro_f1(y, pred) -> np.ndarray:
    """Macro-F1 of each row of y, pred (S, m); a class with no test row and no prediction counts 0, as ours."""
    s = y.shape[0]
    flat = (y * K + pred + (np.arange(s) * K * K)[:, None]).ravel()
    cm = np.bincount(flat, minlength=s * K * K).reshape(s, K, K)
    tp = np.einsum("skk->sk", cm)
    denom = cm.sum(1) + cm.sum(2)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0).mean(1)


def _scores(X, y, train, test, adjust: float, rng) -> np.ndarray:
    W, b = fit_lda(X, y, train, adjust)
    b = b + rng.normal(0.0, INIT_NOISE, b.shape)
    pred = (X[test] @ W.transpose(0, 2, 1) + b[:, None, :]).argmax(-1)
    return macro_f1(y[test], pred)


def seed_scores(X, y, seeds: int, rng, adjust=(PLAIN, WEIGHTED)) -> tuple[np.ndarray, ...]:
    """Macro-F1 on the test split of each seed, one array per procedure: each seed re-splits this data set."""
    n = len(y)
    order = np.argsort(rng.random((seeds, n)), axis=1)
    train, test = order[:, : int(SPLIT[0] * n)], order[:, n - int(SPLIT[2] * n) :]
    return tuple(_scores(X, y, train, test, a, rng) for a in adjust)


def true_difference(pop: Population, n: int, rng, reps: int = 200, eval_rows: int = 100_000, adjust=(PLAIN, WEIGHTED)):
    """E[macro-F1 of adjust[0] - macro-F1 of adjust[1]] for training sets of SPLIT[0] * n rows from the population,
    each scored on the same eval_rows fresh rows; and the Monte Carlo standard error."""
    Xe, ye = pop.draw(eval_rows, rng)
    m = int(SPLIT[0] * n)
    diffs = []
    for _ in range(0, reps, 20):
        X, y = pop.draw(20 * m, rng)
        rows = np.arange(20 * m).reshape(20, m)
        scores = []
        for a in adjust:
            W, b = fit_lda(X, y, rows, a)
            b = b + rng.normal(0.0, INIT_NOISE, b.shape)
            pred = np.stack([(Xe @ W[i].T + b[i]).argmax(1) for i in range(20)])
            scores.append(macro_f1(np.broadcast_to(ye, pred.shape), pred))
        diffs.append(scores[0] - scores[1])
    d = np.concatenate(diffs)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def _table(data_sets: int = 300, n: int = 5000) -> None:
    """The rates docs/compare.md quotes: `python -m tests.population` (about a minute)."""
    from imbalance_lab.experiments import stats
    from imbalance_lab.experiments.compare.leaderboard import Judge

    pop, rng = Population(0), np.random.default_rng(1)
    truth, _ = true_difference(pop, n, rng, adjust=(WEIGHTED, PLAIN))
    scores = [seed_scores(*pop.draw(n, rng), 40, rng, adjust=(WEIGHTED, PLAIN)) for _ in range(data_sets)]
    print(f"true difference (weighted - plain): {truth:+.4f}")
    print("| seeds | rho | coverage of the 95% interval | at the ROPE's edge: called worse / equivalent |")
    print("|---|---|---|---|")
    for j in (5, 10, 20, 40):
        for rho in (0.0, stats.split_correlation(SPLIT[2])):
            judge = Judge(False, abs(truth), 0.95, rho)
            cs = [judge.paired(dict(enumerate(f[:j])), dict(enumerate(b[:j]))) for f, b in scores]
            cover = np.mean([c["diff_ci_low"] <= truth <= c["diff_ci_high"] for c in cs])
            worse, equivalent = (np.mean([c["verdict"] == v for c in cs]) for v in ("worse", "equivalent"))
            print(f"| {j} | {rho:.1f} | {cover:.3f} | {worse:.3f} / {equivalent:.3f} |")
    print("| seeds | ROPE | rows projected within 40 seeds | chance stated (mean) | decided there |")
    print("|---|---|---|---|---|")
    for j in (5, 10):
        for rope in (0.005, 0.01, 0.02):
            judge, stated, decided = Judge(False, rope, 0.95, stats.split_correlation(SPLIT[2])), [], []
            for f, b in scores:
                c = judge.paired(dict(enumerate(f[:j])), dict(enumerate(b[:j])))
                if (c["projection"] or {}).get("seeds") and c["projection"]["seeds"] <= 40:
                    n = c["projection"]["seeds"]
                    stated.append(c["projection"]["chance"])
                    later = judge.paired(dict(enumerate(f[:n])), dict(enumerate(b[:n])))
                    decided.append(later["verdict"] != "undecided")
            if stated:
                print(f"| {j} | {rope} | {len(stated)} | {np.mean(stated):.2f} | {np.mean(decided):.2f} |")


FIXES = (0.3, 0.6, 1.0, 1.4, 1.8)  # _hierarchical_table: five fixes, the log-prior term moved this far to equal


def rows_prior(means: np.ndarray, spreads: np.ndarray, j: int) -> tuple[float, float]:
    """A normal prior for the rows' own differences, by the method of moments across the rows: the rows' means
    vary by the prior's variance plus each mean's noise (spread^2 / j)."""
    return float(means.mean()), max(float(means.var(ddof=1) - np.mean(spreads**2) / j), 1e-8)


def _hierarchical_table(data_sets: int = 200, n: int = 5000, max_seeds: int = 40) -> None:
    """The chance stated at a projected number of seeds, flat prior (the leaderboard's) vs a hierarchical prior
    across a leaderboard's rows, and how often that many seeds decided: `python -m tests.population rows`."""
    from imbalance_lab.experiments import stats

    pop, rng = Population(0), np.random.default_rng(1)
    truths = [true_difference(pop, n, rng, adjust=(a, PLAIN))[0] for a in FIXES]
    print("true differences:", ", ".join(f"{t:+.4f}" for t in truths))
    diffs = []
    for _ in range(data_sets):
        base, *fixes = seed_scores(*pop.draw(n, rng), max_seeds, rng, adjust=(PLAIN, *FIXES))
        diffs.append(np.array(fixes) - base)  # (fixes, seeds)
    rho, decide = stats.split_correlation(SPLIT[2]), 0.95

    def decided(d, rope):
        return stats.rope_verdict(stats.rope_probabilities(d, rope, rho=rho), decide) != "undecided"

    print("| seeds | ROPE | flat prior: rows, chance stated, decided | hierarchical prior: rows, stated, decided |")
    print("|---|---|---|---|")
    for j in (5, 10):
        for rope in (0.005, 0.01, 0.02):
            cells = []
            for hierarchical in (False, True):
                stated, later = [], []
                for d in diffs:
                    first = d[:, :j]
                    prior = rows_prior(first.mean(1), first.std(1, ddof=1), j) if hierarchical else None
                    for row, full in zip(first, d, strict=True):
                        if decided(row, rope):
                            continue
                        p = stats.seeds_needed(row, rope, decide, rho=rho, prior=prior)
                        if p["decidable"] and p["seeds"] <= max_seeds:
                            stated.append(p["chance"])
                            later.append(decided(full[: p["seeds"]], rope))
                cells.append(f"{len(stated)}, {np.mean(stated):.2f}, {np.mean(later):.2f}")
            print(f"| {j} | {rope} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["rows"]:
        _hierarchical_table()
    else:
        _table()
