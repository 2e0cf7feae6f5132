"""ROPE verdicts, seeds needed, the recommendation and the comparison's scope (no DVC: synthetic records).

How often the verdicts are right on data sets drawn from a known population: tests/test_population.py."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from imbalance_lab.experiments import stats
from imbalance_lab.experiments.compare import build_leaderboard
from imbalance_lab.experiments.compare.recommend import recommendation, required_probability, trade_off_phrase
from imbalance_lab.experiments.compare.report import write_markdown
from tests.test_compare import BASE_F1, rec, row

ROPE, DECIDE = 0.01, 0.95
RHO = 0.2  # the default test share: seeds re-split one data set


def test_probabilities_match_baycomp_correlated_t_test():
    import baycomp

    rng = np.random.default_rng(0)
    for runs, folds, shift in [(1, 10, 0.0), (5, 5, 0.01), (3, 10, -0.02), (10, 5, 0.004)]:
        x = 0.8 + rng.normal(0, 0.02, runs * folds)
        y = x + shift + rng.normal(0, 0.01, runs * folds)
        left, within, right = baycomp.CorrelatedTTest.probs(x, y, rope=ROPE, runs=runs)
        ours = stats.rope_probabilities(y - x, ROPE, rho=1 / folds)  # y better = right
        assert ours["p_better"] == pytest.approx(right, abs=0.01)
        assert ours["p_equivalent"] == pytest.approx(within, abs=0.01)
        assert ours["p_worse"] == pytest.approx(left, abs=0.01)


def test_correlated_posterior_by_hand():
    d = [0.012, 0.020, 0.004, 0.016, 0.008]  # mean 0.012, sd 0.00632
    scale = np.std(d, ddof=1) * math.sqrt(1 / 5 + RHO / (1 - RHO))
    posterior = sps.t(4, loc=0.012, scale=scale)
    ours = stats.rope_probabilities(d, ROPE, rho=RHO)
    assert ours["p_better"] == pytest.approx(posterior.sf(ROPE))
    assert ours["p_worse"] == pytest.approx(posterior.cdf(-ROPE))
    assert stats.posterior_interval(d, RHO) == pytest.approx(posterior.interval(0.95))
    summary = stats.summarize(d, rho=RHO)  # a row's own mean over seeds gets the same width
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx(posterior.interval(0.95))
    assert stats.rope_probabilities(d, ROPE)["p_better"] > ours["p_better"]  # independence: overconfident
    assert stats.rope_probabilities([0.003] * 4, ROPE, rho=RHO)["p_equivalent"] == 1.0  # no spread: all at 0.003
    assert math.isnan(stats.rope_probabilities([0.1], ROPE)["p_better"])


def test_resolution_is_the_posterior_floor():
    # however many seeds: scale -> spread * sqrt(rho / (1 - rho)); decided one-sided at the normal quantile
    assert stats.resolution(0.012, RHO, DECIDE) == pytest.approx(sps.norm.ppf(0.95) * 0.012 * 0.5)
    assert stats.resolution(0.012, 0.0, DECIDE) == 0.0  # independent seeds: no floor


def test_seeds_needed_says_when_no_number_of_seeds_decides():
    at_edge = [0.01 + e for e in (-0.004, 0.004, -0.008, 0.008, 0.0)]  # mean on the ROPE's edge
    assert stats.seeds_needed(at_edge, ROPE, DECIDE, rho=RHO)["decidable"] is False
    assert stats.seeds_needed(at_edge, ROPE, DECIDE, rho=0.0)["decidable"] is True  # the old, independent model
    clear = [0.03, 0.012, 0.02, 0.015, 0.025]  # mean 0.02, far enough from the edge for the floor
    assert stats.rope_verdict(stats.rope_probabilities(clear, ROPE, rho=RHO), DECIDE) == "undecided"
    projection = stats.seeds_needed(clear, ROPE, DECIDE, rho=RHO)
    assert projection["decidable"] and 5 < projection["seeds"] <= stats.MAX_SEEDS_PROJECTED
    assert 0.0 < projection["chance"] <= 1.0


def test_a_prior_for_the_rows_difference_shrinks_the_projection_toward_its_mean():
    """The hierarchical variant tests/population.py measures: a vague prior is the flat one; a tight prior on the
    ROPE's edge says no number of seeds decides a row whose few seeds looked better."""
    clear = [0.03, 0.012, 0.02, 0.015, 0.025]
    flat = stats.seeds_needed(clear, ROPE, DECIDE, rho=RHO)
    vague = stats.seeds_needed(clear, ROPE, DECIDE, rho=RHO, prior=(0.0, 1e6))
    assert vague["seeds"] == flat["seeds"] and vague["chance"] == pytest.approx(flat["chance"], abs=1e-6)
    tight = stats.seeds_needed(clear, ROPE, DECIDE, rho=RHO, prior=(ROPE, 1e-8))
    assert tight["decidable"] is False


