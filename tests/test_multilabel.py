"""Multi-label data: reading label sets, iterative stratification, ML-ROS / ML-RUS / MLSMOTE, BCE-family losses
with pos_weight, per-label thresholds, the metrics against scikit-learn, and a DVC run end to end."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from imbalance_lab.config import parse_section
from imbalance_lab.data.datasets import encode_label_sets
from imbalance_lab.data.label_sets import (
    handle_rare_labels,
    iterative_fold_ids,
    iterative_split,
    resolve_task,
    sets_from_columns,
    sets_from_text,
)
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.evaluation.label_metrics import label_report, predict
from imbalance_lab.strategies import REGISTRIES
from imbalance_lab.strategies.losses import LOSSES, make_loss
from imbalance_lab.strategies.multilabel import minority_labels, pos_weight, resample_labels
from imbalance_lab.strategies.resampling import RESAMPLERS
from imbalance_lab.strategies.samplers import epoch_batches
from imbalance_lab.task import MULTILABEL
from imbalance_lab.thresholds.label_thresholds import (
    degenerate_labels,
    fit_label_thresholds,
    fixed_grid_biases,
    without_degenerate,
)
from tests.helpers import TOPICS, copy_project, run, set_params


def label_matrix(n=600, rates=(0.5, 0.3, 0.1, 0.04, 0.02), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, len(rates))) < np.asarray(rates)).astype(np.uint8)


def features_for(Y, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(len(Y), d)) + Y @ rng.normal(size=(Y.shape[1], d)) * 2).astype(np.float32)


# ------------------------------------------------------------------------------------------------ reading labels


def test_delimited_labels_become_sets_and_empty_cells_rows_with_no_label():
    sets = sets_from_text(pd.Series(["earn|acq", " grain | wheat |", None, "earn"]), "|")
    assert sets.tolist() == [("acq", "earn"), ("grain", "wheat"), (), ("earn",)]
    Y, names = encode_label_sets(sets, ())
    assert names == ["acq", "earn", "grain", "wheat"] and Y.sum(0).tolist() == [1, 2, 1, 1] and Y[2].sum() == 0


def test_a_separator_that_never_splits_is_refused_naming_the_likely_one():
    with pytest.raises(DataError, match=r"gives one label or none for every row \(the labels contain ';'"):
        sets_from_text(pd.Series(["a;b", "c", "a"]), "|")


def test_auto_refuses_labels_holding_the_separator_instead_of_guessing():
    labels = pd.Series(["a|b", "a", "b"])
    with pytest.raises(
        DataError, match="set data.task: multilabel to read them as label sets, or data.task: multiclass"
    ):
        resolve_task("auto", "|", labels)
    assert resolve_task("multiclass", "|", labels) == "multiclass"
    assert resolve_task("auto", "|", pd.Series(["a", "b"])) == "multiclass"
    assert resolve_task("auto", "|", pd.Series(["a", "b"]), declared="multilabel") == "multilabel"


def test_label_columns_must_hold_0_or_1():
    frame = pd.DataFrame({"text": ["x", "y", "z"], "spam": [1, 0, 1], "toxic": [0, 2, "yes"]})
    with pytest.raises(DataError, match=r"label column 'toxic' .* holds values other than 0/1 in 2 rows \(2, 'yes'\)"):
        sets_from_columns(frame, ["spam", "toxic"], "f.csv")
    frame["toxic"] = [True, False, 0]
    assert sets_from_columns(frame, ["spam", "toxic"], "f.csv").tolist() == [("spam", "toxic"), (), ("spam",)]


def test_label_columns_with_task_multiclass_or_ordinal_are_refused_where_params_are_read():
    from imbalance_lab.config import parse_params

    with pytest.raises(ConfigError, match="set data.task: multilabel"):
        parse_params({"data": {"label_columns": ["a", "b"], "task": "multiclass"}})
    with pytest.raises(ConfigError, match="ordered classes need one label per row"):
        parse_params({"data": {"task": "multilabel", "ordinal": True}})


def test_rare_labels_are_dropped_keeping_their_rows_or_merged_into_other():
    Y = label_matrix()
    counts = Y.sum(0)
    names = ["a", "b", "c", "d", "e"]
    split = parse_section("split", {"min_class_count": int(counts[3]) + 1})
    dropped = handle_rare_labels(Y, names, split)
    assert dropped.classes == ["a", "b", "c"] and dropped.labels.shape == (len(Y), 3)
    assert dropped.rare == {"d": int(counts[3]), "e": int(counts[4])} and "rows are left with no label" in dropped.note
    merged = handle_rare_labels(
        Y, names, parse_section("split", {**vars(split), "rare_class_action": "merge_into_other"})
    )
    assert merged.classes == ["a", "b", "c", "other"]
    assert (merged.labels[:, 3] == Y[:, 3:].max(1)).all()


# ------------------------------------------------------------------------------------------------ splits


def test_iterative_split_keeps_every_label_in_every_part_and_folds_too():
    Y = label_matrix(n=400, rates=(0.6, 0.2, 0.05, 0.03))
    split = iterative_split(Y, list("abcd"), test_size=0.2, val_size=0.1, seed=3)
    parts = (split.train, split.val, split.test)
    assert sum(map(len, parts)) == len(Y) and len(np.unique(np.concatenate(parts))) == len(Y)
    for part in parts:
        assert (Y[part].sum(0) > 0).all()
    assert abs(len(split.test) - 80) <= 4
    folds = iterative_fold_ids(Y, 5, seed=0)
    for fold in range(5):
        assert (Y[folds == fold].sum(0) > 0).all()
    assert (iterative_fold_ids(Y, 5, seed=0) == folds).all()


def test_a_label_too_small_for_the_split_is_named_with_the_fix():
    Y = label_matrix(n=200, rates=(0.5, 0.01))
    Y[:, 1] = 0
    Y[:2, 1] = 1
    with pytest.raises(DataError, match=r"label 'b' has 2 positive rows; .* set split.min_class_count: 10"):
        iterative_split(Y, ["a", "b"], test_size=0.2, val_size=0.1, seed=0)


# ------------------------------------------------------------------------------------------------ resampling


def balance(method, **values):
    return parse_section("balance", {"method": method, **values})


def test_ml_ros_raises_the_rarest_label_and_never_removes_rows():
    Y = label_matrix()
    X = features_for(Y)
    out = resample_labels(X, Y, balance("random_over"), seed=0)
    assert len(out.y) > len(Y) and (out.X[: len(Y)] == X).all() and (out.y[: len(Y)] == Y).all()
    assert out.y[:, -1].sum() > Y[:, -1].sum() and not out.synthetic.any()
    assert len(out.y) - len(Y) <= round(0.25 * len(Y))
    again = resample_labels(X, Y, balance("random_over"), seed=0)
    assert (again.X == out.X).all()


def test_ml_rus_removes_rows_but_never_one_carrying_a_minority_label():
    Y = label_matrix()
    X = features_for(Y)
    minority, _ = minority_labels(Y)
    out = resample_labels(X, Y, balance("random_under", sampling_strategy=0.1), seed=0)
    assert len(Y) - round(0.1 * len(Y)) <= len(out.y) < len(Y)
    assert (out.y[:, minority].sum(0) == Y[:, minority].sum(0)).all()


def test_mlsmote_rows_lie_between_two_rows_of_their_label_and_carry_their_neighbourhood_labels():
    Y = label_matrix(n=200)
    X = features_for(Y, d=3)
    minority, _ = minority_labels(Y)
    out = resample_labels(X, Y, balance("mlsmote", k_neighbors=3), seed=0)
    new_X, new_Y = out.X[len(Y) :], out.y[len(Y) :]
    assert (
        len(new_X) == int(Y[:, minority].sum()) and out.synthetic[len(Y) :].all() and not out.synthetic[: len(Y)].any()
    )
    start = 0
    for label in minority:
        bag = np.flatnonzero(Y[:, label])
        block_X, block_Y = new_X[start : start + len(bag)], new_Y[start : start + len(bag)]
        start += len(bag)
        assert (block_Y[:, label] == 1).all()  # the row and all its neighbours carry it
        assert not (block_Y & ~Y[bag].max(0).astype(bool)).any()  # only labels that occur in the label's rows
        for row, x in zip(bag, block_X, strict=True):
            direction = X[bag] - X[row]
            t = (direction @ (x - X[row])) / np.maximum((direction**2).sum(1), 1e-12)
            on_segment = (t >= -1e-5) & (t <= 1 + 1e-5) & (np.abs(X[row] + t[:, None] * direction - x).max(1) < 1e-4)
            assert on_segment.any()


def test_a_multiclass_only_method_is_refused_listing_the_multilabel_ones():
    Y = label_matrix()
    valid = ", ".join(RESAMPLERS.for_task(MULTILABEL))
    assert valid == "none, random_over, random_under, text_augment, mlsmote"
    with pytest.raises(ConfigError, match=f"smote does not support multilabel data; .*: {valid}$"):
        resample_labels(features_for(Y), Y, balance("smote"), seed=0)


def test_every_registry_lists_at_least_the_baseline_for_multilabel():
    for registry in REGISTRIES:
        assert registry.for_task(MULTILABEL), registry.param


# ------------------------------------------------------------------------------------------------ losses, weights


def train_params(**values):
    return parse_section("train", values)


def make_label_loss(train, *, positives, pos_weights):
    return make_loss(train, class_counts=positives, class_weights=pos_weights, task=MULTILABEL)


def test_pos_weight_is_negatives_over_positives_per_label():
    positives = np.array([10.0, 40.0, 90.0])
    weights = pos_weight(positives, 100, train_params(class_weight="inverse"))
    assert weights == pytest.approx([9.0, 1.5, 10 / 90])
    assert pos_weight(positives, 100, train_params(class_weight="sqrt_inverse")) == pytest.approx(
        np.sqrt([9.0, 1.5, 10 / 90])
    )
    assert pos_weight(positives, 100, train_params()) is None


@pytest.mark.parametrize(
    "settings",
    [
        {"loss": "cross_entropy"},
        {"loss": "focal", "focal_gamma": 0.0},
        {"loss": "asymmetric", "asl_gamma_pos": 0.0, "asl_gamma_neg": 0.0, "asl_clip": 0.0},
    ],
    ids=["bce", "focal-gamma-0", "asl-0-0-0"],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_focal_gamma_0_and_asl_0_0_0_equal_bce_with_logits(settings, weighted):
    torch.manual_seed(0)
    logits, targets = torch.randn(32, 4, dtype=torch.float64) * 3, (torch.rand(32, 4) < 0.3).double()
    weights = np.array([1.0, 4.0, 0.5, 9.0]) if weighted else None
    loss = make_label_loss(train_params(**settings), positives=np.ones(4), pos_weights=weights)
    expected = F.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=torch.as_tensor(weights) if weighted else None
    )
    assert float(loss(logits, targets)) == pytest.approx(float(expected), rel=1e-9)


def test_asl_clip_drops_easy_negatives_and_gamma_neg_shrinks_the_negatives_share():
    logits, targets = torch.tensor([[-4.0, 3.0]]), torch.tensor([[0.0, 1.0]])
    positive_term = float(-F.logsigmoid(torch.tensor(3.0)))

    def asl(**values):
        module = make_label_loss(train_params(loss="asymmetric", **values), positives=np.ones(2), pos_weights=None)
        return float(module(logits, targets))

    # p(label 0) = sigmoid(-4) = 0.018 < clip 0.05: the negative adds nothing, the mean over 2 cells is the positive's
    assert asl(asl_gamma_neg=0.0, asl_clip=0.05) == pytest.approx(positive_term / 2, rel=1e-5)
    bce = float(F.binary_cross_entropy_with_logits(logits, targets))
    assert asl(asl_gamma_neg=0.0, asl_clip=0.0) == pytest.approx(bce, rel=1e-5)
    assert positive_term / 2 < asl(asl_gamma_neg=4.0, asl_clip=0.0) < bce


def test_weighted_sampler_draws_rows_by_their_rarest_label():
    Y = label_matrix(n=2000, rates=(0.5, 0.05))
    rows = torch.cat(
        epoch_batches(Y, train_params(sampler="weighted", batch_size=100), torch.Generator().manual_seed(0), MULTILABEL)
    )
    drawn = Y[rows.numpy()]
    assert len(rows) == len(Y) and drawn[:, 1].mean() > 3 * Y[:, 1].mean()


# ------------------------------------------------------------------------------------------------ thresholds, metrics


def test_per_label_thresholds_never_lower_macro_f1_on_the_rows_they_were_fitted_on():
    Y = label_matrix(n=500)
    rng = np.random.default_rng(1)
    logits = (Y * 2 - 1) * rng.gamma(1.0, 1.0, Y.shape) + rng.normal(-1.0, 1.5, Y.shape)
    folds = iterative_fold_ids(Y, 5, 0)
    from imbalance_lab.evaluation.label_metrics import macro_f1_labels

    for regularization in (0.0, 0.03, "auto"):
        settings = parse_section("threshold", {"regularization": regularization})
        fit = fit_label_thresholds(logits, Y, folds, settings)
        assert fit.in_sample >= fit.before - 1e-12
        assert macro_f1_labels(Y, predict(logits, fit.biases)) >= fit.before - 1e-12
    grid = fixed_grid_biases(logits, Y)
    assert set(np.round(1 / (1 + np.exp(grid)), 2)) <= {round(0.3 + 0.05 * i, 2) for i in range(11)}


def test_a_label_without_signal_is_named_and_kept_at_the_untuned_threshold():
    """Label 'noise' has random logits (no signal): whatever tuning does to it is no skill."""
    rng = np.random.default_rng(3)
    Y = label_matrix(n=600, rates=(0.4, 0.2, 0.06))
    logits = (Y.astype(float) * 2 - 1) * 2.0 + rng.normal(0, 1.0, Y.shape)
    logits[:, 2] = rng.normal(-3.0, 1.0, len(Y))  # the model knows nothing of the rare label
    fit = fit_label_thresholds(logits, Y, iterative_fold_ids(Y, 5, 0), parse_section("threshold", {}))
    names = ["signal", "weak", "noise"]
    degenerate = degenerate_labels(logits, Y, fit.biases, names)
    assert list(degenerate) == ["noise"] and degenerate["noise"].startswith("no signal (AP 0.0")
    guarded = without_degenerate(fit, degenerate, names)
    assert guarded.biases[2] == 0.0 and guarded.biases[:2] == pytest.approx(fit.biases[:2])
    everything = np.array([0.0, 10.0, 0.0])  # a threshold that flags 'weak' on every row
    assert degenerate_labels(logits, Y, everything, names)["weak"] == "tuned to predict 100% of rows"


def test_metrics_equal_scikit_learn():
    from sklearn import metrics as sk

    Y = label_matrix(n=300)
    rng = np.random.default_rng(2)
    logits = (Y * 2 - 1) * 1.5 + rng.normal(0, 1.5, Y.shape)
    P = predict(logits)
    report = label_report(Y, logits, list("abcde"), train_counts=Y.sum(0), seed=0)
    for average in ("macro", "micro", "weighted", "samples"):
        expected = sk.f1_score(Y, P, average=average, zero_division=0)
        assert report[f"{average}_f1"] == pytest.approx(expected, abs=1e-6)
    assert report["hamming_loss"] == pytest.approx(sk.hamming_loss(Y, P), abs=1e-6)
    assert report["subset_accuracy"] == pytest.approx(sk.accuracy_score(Y, P), abs=1e-6)
    proba = 1 / (1 + np.exp(-logits))
    assert report["lrap"] == pytest.approx(sk.label_ranking_average_precision_score(Y, proba), abs=1e-6)
    assert report["per_class"]["e"]["recall"] == pytest.approx(sk.recall_score(Y[:, 4], P[:, 4]), abs=1e-6)
    assert report["pr_auc_macro"] == pytest.approx(sk.average_precision_score(Y, proba, average="macro"), abs=1e-6)
    lo, hi = report["ci95"]["macro_f1"]
    assert lo <= report["macro_f1"] <= hi


# ------------------------------------------------------------------------------------------------ end to end


def tagged_texts(n=420, seed=0) -> pd.DataFrame:
    """Short texts with one to three topic tags; 'health' rare."""
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)
    rows = []
    for i in range(n):
        tags = {topics[rng.choice(3, p=[0.5, 0.3, 0.2])]}
        if rng.random() < 0.3:
            tags.add(topics[rng.integers(3)])
        if rng.random() < 0.08:
            tags.add("health")
        words = [str(w) for t in sorted(tags) for w in rng.choice(TOPICS[t], size=3)]
        rows.append({"text": " ".join(words) + f" {i}", "tags": "|".join(sorted(tags))})
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_a_multilabel_csv_runs_end_to_end_and_mlsmote_reruns_from_balance_on(tmp_path):
    project = copy_project(tmp_path / "project")
    tagged_texts().to_csv(project / "tags.csv", index=False)
    fast = {"max_epochs": 8, "patience": 3, "hidden_dims": [32], "lr": 0.01, "batch_size": 32}
    set_params(
        project,
        data={"source": "tags.csv", "label_column": "tags", "task": "multilabel"},
        embed={"backend": "tfidf", "dim": 16},
        train=fast,
        cv={"folds": 3},
    )
    first = run(["dvc", "repro"], project)
    assert "multi-label: 4 labels" in first.stderr
    test = json.loads((project / "metrics/full/test.json").read_text())
    assert {"macro_f1", "micro_f1", "samples_f1", "hamming_loss", "subset_accuracy", "lrap"} <= set(test)
    assert set(test["per_class"]) == {"finance", "health", "sports", "weather"}
    tuned = json.loads((project / "metrics/full/threshold.json").read_text())
    assert {"after_oof", "after_val", "after_val_grid"} <= set(tuned)
    thresholds = json.loads((project / "models/thresholds.json").read_text())
    assert len(thresholds["probability_thresholds"]) == 4
    plots = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)["data"]
    (pr,) = plots["Precision-recall, one-vs-rest (test)"]
    assert "health" in {row["class"] for row in pr["content"]["data"]["values"]}  # the rarest label's curve
    for title in (
        "Per-class F1 (test)",
        "Per-class recall before and after threshold tuning (test)",
        "Confusion matrix, normalised (test)",
    ):
        (chart,) = plots[title]
        assert len(chart["content"]["data"]["values"]) > 0, title
    scored = run(["python", "-m", "commands.score", "--source", "tags.csv"], project)
    assert "(tuned per-label thresholds)" in scored.stderr
    assert "rows repeat texts of the training split" in scored.stderr  # the training file itself
    predictions = pd.read_csv(project / "reports/score/predictions.csv", keep_default_na=False)
    assert {"labels", "predicted", "p_health"} <= set(predictions.columns) and len(predictions) == 420
    assert json.loads((project / "metrics/score.json").read_text())["after"]["macro_f1"] > 0
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "multi-label baseline"], project)
    again = run(["dvc", "exp", "run", "-S", "balance.method=mlsmote"], project)
    assert "Stage 'embed' didn't change, skipping" in again.stdout and "Stage 'split' didn't change" in again.stdout
    assert "Running stage 'balance'" in again.stdout and "MLSMOTE:" in again.stderr
    report = run(["bash", ".ci/pr_report.sh", "HEAD", str(tmp_path / "plots")], project).stdout
    assert "micro_f1" in report and "balance.method" in report and "mlsmote" in report
    refused = run(["dvc", "exp", "run", "-S", "balance.method=smote"], project, check=False)
    assert refused.returncode != 0
    assert "error: balance: balance.method: smote does not support multilabel data" in refused.stderr


@pytest.mark.parametrize("method", RESAMPLERS.for_task(MULTILABEL))
def test_every_multilabel_resampler_is_deterministic_and_keeps_the_label_width(method):
    from imbalance_lab.strategies.text_augment import Texts

    Y = label_matrix()
    X = features_for(Y, d=4)
    texts = Texts([f"text {i} of row {i % 7}" for i in range(len(Y))], lambda batch: features_for(Y[: len(batch)], d=4))
    first, second = (resample_labels(X, Y, balance(method), seed=4, texts=texts) for _ in range(2))
    assert first.y.shape[1] == Y.shape[1] and len(first.X) == len(first.y) == len(first.synthetic)
    assert (first.X == second.X).all() and (first.y == second.y).all()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", LOSSES.for_task(MULTILABEL))
def test_every_multilabel_loss_has_finite_gradients_on_extreme_logits(name, weighted):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]], requires_grad=True)
    targets = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    weights = np.array([2.0, 0.5, 9.0]) if weighted else None
    value = make_label_loss(train_params(loss=name), positives=np.ones(3), pos_weights=weights)(logits, targets)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()


def test_the_names_other_write_ups_use_point_at_ours():
    from imbalance_lab.config import parse_params

    with pytest.raises(ConfigError, match="'bce' is cross_entropy here .*: use train.loss=cross_entropy"):
        parse_params({"train": {"loss": "bce"}})
    with pytest.raises(ConfigError, match="unknown key 'data.min_label_count'; use split.min_class_count"):
        parse_params({"data": {"min_label_count": 20}})


def test_text_augment_makes_new_texts_of_minority_label_rows_with_their_label_sets():
    from imbalance_lab.strategies.text_augment import Texts

    Y = label_matrix(n=300)
    words = [f"w{i}" for i in range(40)]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(len(Y))]

    def embed(batch):  # a text's vector: its word counts, so a new text gets a new row
        return np.array([[t.split().count(w) for w in words] for t in batch], dtype=np.float32)

    X = embed(texts)
    out = resample_labels(X, Y, balance("text_augment"), seed=0, texts=Texts(texts, embed))
    cloned = resample_labels(X, Y, balance("random_over"), seed=0)
    assert len(out.y) == len(cloned.y) > len(Y)  # ML-ROS's counts
    assert (out.X[: len(Y)] == X).all() and (out.y[: len(Y)] == Y).all()
    minority, _ = minority_labels(Y)
    new_Y = out.y[len(Y) :]
    assert new_Y[:, minority].any(1).all()  # every new text is of a row with a minority label
    assert {tuple(r) for r in new_Y} <= {tuple(r) for r in Y}  # ... and carries a real row's whole label set
    with pytest.raises(DataError, match="needs the texts"):
        resample_labels(X, Y, balance("text_augment"), seed=0)
