"""Ordinal labels, a seed ensemble, out-of-fold thresholds tuned for qwk, and `score` on new files: one DVC
project copy on a small synthetic age-group CSV (tfidf backend), reproduced once for the whole module."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from imbalance_lab.models.modelfile import load_model
from tests.helpers import FAST_PARAMS, copy_project, run, set_params

pytestmark = pytest.mark.slow

AGES = ["toddler", "preschool", "elementary", "teen"]  # ordered; alphabetical order would be different
WORDS = {
    "toddler": ["diaper", "crawl", "nap", "rattle", "stroller", "babble", "crib", "pacifier"],
    "preschool": ["crayon", "puzzle", "sandbox", "nursery", "alphabet", "finger", "storytime", "playdough"],
    "elementary": ["homework", "recess", "spelling", "multiply", "lunchbox", "fieldtrip", "reader", "science"],
    "teen": ["exam", "phone", "driving", "prom", "parttime", "college", "chemistry", "selfie"],
}
FILLER = ["the", "a", "child", "today", "likes", "new", "with", "after", "loves", "every"]
ORDER_PARAMS = {"label_order": AGES, "ordinal": True}


def age_texts(counts: dict[str, int], seed: int) -> pd.DataFrame:
    """Texts mixing a class's words with a neighbouring age group's, so mistakes are mostly off by one."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, n in counts.items():
        rank = AGES.index(label)
        neighbours = [AGES[r] for r in (rank - 1, rank + 1) if 0 <= r < len(AGES)]
        for i in range(n):
            words = list(rng.choice(WORDS[label], size=2)) + list(rng.choice(FILLER, 3))
            if rng.random() < 0.5:
                words.append(str(rng.choice(WORDS[str(rng.choice(neighbours))])))
            rng.shuffle(words)
            rows.append({"text": " ".join(words) + f" {seed}-{i}", "label": label})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def ages(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("ages") / "project")
    age_texts({"toddler": 160, "preschool": 100, "elementary": 60, "teen": 30}, seed=0).to_csv(
        project / "ages.csv", index=False
    )
    set_params(
        project,
        data={"source": "ages.csv", **ORDER_PARAMS},
        **{k: v for k, v in FAST_PARAMS.items() if k != "train"},
        train={**FAST_PARAMS["train"], "ensemble_size": 2, "threads": 1},
        threshold={"metric": "qwk"},
    )
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "age groups"], project)
    run(["dvc", "repro"], project)
    return project


def read(project, name):
    return json.loads((project / name).read_text())


def test_ordinal_metrics_in_every_metrics_file(ages):
    test, threshold = (read(ages, f"metrics/full/{n}.json") for n in ("test", "threshold"))
    cv = read(ages, "metrics/cv.json")
    for block in (test, threshold["before"], threshold["after"], threshold["after_val"], threshold["after_oof"]):
        assert -1 <= block["qwk"] <= 1 and 0 <= block["mae_class"] <= 3
    assert len(cv["per_fold"]["qwk"]) == 3 and len(cv["per_fold"]["mae_class"]) == 3
    assert threshold["metric"] == "qwk" and threshold["fit_on"] == "oof"
    # the headline files `dvc exp show` reads list the ordinal pair too
    assert {"qwk", "mae_class"} <= set(read(ages, "metrics/test.json"))
    assert {"tuned_qwk", "tuned_mae_class"} <= set(read(ages, "metrics/threshold.json"))


def test_confusion_plot_follows_label_order_and_qwk_matches_sklearn(ages):
    plot = pd.read_csv(ages / "plots/test/confusion.csv")
    names = [f"{rank}. {age}" for rank, age in enumerate(AGES, start=1)]
    assert set(plot["actual"]) == set(names) and sorted(names) == names  # DVC's ascending sort = age order
    code = {name: rank for rank, name in enumerate(names)}
    actual, predicted = plot["actual"].map(code), plot["predicted"].map(code)
    test = read(ages, "metrics/test.json")
    # the metrics file holds METRIC_DECIMALS decimals: equal up to that rounding
    assert test["qwk"] == pytest.approx(cohen_kappa_score(actual, predicted, weights="quadratic"), abs=0.5e-4)
    assert test["mae_class"] == pytest.approx(np.abs(actual - predicted).mean(), abs=0.5e-4)
    assert read(ages, "data/embeddings/meta.json")["classes"] == AGES


def test_thresholds_fitted_on_val_and_oof_are_both_reported(ages):
    threshold, fitted = read(ages, "metrics/full/threshold.json"), read(ages, "models/thresholds.json")
    assert fitted["biases"] == fitted["biases_oof"] and len(fitted["biases_val"]) == len(AGES)
    assert threshold["after"] == threshold["after_oof"]
    split = np.load(ages / "data/split/indices.npz")
    oof = np.load(ages / "data/cv/oof.npz")
    train_val = np.sort(np.concatenate([split["train"], split["val"]]))
    assert np.array_equal(np.sort(oof["rows"]), train_val) and len(np.unique(oof["rows"])) == len(oof["rows"])
    assert np.intersect1d(oof["rows"], split["test"]).size == 0
    assert set(oof["fold"].tolist()) == {0, 1, 2}
    assert threshold["fit_oof"]["rows"] == len(train_val) and threshold["fit_val"]["rows"] == len(split["val"])
    assert threshold["fit_oof"]["objective_after"] >= threshold["fit_oof"]["objective_before"]