# ------------------------------------------------------------------------------------ recommendation
NOISE = [0.002, -0.001, 0.001, -0.002, 0.0]


def board(*strategies, tuned_gain=0.0, seeds=5):
    """The baseline plus (param, value, shift, ece) strategies, paired by seed."""
    records = [rec(f"b{s}", s, BASE_F1[s], tuned=BASE_F1[s] + tuned_gain) for s in range(seeds)]
    for key, value, shift, ece in strategies:
        records += [
            rec(f"{value}-s{s}", s, BASE_F1[s] + shift + NOISE[s], ece=ece, **{key: value}) for s in range(seeds)
        ]
    return build_leaderboard(records, rope=ROPE, decision_probability=DECIDE)


def test_recommends_the_better_fix():
    text = recommendation(board(("balance__method", "smote", 0.05, 0.05)))
    assert text.startswith("Use **balance.method=smote")


def test_keeps_the_baseline_and_names_equivalent_and_worse_fixes():
    lb = board(("balance__method", "smote", 0.0, 0.05), ("train__loss", "focal", -0.05, 0.05))
    text = recommendation(lb)
    assert text.startswith("Keep the baseline")
    assert "no fix is shown better than both baselines (largest P(better) = " in text
    assert "Equivalent to the baseline: balance.method=smote" in text
    assert "Worse than the baseline: train.loss=focal" in text


def test_tuned_baseline_alone_is_recommended_when_it_is_the_best():
    text = recommendation(board(("balance__method", "smote", 0.0, 0.05), tuned_gain=0.05))
    assert text.startswith("Keep the baseline and tune thresholds: **baseline + tuned thresholds")


def test_a_fix_that_only_matches_the_tuned_baseline_is_not_recommended():
    """+0.05 over the untuned baseline, but tuning the baseline's thresholds gains as much: the gain is tuning."""
    lb = board(("balance__method", "smote", 0.05, 0.05), tuned_gain=0.05)
    smote = row(lb, "balance.method=smote")
    assert smote.vs_baseline["verdict"] == "better" and smote.vs_tuned_baseline["verdict"] != "better"
    assert not recommendation(lb).startswith("Use ")


def test_the_best_of_many_rows_needs_the_adjusted_probability():
    """Of 15 rows, the best one's P(better) 0.97 passes 0.95 but not 1 - 0.05/15: not recommended (winner's curse)."""
    spread = [0.012, -0.006, 0.004, -0.010, 0.0]
    strategies = [("train__lr", f"0.{i:03d}", -0.02, 0.05) for i in range(1, 7)]
    records = [rec(f"b{s}", s, BASE_F1[s]) for s in range(5)]
    shifts = [0.03 + e for e in spread]
    records += [rec(f"x{s}", s, BASE_F1[s] + d, balance__method="adasyn") for s, d in enumerate(shifts)]
    for key, value, shift, _ in strategies:
        records += [rec(f"{value}-s{s}", s, BASE_F1[s] + shift + NOISE[s], **{key: value}) for s in range(5)]
    lb = build_leaderboard(records, rope=ROPE, decision_probability=DECIDE)
    adasyn = row(lb, "balance.method=adasyn").vs_baseline
    need, m = required_probability(lb)
    assert m == 15 and need == pytest.approx(1 - 0.05 / 15)
    assert DECIDE <= adasyn["p_better"] < need and adasyn["verdict"] == "better"
    text = recommendation(lb)
    assert text.startswith("Keep the baseline") and f"largest P(better) = {adasyn['p_better']:.2f}" in text
    assert "Better than the baseline (each at P ≥ 0.95, not adjusted): balance.method=adasyn" in text


def test_undecided_rows_get_a_make_sweep_line():
    records = [rec(f"b{s}", s, BASE_F1[s]) for s in range(5)]
    shifts = [0.05, 0.01, 0.045, 0.02, 0.025]  # mean 0.03, wide spread
    records += [rec(f"sm{s}", s, BASE_F1[s] + d, balance__method="smote") for s, d in enumerate(shifts)]
    lb = build_leaderboard(records)
    text = recommendation(lb)
    projection = row(lb, "balance.method=smote").vs_baseline["projection"]
    assert projection["decidable"] is True
    needed = projection["seeds"]
    new_seeds = f"$(seq -s ' ' 5 {needed - 1})" if needed - 5 > 10 else " ".join(map(str, range(5, needed)))
    assert "Undecided, possibly better: balance.method=smote (P better" in text
    assert f"About {needed} seeds in all might decide balance.method=smote" in text
    command = f"make sweep SWEEP_STRATEGIES='none smote' SWEEP_SEEDS=\"{new_seeds}\""
    assert f"(a rough projection, about a coin flip: docs/compare.md): `{command}`" in text


