"""embed.scale: numeric columns standardised on training rows only, and what happens without it."""

import json

import numpy as np
import pandas as pd
import pytest

from imbalance_lab.features.scaling import fit_scaler, scales, spread_ratio
from tests.helpers import FAST_PARAMS, copy_project, run, set_params

LABELS = ["alpha", "beta", "gamma", "delta"]


def test_the_scaler_is_fitted_on_the_rows_it_is_given_and_keeps_constant_columns_finite():
    train = np.array([[1.0, 1e5, 3.0], [3.0, 3e5, 3.0]])
    scaler = fit_scaler(train)
    assert scaler.apply(train) == pytest.approx(np.array([[-1.0, -1.0, 0.0], [1.0, 1.0, 0.0]]))
    assert scaler.apply([[5.0, 5e5, 4.0]]) == pytest.approx(np.array([[3.0, 3.0, 1.0]]))  # other rows: train's stats
    assert spread_ratio(train) == pytest.approx(1e5)
    assert scales({"backend": "features"}) and scales({"backend": "features", "scale": "standard"})
    assert not scales({"backend": "features", "scale": "none"}) and not scales({"backend": "tfidf"})


def numeric_tags(n: int = 700, seed: int = 0) -> pd.DataFrame:
    """Six numeric columns, four labels each driven by one or two of them; one column in units of 1e5 and one
    pure noise column in units of 1e4, as in a real export (an amount beside a ratio)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 6))
    drives = {"alpha": z[:, 0], "beta": z[:, 1] - z[:, 2], "gamma": z[:, 3], "delta": 1.5 * z[:, 0] + z[:, 4]}
    rates = {"alpha": 0.4, "beta": 0.3, "gamma": 0.15, "delta": 0.08}
    tags = []
    for i in range(n):
        row = [
            label
            for label in LABELS
            if drives[label][i] + rng.normal(0, 0.5) > np.quantile(drives[label], 1 - rates[label])
        ]
        tags.append("|".join(row))
    frame = pd.DataFrame(z[:, :5], columns=[f"x{j}" for j in range(5)])
    frame["x0"] *= 1e5  # the informative column in large units
    frame["noise"] = rng.normal(0, 1e4, n)
    frame["tags"] = tags
    return frame


@pytest.mark.slow
def test_standardised_columns_give_sane_thresholds_and_beat_the_raw_ones(tmp_path):
    project = copy_project(tmp_path / "project")
    numeric_tags().to_csv(project / "numbers.csv", index=False)
    fast = {k: v for k, v in FAST_PARAMS.items() if k != "embed"}
    set_params(project, data={"source": "numbers.csv", "label_column": "tags", "task": "multilabel"}, **fast)
    set_params(project, embed={"backend": "features"})
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "numeric multi-label"], project)
    results = {}
    for scale in ("none", "standard"):
        set_params(project, embed={"backend": "features", "scale": scale})
        ran = run(["dvc", "repro"], project)
        thresholds = json.loads((project / "models/thresholds.json").read_text())["probability_thresholds"]
        f1 = json.loads((project / "metrics/full/threshold.json").read_text())["after"]["macro_f1"]
        results[scale] = (ran.stderr, list(thresholds.values()) if isinstance(thresholds, dict) else thresholds, f1)
    warning, _, raw_f1 = results["none"]
    assert "warning: embed.scale is none and the feature columns' spreads differ by a factor of" in warning
    log, thresholds, scaled_f1 = results["standard"]
    assert "feature columns are standardised on the training rows" in log
    assert all(0.01 < t < 0.99 for t in thresholds), thresholds
    assert scaled_f1 > raw_f1 + 0.05, (scaled_f1, raw_f1)
    scored = run(["python", "-m", "commands.score", "--source", "numbers.csv"], project)  # the model's scaler
    assert json.loads((project / "metrics/score.json").read_text())["after"]["macro_f1"] > raw_f1
    assert "rows repeat feature rows of the training split" in scored.stderr