def test_seed_ensemble_is_saved_with_its_member_seeds(ages):
    members, meta = load_model(ages / "models/model.safetensors")
    assert len(members) == 2 and meta["member_seeds"] == [0, 1000]
    assert meta["embedding"]["embed_params"]["backend"] == "tfidf"
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(*members, strict=True))  # two different members


def score(project, source, prior_correction=False, check=True):
    set_params(project, score={"source": source, "prior_correction": prior_correction})
    return run(["python", "-m", "commands.score"], project, check=check)


def test_score_new_files(ages):
    shifted = age_texts({"toddler": 20, "preschool": 30, "elementary": 50, "teen": 100}, seed=5)
    shifted.to_csv(ages / "later.csv", index=False)
    score(ages, "later.csv", prior_correction=True)
    report = read(ages, "metrics/score.json")
    assert report["rows"] == 200 and "qwk" in report["after"] and "test_split_after" in report
    shift = report["shift"]
    assert shift["labels"]["teen"] == 0.5 and shift["tv_labels_vs_training"] > 0.3
    # unlabelled, EM sees the shift toward teens (its size depends on calibration; exact recovery: test_scoring)
    assert shift["em_estimate"]["teen"] > shift["training_split"]["teen"] + 0.1 and shift["tv_em_vs_training"] > 0.2
    assert set(report["prior_correction"]) >= {"em", "labels", "source_prior"}
    assert (ages / "plots/score/confusion.csv").exists()
    predictions = pd.read_csv(ages / "reports/score/predictions.csv")
    assert list(predictions.columns[:4]) == ["row_id", "label", "predicted", "predicted_prior_corrected"]
    assert np.allclose(predictions[[f"p_{a}" for a in AGES]].sum(axis=1), 1.0, atol=1e-4)

    shifted.drop(columns="label").to_json(ages / "later.jsonl", orient="records", lines=True)
    result = score(ages, "later.jsonl")
    assert "predictions only" in result.stderr
    assert not (ages / "metrics/score.json").exists() and not (ages / "plots/score").exists()  # no stale metrics
    predictions = pd.read_csv(ages / "reports/score/predictions.csv")
    assert list(predictions.columns) == ["row_id", "predicted", *[f"p_{a}" for a in AGES]]
    assert predictions["row_id"].tolist() == list(range(200))

    age_texts({"teen": 5, "elementary": 5}, seed=6).assign(label=["adult"] * 3 + ["teen"] * 7).to_csv(
        ages / "adults.csv", index=False
    )
    failed = score(ages, "adults.csv", check=False)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "labels the model never saw: 'adult' (3 rows)" in failed.stderr
    assert not (ages / "reports/score/predictions.csv").exists()

    status = run(["dvc", "status"], ages)  # score is a command: the pipeline stays up to date
    assert "up to date" in status.stdout


def test_score_takes_its_file_as_an_argument_and_h_prints_help(ages):
    shifted = age_texts({"toddler": 20, "preschool": 30, "elementary": 50, "teen": 100}, seed=6)
    shifted.to_csv(ages / "other.csv", index=False)
    set_params(ages, score={"source": "", "prior_correction": True})
    before = (ages / "params.yaml").read_text()
    helped = run(["python", "-m", "commands.score", "-h"], ages)
    assert "--source FILE" in helped.stdout and helped.returncode == 0
    run(["python", "-m", "commands.score", "--source", "other.csv", "--no-prior-correction"], ages)
    report = read(ages, "metrics/score.json")
    assert report["source"] == "other.csv" and report["rows"] == 200 and "prior_correction" not in report
    assert (ages / "params.yaml").read_text() == before  # the argument does not edit params.yaml


def test_score_and_evaluate_refuse_features_from_another_embedder(ages, tmp_path):
    """embed re-run on other texts refits tfidf: the trained model must not be fed its features."""
    import shutil

    project = tmp_path / "refit"
    shutil.copytree(ages, project, symlinks=True)
    other = age_texts({"toddler": 170, "preschool": 110, "elementary": 60, "teen": 30}, seed=11)
    other.to_csv(project / "other.csv", index=False)
    set_params(project, data={"source": "other.csv"})
    run(["python", "-m", "stages.embed"], project)  # same settings, other texts: another fitted tfidf
    scored = run(["python", "-m", "commands.score", "--source", "other.csv"], project, check=False)
    assert scored.returncode == 2
    assert "data/embeddings/tfidf.npz was refitted since models/model.safetensors was trained" in scored.stderr
    evaluated = run(["python", "-m", "stages.evaluate"], project, check=False)
    assert evaluated.returncode == 2 and "was trained on features from another embedder" in evaluated.stderr
    assert "Traceback" not in scored.stderr + evaluated.stderr