def test_rows_no_number_of_seeds_decides_say_so():
    records = [rec(f"b{s}", s, BASE_F1[s]) for s in range(5)]
    shifts = [0.014, 0.006, 0.002, 0.018, 0.010]  # mean on the ROPE's edge
    records += [rec(f"sm{s}", s, BASE_F1[s] + d, balance__method="smote") for s, d in enumerate(shifts)]
    lb = build_leaderboard(records)
    assert row(lb, "balance.method=smote").vs_baseline["projection"]["decidable"] is False
    text = recommendation(lb)
    assert "Not decidable on this data set, however many seeds run: balance.method=smote" in text
    assert "make sweep" not in text


def test_undecided_rows_that_cannot_be_better_get_no_seeds():
    lb = board(("balance__method", "smote", -0.009, 0.05))
    c = row(lb, "balance.method=smote").vs_baseline
    assert c["verdict"] == "undecided" and c["p_better"] < 0.05
    text = recommendation(lb)
    assert "balance.method=smote" in text.split("Undecided, possibly better")[0]
    assert "make sweep" not in text


def test_trade_offs_are_paired_posteriors_named_only_when_decided():
    text = recommendation(board(("train__loss", "focal", 0.0, 0.12), ("train__lr", "0.01", 0.0, 0.051)))
    assert "Trade-offs vs the baseline (decided ones only): train.loss=focal: ece +0.070" in text
    assert "(worse)" in text and "train.lr=0.01: ece" not in text  # +0.001 is inside the ECE's ROPE


def test_rare_class_recall_is_told_in_test_rows():
    """minority_recall's own ROPE is one test row of the rare class: 17 rows -> 1/17; +0.118 is 2 of them."""
    records = []
    for s in range(5):
        for name, recall, extra in (("b", 0.60, {}), ("sm", 0.718, {"balance__method": "smote"})):
            r = rec(f"{name}{s}", s, BASE_F1[s] + NOISE[s], **extra)
            r.metrics.update({"test.minority_recall": recall + NOISE[s], "test.minority_class": "ABBR"})
            r.metrics["test.per_class.ABBR.support"] = 17
            records.append(r)
    lb = build_leaderboard(records)
    assert lb.rare_class == "ABBR" and lb.rare_class_rows == 17
    phrase = trade_off_phrase(lb, row(lb, "balance.method=smote"), "minority_recall", decided_only=False)
    assert phrase.startswith("minority_recall (ABBR) +0.118 [")
    assert phrase.endswith(", about 2 of the 17 test rows (better)")


# ------------------------------------------------------------------------------------------------ scope
def test_other_data_is_left_out_and_one_seed_rows_are_partial(tmp_path):
    records = [rec(f"b{s}", s, BASE_F1[s]) for s in range(5)]
    records += [rec(f"sm{s}", s, BASE_F1[s] + 0.0, balance__method="smote") for s in range(5)]
    records += [rec("trec", 0, 0.95, data__source="datasets/trec6.yaml")]  # another data set entirely
    records += [rec("lucky", 0, 0.99, train__loss="focal")]  # one seed, looks great
    lb = build_leaderboard(records)
    assert lb.left_out == ["trec (other data or embedding: data.source=datasets/trec6.yaml)"]
    lucky = row(lb, "train.loss=focal")
    assert lucky.partial and lb.full_seeds == 5
    assert "p_holm" not in lucky.vs_baseline  # outside the test family
    assert lb.rows[-1].partial  # never ranked first
    assert "focal" not in recommendation(lb)
    write_markdown(lb, tmp_path / "lb.md")
    md = (tmp_path / "lb.md").read_text()
    assert "train.loss=focal (partial: 1 of 5 seeds)" in md
    assert "Left out (not comparable with the baseline): trec" in md


def test_command_params_never_split_a_strategy():
    records = [rec(f"b{s}", s, BASE_F1[s], score__source=f"new-{s}.csv", compare__rope=0.02) for s in range(3)]
    assert len(build_leaderboard(records).rows) == 2  # one strategy, untuned and tuned


def test_a_one_seed_baseline_with_newer_params_never_becomes_the_reference():
    """The workspace after a params edit: same baseline strategy, one seed, extra keys. The 5-seed group wins."""
    records = [rec(f"b{s}", s, BASE_F1[s]) for s in range(5)]
    records += [rec(f"sm{s}", s, BASE_F1[s] + 0.05, balance__method="smote") for s in range(5)]
    records += [rec("workspace", 0, 0.5, threshold__positive_class="", threshold__target=0.9)]
    lb = build_leaderboard(records)
    base = next(r for r in lb.rows if r.is_baseline and r.view == "untuned")
    assert len(base.seeds) == 5 and row(lb, "balance.method=smote").vs_baseline["n_paired"] == 5
