"""compare: parsing `dvc exp show --json`, grouping, statistics, leaderboard and reports (no DVC runs)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats as sps

from commands import compare as stage
from imbalance_lab.errors import UserError
from imbalance_lab.experiments import stats
from imbalance_lab.experiments.compare import (
    Record,
    attach_report,
    build_leaderboard,
    group_by_strategy,
    load_records,
    plot_leaderboard,
    reading_paragraph,
    strategy_key,
    strategy_label,
    write_json,
    write_markdown,
)
from imbalance_lab.experiments.compare.recommend import trade_off_phrase
from imbalance_lab.experiments.compare.report import leaderboard_dict
from imbalance_lab.pipeline.paths import reports_folder

FIXTURE = Path(__file__).parent / "fixtures" / "exp_show.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BASE_PARAMS = {
    "balance.method": "none",
    "train.class_weight": "none",
    "train.loss": "cross_entropy",
    "train.sampler": "shuffle",
    "train.lr": 0.001,
    "threshold.method": "per_class_bias",
    "data.source": "toy.csv",
    "embed.backend": "tfidf",
    "embed.model": "none",
}
NOISE = [0.004, -0.003, 0.001, -0.002, 0.0]
BASE_F1 = [0.60, 0.62, 0.58, 0.61, 0.59]


def rec(name, seed, f1, *, tuned=None, ece=0.05, state="success", folds=None, **params):
    p = {**BASE_PARAMS, "seed": seed}
    p.update({k.replace("__", "."): v for k, v in params.items()})
    m = {"test.macro_f1": f1, "test.ece": ece, "test.seed": seed, "tuned.method": p["threshold.method"]}
    m["tuned.macro_f1"] = f1 if tuned is None else tuned
    m["tuned.ece"] = ece
    if folds is not None:
        m.update({"cv.per_fold.macro_f1": folds, "cv.n_train": 80, "cv.n_test": 20})
    return Record(name, f"rev-{name}", state, p, m)


def baseline(n=5, tuned_gain=0.0):
    return [rec(f"base-s{s}", s, BASE_F1[s], tuned=BASE_F1[s] + tuned_gain) for s in range(n)]


def row(lb, label):
    return next(r for r in lb.rows if r.label == label)


# ------------------------------------------------------------------------------------------ statistics
def test_summarize_t_interval_by_hand():
    s = stats.summarize([0.1, 0.2, 0.3])
    assert s["n"] == 3
    assert s["mean"] == pytest.approx(0.2)
    assert s["std"] == pytest.approx(0.1)
    half = 4.302652729749462 * 0.1 / math.sqrt(3)  # t(0.975, df=2) * s / sqrt(n) = 0.2484
    assert half == pytest.approx(0.2484, abs=1e-4)
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(0.2 - half), pytest.approx(0.2 + half))
    one = stats.summarize([0.5])
    assert one["mean"] == 0.5 and math.isnan(one["std"]) and math.isnan(one["ci_low"])


def test_holm_by_hand():
    # sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    adj = stats.holm([0.01, math.nan, 0.02])  # nan is not counted in m
    assert adj[0] == pytest.approx(0.02) and math.isnan(adj[1]) and adj[2] == pytest.approx(0.02)


def test_nadeau_bengio_by_hand():
    diffs = [0.01, 0.02, 0.03, 0.04, 0.05]  # mean 0.03, var(ddof=1) 2.5e-4
    res = stats.nadeau_bengio_ttest(diffs, n_train=80, n_test=20)
    var_c = (1 / 5 + 20 / 80) * 2.5e-4  # 1.125e-4
    assert res["t"] == pytest.approx(0.03 / math.sqrt(var_c)) == pytest.approx(2 * math.sqrt(2))
    assert res["df"] == 4
    assert res["p"] == pytest.approx(0.0474207, abs=1e-6)
    assert res["p"] > sps.ttest_1samp(diffs, 0).pvalue  # the correction makes it more conservative
    assert stats.nadeau_bengio_ttest([0.0, 0.0, 0.0], 80, 20)["p"] == 1.0


def test_corrected_ttest_inflates_the_variance_for_the_shared_data_set():
    d = [0.05, 0.051, 0.049, 0.052, 0.048]
    plain = stats.corrected_ttest(d, 0.0)
    assert plain["p"] == pytest.approx(sps.ttest_1samp(d, 0.0).pvalue)  # rho 0: the plain one-sample t-test
    corrected = stats.corrected_ttest(d, 0.2)
    assert corrected["t"] == pytest.approx(plain["t"] * math.sqrt((1 / 5) / (1 / 5 + 0.25)))
    assert corrected["p"] > plain["p"]
    assert stats.corrected_ttest([0.0] * 5, 0.2)["p"] == 1.0
    assert stats.corrected_ttest([0.05] * 4, 0.2)["p"] == 0.0  # identical non-zero differences
    assert math.isnan(stats.corrected_ttest([0.1], 0.2)["p"])


def test_verdict_direction():
    assert stats.verdict(0.02, 0.01) == "better"
    assert stats.verdict(-0.02, 0.01) == "worse"
    assert stats.verdict(0.02, 0.2) == "no detectable difference"
    assert stats.verdict(-0.02, 0.01, lower_is_better=True) == "better"
    assert stats.verdict(0.02, math.nan) == "insufficient data"


# -------------------------------------------------------------------------------------------- grouping
def test_grouping_ignores_only_seed():
    a, b = rec("a", 0, 0.6), rec("b", 1, 0.6)
    c = rec("c", 0, 0.6, train__lr=0.01)
    groups = group_by_strategy([a, b, c])
    assert len(groups) == 2
    assert [r.name for r in groups[strategy_key(a.params)]] == ["a", "b"]
    assert strategy_label(strategy_key(c.params), strategy_key(a.params)) == "train.lr=0.01"
    assert strategy_label(strategy_key(a.params), strategy_key(a.params)) == "baseline"
    failed = rec("f", 2, 0.6, state="failed")
    assert sum(len(g) for g in group_by_strategy([a, failed]).values()) == 1


# ---------------------------------------------------------------------------------------- leaderboard
def test_leaderboard_better_same_worse():
    records = baseline(tuned_gain=0.0)
    records += [rec(f"smote-s{s}", s, BASE_F1[s] + 0.05 + NOISE[s], balance__method="smote") for s in range(5)]
    records += [rec(f"lr-s{s}", s, BASE_F1[s], train__lr=0.01) for s in range(5)]
    records += [rec(f"focal-s{s}", s, BASE_F1[s] - 0.05 + NOISE[s], train__loss="focal") for s in range(5)]
    lb = build_leaderboard(records)
    better, same, worse = (
        row(lb, "balance.method=smote"),
        row(lb, "train.lr=0.01"),
        row(lb, "train.loss=focal"),
    )
    assert better.vs_baseline["test_verdict"] == "better" and better.vs_baseline["verdict"] == "better"
    assert better.vs_baseline["mean_diff"] == pytest.approx(0.05, abs=0.001)
    assert better.vs_baseline["n_paired"] == 5 and better.vs_baseline["test"] == "corrected_t"
    assert same.vs_baseline["test_verdict"] == "no detectable difference"
    assert same.vs_baseline["verdict"] == "equivalent"  # identical on every seed: all mass inside the ROPE
    assert same.vs_baseline["p"] == 1.0 and same.vs_baseline["p_holm"] == 1.0
    assert worse.vs_baseline["test_verdict"] == "worse" and worse.vs_baseline["verdict"] == "worse"
    assert better.vs_baseline["p_holm"] >= better.vs_baseline["p"]
    assert lb.rows[0].strategy == "balance.method=smote"  # sorted by mean, best first
    means = [r.metrics["macro_f1"]["mean"] for r in lb.rows]
    assert means == sorted(means, reverse=True)
    tuned_base = next(r for r in lb.rows if r.is_baseline and r.view == "tuned")
    assert tuned_base.label == "baseline + tuned thresholds (per_class_bias)"
    assert {r.view for r in lb.rows} == {"untuned", "tuned"} and len(lb.rows) == 8


def test_labels_kept_untuned_are_named_per_strategy():
    records = baseline()
    records[0].metrics["tuned.degenerate_labels.health"] = "no signal (AP 0.05 vs prevalence 0.04)"
    records[3].metrics["tuned.degenerate_labels.health"] = "tuned to predict 100% of rows"
    notes = build_leaderboard(records).notes
    assert any(
        n.startswith("baseline: labels kept at the untuned threshold") and "health (2 of 5 seeds)" in n for n in notes
    )


def test_a_binary_target_sets_the_primary_metric_and_a_floor_kept_above_it_is_not_worse(tmp_path):
    """precision_at_recall, target 0.9: ranked by the positive class's precision; a tuned recall of 0.919 against the
    baseline's 0.932 still meets the user's 0.9, so it is not called worse."""
    decision = {"threshold__metric": "precision_at_recall", "threshold__target": 0.9}
    records = []
    for s in range(5):
        for name, precision, recall, extra in (
            ("b", 0.60, 0.932, {}),
            ("sm", 0.66, 0.919, {"balance__method": "smote"}),
        ):
            r = rec(f"{name}{s}", s, BASE_F1[s], **decision, **extra)
            noise = NOISE[s] / 4
            r.metrics.update({"tuned.precision": precision + noise, "tuned.recall": recall + noise})
            r.metrics.update({"threshold.before.precision": 0.5 + noise, "threshold.before.recall": 0.8 + noise})
            records.append(r)
    lb = build_leaderboard(records)
    assert lb.primary == "precision" and lb.decision["floor"] == "recall" and lb.decision["target"] == 0.9
    smote = row(lb, "balance.method=smote + tuned thresholds (per_class_bias)")
    assert smote.vs_baseline["mean_diff"] == pytest.approx(0.16, abs=0.002)  # vs the untuned decision's 0.5
    assert smote.trade_offs["recall"]["verdict"] == "worse"  # -0.013, outside the ROPE
    assert "(lower, both above the 0.9 target)" in trade_off_phrase(lb, smote, "recall", decided_only=False)
    assert trade_off_phrase(lb, smote, "recall") is None  # not named as a trade-off in the recommendation
    write_markdown(lb, tmp_path / "lb.md")
    assert "Decision tuned for: the positive class's precision with recall ≥ 0.9" in (tmp_path / "lb.md").read_text()


def test_pairing_uses_only_shared_seeds():
    records = baseline(n=3) + [rec(f"s{s}", s, 0.7, balance__method="smote") for s in (1, 2, 7)]
    c = row(build_leaderboard(records), "balance.method=smote").vs_baseline
    assert c["n_paired"] == 2 and c["seeds"] == [1, 2]


def test_lower_is_better_metric_direction():
    records = [rec(f"b{s}", s, 0.6, ece=0.10 + NOISE[s]) for s in range(5)]
    records += [rec(f"cal{s}", s, 0.6, ece=0.05 + NOISE[s] / 2, train__loss="focal") for s in range(5)]
    lb = build_leaderboard(records, primary="ece")
    c = row(lb, "train.loss=focal").vs_baseline
    assert c["mean_diff"] < 0 and c["test_verdict"] == "better" and c["verdict"] == "better"
    assert lb.rows[0].strategy == "train.loss=focal"  # lower ece sorts first


def test_no_strategy_beats_tuned_baseline_is_said():
    records = baseline(tuned_gain=0.05)
    records += [rec(f"sm{s}", s, BASE_F1[s] + 0.01 + NOISE[s], balance__method="smote") for s in range(5)]
    text = reading_paragraph(build_leaderboard(records))
    assert "No strategy beat the baseline with tuned thresholds at alpha 0.05" in text
    assert "Tuning the thresholds of the baseline alone changed macro_f1 by +0.050 (better" in text


def test_cv_nadeau_bengio_pools_seeds_and_folds():
    folds = {0: [0.60, 0.61, 0.59], 1: [0.62, 0.60, 0.61]}
    records = [rec(f"b{s}", s, 0.6, folds=f) for s, f in folds.items()]
    records += [
        rec(f"s{s}", s, 0.62, folds=[x + 0.02 + 0.001 * i for i, x in enumerate(f)], balance__method="smote")
        for s, f in folds.items()
    ]
    cv = row(build_leaderboard(records), "balance.method=smote").cv
    diffs = [0.02, 0.021, 0.022] * 2
    assert cv["J"] == 6 and cv["mean_diff"] == pytest.approx(0.021)
    assert cv["p"] == pytest.approx(stats.nadeau_bengio_ttest(diffs, 80, 20)["p"])
    assert cv["test_verdict"] == "better"


def test_failed_experiments_listed_by_name(tmp_path):
    records = baseline(n=3) + [rec("ldam-s0", 0, 0.9, state="failed", train__loss="ldam")]
    lb = build_leaderboard(records)
    assert lb.failed == ["ldam-s0"]
    assert all("ldam" not in r.label for r in lb.rows)  # its (stale) metrics are never used
    write_markdown(lb, tmp_path / "lb.md")
    assert "Failed experiments: ldam-s0" in (tmp_path / "lb.md").read_text()


def test_errors_no_baseline_and_no_records():
    with pytest.raises(UserError, match="no experiments found"):
        build_leaderboard([])
    with pytest.raises(UserError, match=r"balance.method=none.*dvc exp run -S balance.method=none"):
        build_leaderboard([rec("s0", 0, 0.6, balance__method="smote")])
    with pytest.raises(UserError, match="not in metrics/test.json"):
        build_leaderboard(baseline(2), primary="f2")


# --------------------------------------------------------------------------------------------- parsing
def test_parse_real_exp_show_fixture():
    records = {r.name: r for r in load_records(FIXTURE)}
    assert {"workspace", "master", "base-s0", "base-s1", "base-s2", "smote-s0", "smote-s1", "smote-s2",
            "ro-s1", "ro-s2", "focal-s1", "ldam-s0"} == set(records)  # fmt: skip
    assert records["ldam-s0"].state == "failed" and records["ldam-s0"].error == "Experiment run failed"
    assert records["ro-s2"].state == "queued"
    assert records["workspace"].state == "duplicate" and "focal-s1" in records["workspace"].error
    assert records["master"].state == "duplicate" and "base-s0" in records["master"].error
    b0 = records["base-s0"]
    assert (b0.kind, b0.state, b0.seed, b0.params["balance.method"]) == ("experiment", "success", 0, "none")
    assert b0.params["train.hidden_dims"] == (64,) and b0.params["train.loss"] == "cross_entropy"
    assert b0.metrics["test.macro_f1"] == 0.6045 and b0.metrics["tuned.macro_f1"] == 0.6345
    assert b0.metrics["threshold.before.macro_f1"] == 0.6045
    assert b0.metrics["tuned.method"] == "posthoc_logit_adjustment"
    assert b0.metrics["cv.macro_f1_mean"] == 0.6079 and b0.metrics["cv.n_train"] == 80
    assert b0.metric_files["cv"] == "metrics/cv.json"
    assert not any(k.startswith("cv.per_fold") for k in b0.metrics)  # DVC drops JSON lists
    assert records["smote-s2"].params["seed"] == 2 and records["smote-s2"].params["balance.method"] == "smote"


def test_attach_report_accepts_lists_and_fold_dicts():
    r = rec("x", 0, 0.6)
    a = attach_report(r, "cv", {"n_train": 80, "n_test": 20, "per_fold": {"macro_f1": [0.1, 0.2]}})
    assert a.metrics["cv.per_fold.macro_f1"] == [0.1, 0.2] and a.metrics["cv.n_train"] == 80
    b = attach_report(r, "cv", {"per_fold": {"macro_f1": {"fold_10": 0.3, "fold_2": 0.2, "fold_1": 0.1}}})
    assert b.metrics["cv.per_fold.macro_f1"] == [0.1, 0.2, 0.3]


def _exp_show_node(params: dict, metrics: dict) -> dict:
    return {"rev": "abc1234", "name": "main", "data": {"params": {"params.yaml": {"data": params}}, "metrics": metrics}}


def test_headline_files_and_full_reports_give_the_same_keys():
    """exp show reads the headline files (tuned_<key>, dvclive/metrics.json); metrics/full/<role>.json replaces
    each role's keys with the stage's whole report."""
    headline = {
        "metrics/test.json": {"data": {"macro_f1": 0.8}},
        "metrics/threshold.json": {"data": {"tuned_macro_f1": 0.82}},
        "dvclive/metrics.json": {"data": {"best_epoch": 7, "step": 9}},
    }
    (r,) = load_records([_exp_show_node({"seed": 0}, headline)])
    assert r.metrics == {"test.macro_f1": 0.8, "tuned.macro_f1": 0.82, "train.best_epoch": 7, "train.step": 9}
    assert set(r.metric_files) == {"test", "threshold", "train"}
    full = attach_report(r, "threshold", {"after": {"macro_f1": 0.83}, "before": {"macro_f1": 0.8}, "kept": True})
    assert full.metrics["tuned.macro_f1"] == 0.83 and full.metrics["threshold.before.macro_f1"] == 0.8
    assert full.metrics["tuned.kept"] is True and full.metrics["test.macro_f1"] == 0.8


def test_params_left_at_their_default_count_as_set():
    """params.yaml holds only the strategy axes: a run that wrote a default out (`-S ++train.lr=1.0e-3`) is the
    same strategy as one that did not, and every param is known for --where and the strategy label."""
    axes = {"seed": 0, "balance": {"method": "smote"}}
    plain, explicit = load_records(
        [_exp_show_node(axes, {}), _exp_show_node({**axes, "seed": 1, "train": {"lr": 1.0e-3}}, {})]
    )
    assert plain.params["train.lr"] == 1.0e-3 and plain.params["cv.folds"] == 5
    assert {k: v for k, v in plain.params.items() if k != "seed"} == {
        k: v for k, v in explicit.params.items() if k != "seed"
    }


def test_stale_metrics_and_dedup_rules():
    node = {
        "rev": "workspace",
        "name": None,
        "data": {
            "params": {"params.yaml": {"data": {**_nested(BASE_PARAMS), "seed": 3}}},
            "metrics": {"metrics/test.json": {"data": {"macro_f1": 0.5, "seed": 2}}},
        },
    }
    (ws,) = load_records([node])
    assert ws.state == "stale" and "seed 2 != params seed 3" in ws.error

    node["data"]["metrics"]["metrics/test.json"]["data"]["seed"] = 3

    def exp(name, ts):
        return {
            "name": name,
            "executor": None,
            "revs": [{"rev": name, "data": {**node["data"], "timestamp": ts}}],
        }

    node["experiments"] = [exp("old", "2026-01-01T10:00:00"), exp("new", "2026-01-02T09:00:00")]
    states = {r.name: (r.state, r.error) for r in load_records([node])}
    assert states == {
        "new": ("success", None),  # experiments beat the workspace; the newest experiment wins
        "old": ("duplicate", "same params as new"),
        "workspace": ("duplicate", "same params as new"),
    }


def _nested(flat: dict) -> dict:
    out: dict = {}
    for key, value in flat.items():
        head, _, leaf = key.rpartition(".")
        node = out
        for part in filter(None, head.split(".")):
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


# ---------------------------------------------------------------------------------------------- output
def test_writers(tmp_path):
    lb = build_leaderboard(load_records(FIXTURE))
    write_markdown(lb, tmp_path / "lb.md")
    write_json(lb, tmp_path / "lb.json")
    plot_leaderboard(lb, tmp_path / "lb.png")
    md = (tmp_path / "lb.md").read_text()
    assert md.startswith(
        "# Class-imbalance strategies: leaderboard\n\nOn this data set, differences smaller than about"
    )
    assert "\n## Recommendation\n\n" in md.split("## Set-up")[0]
    assert (
        "## Reading the frequentist tests" in md
        and "toy.csv (embedding: tfidf)" in md
        and "none)" not in md.split("Seeds")[0]
    )
    assert "Holm" in md and "Failed experiments: ldam-s0" in md and "ro-s2 (queued)" in md
    data = json.loads((tmp_path / "lb.json").read_text())
    assert data["primary"] == "macro_f1" and data["failed"] == ["ldam-s0"] and data["seeds"] == [0, 1, 2]
    png = (tmp_path / "lb.png").read_bytes()
    assert len(png) > 1000 and png.startswith(PNG_MAGIC)


def test_command_with_saved_json(tmp_path, capsys):
    out = tmp_path / "reports"
    assert stage.main(["--exp-show-json", str(FIXTURE), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["leaderboard.json", "leaderboard.md", "leaderboard.png"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == str(out / "leaderboard.md") and "Verdicts vs the baseline (ROPE ±0.01)" in printed[1]
    assert printed[1].startswith(("Use ", "Keep the baseline"))


def test_reports_of_another_data_source_never_meet_the_committed_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert stage.main(["--exp-show-json", str(FIXTURE)]) == 0  # the fixture's experiments are on toy.csv
    written = sorted(p.name for p in (tmp_path / "reports" / "toy").iterdir())
    assert written == ["leaderboard.json", "leaderboard.md", "leaderboard.png"]
    assert not (tmp_path / "reports" / "leaderboard.json").exists()
    assert reports_folder("datasets/trec6.yaml") == Path("reports")
    assert reports_folder("/data/My Tickets.v2.csv") == Path("reports/My-Tickets.v2")


def test_where_keeps_only_experiments_with_those_params(tmp_path, capsys):
    out = tmp_path / "reports"
    assert stage.main(["--exp-show-json", str(FIXTURE), "--out", str(out), "--where", "data.source=other.csv"]) == 2
    assert "no experiments to compare" in capsys.readouterr().err
    source = json.loads(FIXTURE.read_text())[0]["data"]["params"]["params.yaml"]["data"]["data"]["source"]
    assert stage.main(["--exp-show-json", str(FIXTURE), "--out", str(out), "--where", f"data.source={source}"]) == 0


def test_command_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    data = [n for n in json.loads(FIXTURE.read_text()) if n["rev"] != "workspace"]
    for node in data:  # no baseline run left: drop base-s*, make the commit itself a smote run
        node["experiments"] = [e for e in node["experiments"] or [] if not e["name"].startswith("base")]
        node["data"]["params"]["params.yaml"]["data"]["balance"]["method"] = "smote"
    path = tmp_path / "no_base.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "reports"
    assert stage.main(["--exp-show-json", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: compare: no baseline experiment")
    assert "dvc exp run -S balance.method=none" in err
    assert not out.exists() or not any(out.iterdir())
    assert stage.main(["--exp-show-json", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_thresholds_fitted_on_val_and_oof_are_compared_by_seed(tmp_path):
    records = baseline()
    oof_gain = [0.010, 0.012, 0.008, 0.011, 0.009]  # OOF-fitted beats val-fitted on every seed
    for s, r in enumerate(records):
        r.metrics["tuned.after_val.macro_f1"] = BASE_F1[s] - 0.005
        r.metrics["tuned.after_oof.macro_f1"] = BASE_F1[s] - 0.005 + oof_gain[s]
    smote = [rec(f"smote-s{s}", s, BASE_F1[s], balance__method="smote") for s in range(5)]
    for s, r in enumerate(smote):  # identical fits: no detectable difference
        r.metrics["tuned.after_val.macro_f1"] = r.metrics["tuned.after_oof.macro_f1"] = BASE_F1[s] + NOISE[s]
    lb = build_leaderboard(records + smote)

    fits = {f["strategy"]: f for f in lb.threshold_fits}
    assert set(fits) == {"baseline", "balance.method=smote"}
    base = fits["baseline"]
    assert base["fit_oof"]["mean"] - base["fit_val"]["mean"] == pytest.approx(sum(oof_gain) / 5)
    assert base["oof_vs_val"]["n_paired"] == 5 and base["oof_vs_val"]["test"] == "corrected_t"
    expected_p = stats.corrected_ttest(oof_gain, rho=0.2)["p"]  # the default test share: seeds share one data set
    assert base["oof_vs_val"]["p"] == pytest.approx(expected_p)
    assert base["oof_vs_val"]["p_holm"] == pytest.approx(min(1.0, 2 * expected_p))  # the smaller of 2 p-values
    assert base["oof_vs_val"]["test_verdict"] == "better"
    assert fits["balance.method=smote"]["oof_vs_val"]["test_verdict"] == "no detectable difference"

    write_markdown(lb, tmp_path / "lb.md")
    md = (tmp_path / "lb.md").read_text()
    assert "## Thresholds fitted on validation vs out-of-fold (macro_f1 on test, mean ± std over seeds)" in md
    assert "| baseline | 0.600 ± 0.016 | 0.595 ± 0.016 | 0.605 ± 0.017 | +0.010 |" in md


def test_no_val_oof_table_without_both_fits(tmp_path):
    lb = build_leaderboard(baseline())
    assert lb.threshold_fits == []
    write_markdown(lb, tmp_path / "lb.md")
    assert "fitted on validation vs out-of-fold" not in (tmp_path / "lb.md").read_text()


def test_command_never_shrinks_a_report_and_needs_experiments(tmp_path, capsys):
    out = tmp_path / "reports"
    assert stage.main(["--exp-show-json", str(FIXTURE), "--out", str(out)]) == 0
    before = (out / "leaderboard.md").read_bytes()
    only_commits = [{**node, "experiments": None} for node in json.loads(FIXTURE.read_text())]
    path = tmp_path / "no_experiments.json"
    path.write_text(json.dumps(only_commits))
    assert stage.main(["--exp-show-json", str(path), "--out", str(out)]) == 2
    assert "no experiments to compare" in capsys.readouterr().err
    fewer = json.loads(FIXTURE.read_text())
    for node in fewer:  # keep one seed of each strategy
        node["experiments"] = [e for e in node["experiments"] or [] if e["name"].endswith("s0")] or None
    path.write_text(json.dumps(fewer))
    assert stage.main(["--exp-show-json", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not overwritten; pass --force" in err and len(err.strip().splitlines()) == 1
    assert (out / "leaderboard.md").read_bytes() == before  # the committed report is untouched
    assert stage.main(["--exp-show-json", str(path), "--out", str(out), "--force"]) == 0


def test_an_unreproduced_workspace_is_not_ranked(tmp_path, monkeypatch):
    data = json.loads(FIXTURE.read_text())
    workspace = next(node for node in data if node["rev"] == "workspace")
    workspace["data"]["params"]["params.yaml"]["data"]["train"]["lr"] = 0.5  # edited, not reproduced
    monkeypatch.setattr(stage, "run_exp_show", lambda all_commits=False, rev=None: data)
    monkeypatch.setattr(stage, "with_full_reports", lambda records: records)
    monkeypatch.setattr(stage, "workspace_is_reproduced", lambda: False)
    out = tmp_path / "reports"
    assert stage.main(["--out", str(out)]) == 0
    md = (out / "leaderboard.md").read_text()
    assert "workspace (stale: params or data changed since the last dvc repro" in md


def test_a_grid_checked_leaderboard_names_what_is_missing_by_share(tmp_path, capsys):
    """compare --shards (as after a sweep over several machines): the grid's absent experiments are named by
    share in the console, the report's top and its JSON, and the exit status is 1; complete, it says nothing."""
    out = tmp_path / "reports"
    grid = ["--exp-show-json", str(FIXTURE), "--out", str(out), "--shards", "2", "--strategies", "smote"]
    assert stage.main([*grid, "--seeds", "0 1 2 3"]) == 1  # smote-s3 (share 2/2: positions 1 and 3) never ran
    assert "INCOMPLETE: 1 experiment of the grid missing, by share: 2/2: smote-s3" in capsys.readouterr().out
    assert json.loads((out / "leaderboard.json").read_text())["missing"] == {"2/2": ["smote-s3"]}
    assert "**Incomplete: 1 experiment of the grid missing**" in (out / "leaderboard.md").read_text()
    assert stage.main([*grid, "--seeds", "0 1 2", "--force"]) == 0
    assert "missing" not in json.loads((out / "leaderboard.json").read_text())
    assert stage.main([*grid, "--seeds", "0", "--where", "data.source=other.csv"]) == 2
    assert "none of the grid's 1 experiments is here; did every share fail or not push?" in capsys.readouterr().err


def test_the_leaderboard_does_not_depend_on_the_order_experiments_arrive_in():
    """Pulled from several machines, `dvc exp show` lists experiments in another order than on the machine that
    ran them all; sums over seeds in that order moved near-tied rows (seen: 0.90575 vs 0.9057499999999999)."""
    import random

    records = load_records(FIXTURE)
    shuffled = random.Random(0).sample(records, len(records))
    as_json = lambda rs: json.dumps(leaderboard_dict(build_leaderboard(rs)), sort_keys=True)  # noqa: E731
    assert as_json(shuffled) == as_json(records) == as_json(records[::-1])
