"""The embedding cache: a changed file embeds only its new texts, vectors stay within float noise of a cold run,
the result depends only on the cache's files, and the cache is the project's (or the configured) folder."""

import numpy as np
import pytest

from imbalance_lab.config import EmbedParams
from imbalance_lab.errors import DataError
from imbalance_lab.features import embedding
from imbalance_lab.features.embed_cache import CACHE_ENV, cache_root
from imbalance_lab.features.embedding import embed_sentence_transformers
from tests.helpers import copy_project, make_texts, run, set_params

# Measured here: 0 (batches of one token length are not padded, so a vector does not depend on its batch); with
# padded batches it was 1.6e-7. The bound leaves room for CPUs whose kernels differ by batch size.
COLD_RUN_BOUND = 1e-6


@pytest.fixture(scope="module")
def texts():
    return make_texts({"weather": 120, "sports": 80})["text"].tolist()


def test_a_changed_list_embeds_only_new_texts_within_float_noise_of_a_cold_run(texts, embedding_cache, monkeypatch):
    params = EmbedParams()
    first = embed_sentence_transformers(texts[:180], params)
    assert (first.stats["new"], first.stats["from_cache"]) == (180, 0)
    changed = texts[18:]  # 10% removed, 20 added
    warm = embed_sentence_transformers(changed, params)
    assert (warm.stats["new"], warm.stats["from_cache"]) == (20, 162)
    np.testing.assert_array_equal(warm.features[:162], first.features[18:])
    monkeypatch.setenv(CACHE_ENV, str(embedding_cache.parent / "cold"))
    cold = embed_sentence_transformers(changed, params)
    assert cold.stats["from_cache"] == 0
    assert np.abs(warm.features - cold.features).max() <= COLD_RUN_BOUND


def test_a_fully_cached_list_loads_no_model_and_adds_no_shard(texts, embedding_cache, monkeypatch):
    before = embed_sentence_transformers(texts[:40], EmbedParams())
    shards = sorted(embedding_cache.rglob("*.npz"))

    def no_model(*_):
        raise AssertionError("the model was loaded for texts that are all cached")

    monkeypatch.setattr(embedding, "load_sentence_model", no_model)
    again = embed_sentence_transformers(texts[:40][::-1], EmbedParams())
    np.testing.assert_array_equal(again.features, before.features[::-1])
    assert sorted(embedding_cache.rglob("*.npz")) == shards


def test_the_cache_off_writes_nothing(texts, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "off")
    monkeypatch.chdir(tmp_path)
    result = embed_sentence_transformers(texts[:10], EmbedParams())
    assert result.stats["from_cache"] == 0 and result.stats["cache"] == "off"
    assert not list(tmp_path.rglob("*.npz"))


def test_max_seq_length_cuts_long_texts_counts_them_and_keys_the_cache(embedding_cache):
    long_texts = [" ".join(["storm rain wind"] * 40) + f" {i}" for i in range(5)] + ["short text"]
    full = embed_sentence_transformers(long_texts, EmbedParams())
    cut = embed_sentence_transformers(long_texts, EmbedParams(max_seq_length=16))
    assert full.stats["truncated"] == 0 and full.stats["max_seq_length"] == 256
    assert cut.stats == {**cut.stats, "truncated": 5, "from_cache": 0, "max_seq_length": 16}
    assert "max_seq_length=16" in cut.description and "max_seq_length" not in full.description
    assert not np.allclose(full.features[0], cut.features[0], atol=1e-3)
    np.testing.assert_allclose(full.features[-1], cut.features[-1], atol=COLD_RUN_BOUND)
    assert len({p.parent for p in embedding_cache.rglob("*.npz")}) == 2  # one folder per setting


def test_max_seq_length_beyond_the_model_is_refused():
    with pytest.raises(DataError, match=r"embed.max_seq_length: 4096 is more than .* \(512 tokens\)"):
        embed_sentence_transformers(["a text"], EmbedParams(max_seq_length=4096))


def test_cache_root_follows_dvc_root_so_queued_experiments_share_it(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path / "project"))
    assert cache_root() == tmp_path / "project" / ".cache" / "embeddings"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert cache_root() == tmp_path / "elsewhere"


def test_dvc_repro_after_filtering_the_file_embeds_nothing_and_logs_the_cache(tmp_path):
    project = copy_project(tmp_path / "project")
    frame = make_texts({"weather": 90, "sports": 60, "finance": 40})
    frame.to_csv(project / "texts.csv", index=False)
    set_params(project, data={"source": "texts.csv"}, embed={"backend": "sentence-transformers"})
    first = run(["dvc", "repro", "embed"], project).stderr
    assert "0 texts from the embedding cache" in first and "190 embedded" in first
    features = np.load(project / "data/embeddings/features.npy")
    frame.iloc[19:].to_csv(project / "texts.csv", index=False)
    second = run(["dvc", "repro", "embed"], project).stderr
    assert "171 texts from the embedding cache" in second and ", 0 embedded" in second
    assert "[embed] done in" in second
    np.testing.assert_array_equal(np.load(project / "data/embeddings/features.npy"), features[19:])
    assert (project / ".cache/embeddings").is_dir()


def test_synthetic_texts_from_the_stage_embedder_stay_out_of_the_cache(texts, embedding_cache):
    from imbalance_lab.features.embedding import stage_embedder

    embed = stage_embedder({"embed_params": {"backend": "sentence-transformers"}}, embedding_cache / "unused.npz")
    vectors = embed(texts[:5])
    assert vectors.shape == (5, 384) and not list(embedding_cache.rglob("*.npz"))
    np.testing.assert_allclose(vectors, embed_sentence_transformers(texts[:5], EmbedParams()).features, atol=1e-6)
