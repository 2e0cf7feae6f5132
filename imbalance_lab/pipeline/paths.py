"""Where each stage reads and writes. dvc.yaml lists the same paths."""

import os
import re
from pathlib import Path

from imbalance_lab.config import BUILTIN_DATASET

EMBEDDINGS = Path("data/embeddings")
FEATURES = EMBEDDINGS / "features.npy"  # float32 (n, d)
LABELS = EMBEDDINGS / "labels.npy"  # int64 class codes
ROW_IDS = EMBEDDINGS / "row_ids.npy"  # int64 row number in the source file
TEXT_HASHES = EMBEDDINGS / "text_hashes.npy"  # uint64, to find repeated texts
TEXTS = EMBEDDINGS / "texts.json"  # text backends: the texts in row order (text_augment makes new ones from them)
EMBED_META = EMBEDDINGS / "meta.json"
TFIDF_PIPELINE = EMBEDDINGS / "tfidf.npz"  # tfidf backend only: fitted TF-IDF -> SVD -> L2, reused by score

SPLIT = Path("data/split")
SPLIT_INDICES = SPLIT / "indices.npz"  # train / val / test row positions
SPLIT_SUMMARY = SPLIT / "summary.json"

BALANCED = Path("data/balanced")
BALANCED_TRAIN = BALANCED / "train.npz"  # X, y, synthetic
BALANCE_SUMMARY = BALANCED / "summary.json"
BALANCED_TEXTS = (
    BALANCED / "texts.json"
)  # methods that make new texts: every balanced row's text (a fine-tuned encoder reads it)

MODEL = Path("models/model.safetensors")
TRAIN_REPORT = Path("models/train.json")  # what train did: rows, class weights, epochs (DVC-cached, like the model)
SPLIT_LOGITS = Path(
    "models/logits.npz"
)  # the model's logits for the val and test rows (imbalance_lab/pipeline/predictions.py)
THRESHOLDS = Path("models/thresholds.json")
OOF = Path("data/cv/oof.npz")  # out-of-fold logits for every train+val row
CV_SKIPPED = Path("data/cv/skipped.json")  # cv.folds 0: why there are no out-of-fold logits

# metrics/*.json: a few flat headline numbers per stage, what `dvc exp show` and `dvc metrics diff` list (cv.json
# also holds per-fold lists, which DVC does not show). metrics/full/*.json: the test-split reports whole
# (per-class tables, CIs, before/after), what compare, score and the docs read. All committed to git.
METRICS = Path("metrics")
CV_METRICS = METRICS / "cv.json"
TEST_METRICS = METRICS / "test.json"
THRESHOLD_METRICS = METRICS / "threshold.json"
FULL_REPORTS = METRICS / "full"
TEST_REPORT = FULL_REPORTS / "test.json"
THRESHOLD_REPORT = FULL_REPORTS / "threshold.json"

# DVCLive's folder: per-epoch curves (plots/metrics/*.tsv) and train's headline (metrics.json), rewritten every
# epoch so that `dvc exp show` shows a running experiment's epoch as `step`
TRAIN_LIVE = Path("dvclive")
TRAIN_METRICS = TRAIN_LIVE / "metrics.json"

PLOTS = Path("plots")
TEST_PLOTS = PLOTS / "test"
THRESHOLD_PLOTS = PLOTS / "threshold"

# leaderboards (`python -m commands.compare`, `make sweep`): reports/ for the built-in TREC-6 (the committed
# example), reports/<file stem>/ for any other data source, so a sweep on your data never meets the example
REPORTS = Path("reports")


def reports_folder(data_source: str | None) -> Path:
    """Where the leaderboard of experiments on this data source goes."""
    if not data_source or data_source == BUILTIN_DATASET:
        return REPORTS
    return REPORTS / data_source_stem(data_source)


def data_source_stem(data_source: str) -> str:
    """The data file's name without folder and extension, safe in a path and an experiment name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(data_source).rsplit("/", 1)[-1].rsplit(".", 1)[0])


# `python -m commands.score` (a command, not a DVC stage): results for the file in score.source
SCORE_METRICS = METRICS / "score.json"
SCORE_PLOTS = PLOTS / "score"
SCORE_REPORTS = Path("reports/score")
SCORE_PREDICTIONS = SCORE_REPORTS / "predictions.csv"
SCORE_SHIFT = SCORE_REPORTS / "shift.json"


def project_cache() -> Path:
    """.cache in the project: DVC_ROOT when DVC runs a stage (a queued experiment runs in a temporary copy of the
    project, and DVC points DVC_ROOT at the project itself), else the working directory. Never in git."""
    return Path(os.environ.get("DVC_ROOT") or ".") / ".cache"


DATASET_PACKAGES = "datasets"  # under project_cache(): npm tarballs of built-in datasets (make setup fetches them)
