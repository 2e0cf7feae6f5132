"""The saved tfidf pipeline is the same bytes in every process (DVC hashes it), loads back to the same function, and
is plain arrays: loading it runs no code."""

import subprocess
import sys

import numpy as np

from imbalance_lab.config import EmbedParams
from imbalance_lab.features.embedding import embed_tfidf, load_fitted, save_fitted
from tests.helpers import ROOT, make_texts

SAVE_IN_A_NEW_PROCESS = """
import hashlib, sys, tempfile
from pathlib import Path
from imbalance_lab.config import EmbedParams
from imbalance_lab.features.embedding import embed_tfidf, save_fitted
from tests.helpers import make_texts
texts = make_texts({"weather": 60, "sports": 20})["text"].tolist()
path = Path(tempfile.mkdtemp()) / "tfidf.npz"
save_fitted(path, embed_tfidf(texts, EmbedParams(backend="tfidf", dim=8)).fitted)
print(hashlib.sha256(path.read_bytes()).hexdigest())
"""


def saved_hash(hash_seed: str) -> str:
    env = {"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-c", SAVE_IN_A_NEW_PROCESS]
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()


def test_saved_tfidf_pipeline_is_byte_identical_across_processes():
    assert saved_hash("1") == saved_hash("2")


def test_saved_tfidf_pipeline_transforms_like_the_fitted_one(tmp_path):
    texts = make_texts({"weather": 60, "sports": 20})["text"].tolist()
    embedding = embed_tfidf(texts, EmbedParams(backend="tfidf", dim=8))
    save_fitted(tmp_path / "tfidf.npz", embedding.fitted)
    loaded = load_fitted(tmp_path / "tfidf.npz")
    np.testing.assert_allclose(loaded.transform(texts), embedding.features, rtol=1e-5, atol=1e-6)


def test_saved_tfidf_pipeline_holds_no_pickled_objects(tmp_path):
    texts = make_texts({"weather": 60, "sports": 20})["text"].tolist()
    save_fitted(tmp_path / "tfidf.npz", embed_tfidf(texts, EmbedParams(backend="tfidf", dim=8)).fitted)
    with np.load(tmp_path / "tfidf.npz", allow_pickle=False) as archive:  # an object array would raise here
        assert sorted(archive.files) == ["components", "idf", "settings", "terms"]
        assert all(archive[name].dtype != object for name in archive.files)
