"""The leaderboard's verdicts on data sets drawn from a known population (tests/population.py).

Each data set is one "project": J seeds re-split it 70/10/20, both procedures are fitted and scored per seed, and
the per-seed macro-F1 goes through the leaderboard's own comparison (Judge.paired: the verdict, the interval,
the projection) exactly as `python -m commands.compare` would put it. Checked against the population's true
difference (Monte Carlo): coverage of the 95% interval, error rates at the ROPE's edge and at no difference, and
that rows called "not decidable on this data set" stay undecided with four times the seeds. docs/compare.md
quotes the rates.
"""

from __future__ import annotations

import numpy as np
import pytest

from imbalance_lab.experiments import stats
from imbalance_lab.experiments.compare.leaderboard import Judge
from tests.population import PLAIN, SPLIT, WEIGHTED, Population, seed_scores, true_difference

N_ROWS, DATA_SETS, DECIDE = 5000, 300, 0.95
RHO = stats.split_correlation(SPLIT[2])
SEEDS = (5, 10, 20)


@pytest.fixture(scope="module")
def world():
    """The population, its true difference (weighted minus plain), and per data set 20 seeds' scores of each."""
    pop = Population(0)
    rng = np.random.default_rng(1)
    truth, error = true_difference(pop, N_ROWS, rng, adjust=(WEIGHTED, PLAIN))
    assert error < 0.001 and abs(truth) > 0.005  # known to within a tenth of any ROPE used below
    data_sets = [pop.draw(N_ROWS, rng) for _ in range(DATA_SETS)]
    scores = [seed_scores(X, y, max(SEEDS), rng, adjust=(WEIGHTED, PLAIN)) for X, y in data_sets]
    return {"pop": pop, "truth": truth, "data_sets": data_sets, "scores": scores, "rng": rng}


def compare(fix: np.ndarray, base: np.ndarray, rope: float) -> dict:
    """What the leaderboard says of a fix vs the baseline from these per-seed scores."""
    judge = Judge(lower=False, rope=rope, decide=DECIDE, rho=RHO)
    return judge.paired(dict(enumerate(fix)), dict(enumerate(base)))


def test_the_interval_covers_the_true_difference_and_more_seeds_do_not_erode_it(world):
    coverage = {}
    for j in SEEDS:
        hits = [compare(f[:j], b[:j], 0.01) for f, b in world["scores"]]
        coverage[j] = np.mean([c["diff_ci_low"] <= world["truth"] <= c["diff_ci_high"] for c in hits])
    assert all(0.92 <= c <= 0.99 for c in coverage.values()), coverage
    assert coverage[20] >= coverage[5] - 0.03, coverage  # independent seeds: 0.8 at 10 seeds, 0.5 at 40


def test_at_the_ropes_edge_neither_a_side_nor_equivalence_is_called(world):
    """rope = |true difference|: the fix is truly worse by exactly the ROPE. Swapping which row is the baseline
    makes it better by exactly the ROPE, so P(worse) here is P(better) there."""
    rope = abs(world["truth"])
    for j in SEEDS:
        verdicts = [compare(f[:j], b[:j], rope)["verdict"] for f, b in world["scores"]]
        assert np.mean([v == "worse" for v in verdicts]) <= 0.05, (j, verdicts.count("worse"))
        assert np.mean([v == "equivalent" for v in verdicts]) <= 0.05, (j, verdicts.count("equivalent"))


def test_no_true_difference_is_rarely_called_better_or_worse(world):
    rng = np.random.default_rng(2)
    called = []
    for X, y in world["data_sets"][:200]:  # the same procedure twice, each with its own training noise
        a, b = seed_scores(X, y, 10, rng, adjust=(PLAIN, PLAIN))
        called.append(compare(a, b, 0.005)["verdict"] in ("better", "worse"))
    assert np.mean(called) <= 0.05


def test_not_decidable_rows_stay_undecided_with_four_times_the_seeds(world):
    rope, j = abs(world["truth"]), 10
    stuck = [
        i
        for i, (f, b) in enumerate(world["scores"])
        if (c := compare(f[:j], b[:j], rope))["verdict"] == "undecided" and c["projection"]["decidable"] is False
    ]
    assert len(stuck) >= 50  # at the edge most rows are stuck: the floor is about as wide as the ROPE
    rng = world["rng"]
    still = []
    for i in stuck:
        X, y = world["data_sets"][i]
        more = seed_scores(X, y, 3 * j, rng, adjust=(WEIGHTED, PLAIN))
        f, b = (np.concatenate([world["scores"][i][k][:j], more[k]]) for k in (0, 1))
        still.append(compare(f, b, rope)["verdict"] == "undecided")
    assert np.mean(still) >= 0.9
