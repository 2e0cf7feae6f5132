"""balance.method text_augment: new minority texts from the class's own training texts, embedded by the embed
stage's embedder; deterministic per seed; never a validation or test text, in the balance stage or a CV fold."""

import numpy as np
import pytest

from imbalance_lab.config import ConfigError, parse_params, parse_section
from imbalance_lab.features.embedding import embed_tfidf
from imbalance_lab.models import crossval
from imbalance_lab.strategies import resampling
from imbalance_lab.strategies.text_augment import Texts, augment_class
from imbalance_lab.task import Multiclass
from tests.helpers import make_texts


def corpus():
    frame = make_texts({"weather": 120, "sports": 40, "finance": 12})
    y = frame["label"].map({"weather": 0, "sports": 1, "finance": 2}).to_numpy()
    return frame["text"].tolist(), y


def test_same_seed_same_texts_other_seed_differs_and_every_text_differs_from_its_source():
    texts, _ = corpus()
    a, sources = augment_class(texts[:12], 50, ("dropout", "swap", "insert"), 0.2, np.random.default_rng(0))
    b, _ = augment_class(texts[:12], 50, ("dropout", "swap", "insert"), 0.2, np.random.default_rng(0))
    c, _ = augment_class(texts[:12], 50, ("dropout", "swap", "insert"), 0.2, np.random.default_rng(1))
    assert a == b and a != c and len(a) == 50
    assert all(new != texts[source] for new, source in zip(a, sources, strict=True))


@pytest.mark.parametrize("operation", ["dropout", "swap", "insert"])
def test_each_operation_does_what_it_says_with_words_of_the_class_only(operation):
    texts, _ = corpus()
    source_texts = texts[:12]
    vocabulary = {w for t in source_texts for w in t.split()}
    made, sources = augment_class(source_texts, 40, (operation,), 0.3, np.random.default_rng(0))
    for new, source in zip(made, sources, strict=True):
        new_words, old_words = new.split(), source_texts[source].split()
        assert set(new_words) <= vocabulary
        if operation == "dropout":
            assert len(new_words) < len(old_words) or len(new_words) == len(old_words) + 1  # last resort: insert
        elif operation == "swap":
            assert sorted(new_words) == sorted(old_words) or len(new_words) == len(old_words) + 1
        else:
            assert len(new_words) > len(old_words)


def test_resample_grows_classes_to_target_with_new_texts_embedded_by_the_fitted_pipeline():
    texts, y = corpus()
    fitted = embed_tfidf(texts, parse_section("embed", {"backend": "tfidf", "dim": 16})).fitted
    embedded: list[list[str]] = []

    def embed(new):
        embedded.append(list(new))
        return fitted.transform(new)

    X = np.asarray(fitted.transform(texts), dtype=np.float32)
    balance = parse_section("balance", {"method": "text_augment"})
    names = ["weather", "sports", "finance"]
    out = resampling.resample(X, y, balance, seed=3, class_names=names, texts=Texts(texts, embed))
    assert np.bincount(out.y).tolist() == [120, 120, 120]
    np.testing.assert_array_equal(out.X[: len(y)], X)
    assert len(embedded) == 1 and len(embedded[0]) == 80 + 108 and not set(embedded[0]) & set(texts)
    np.testing.assert_allclose(out.X[len(y) :], fitted.transform(embedded[0]), rtol=1e-6)
    # synthetic = a vector found nowhere among the input rows; tfidf ignores one-character words, so dropping
    # the row number "2" gives back its source's vector: such a row counts as a copy, not as synthetic
    assert 150 < out.synthetic.sum() <= 188 and not out.synthetic[: len(y)].any()
    again = resampling.resample(X, y, balance, seed=3, class_names=names, texts=Texts(texts, embed))
    assert embedded[1] == embedded[0] and np.array_equal(again.X, out.X)


def test_cross_validation_augments_each_training_fold_from_its_own_texts_only(monkeypatch):
    texts, y = corpus()
    fitted = embed_tfidf(texts, parse_section("embed", {"backend": "tfidf", "dim": 16})).fitted
    X = np.asarray(fitted.transform(texts), dtype=np.float32)
    sources_seen: list[set[str]] = []
    original = resampling.augment_class

    def recording(class_texts, *args):
        sources_seen.append(set(class_texts))
        return original(class_texts, *args)

    monkeypatch.setattr(resampling, "augment_class", recording)
    params = parse_params(
        {"balance": {"method": "text_augment"}, "cv": {"folds": 3}, "train": {"max_epochs": 2}, "split": {}}
    )
    names = ["weather", "sports", "finance"]
    result = crossval.cross_validate(X, y, names, params, task=Multiclass(), texts=Texts(texts, fitted.transform))
    held_out = [set(np.asarray(texts)[result.fold_of_row == fold]) for fold in range(3)]
    assert len(sources_seen) == 3 * 2  # two minority classes per fold
    for fold in range(3):
        for seen in sources_seen[2 * fold : 2 * fold + 2]:
            assert not seen & held_out[fold]


def test_text_augment_needs_texts_and_refuses_the_features_backend():
    with pytest.raises(ConfigError, match="text_augment makes new texts, but embed.backend is features"):
        parse_params({"balance": {"method": "text_augment"}, "embed": {"backend": "features"}})
    with pytest.raises(ConfigError, match="balance.augment_operations: expected a non-empty list of distinct"):
        parse_section("balance", {"augment_operations": ["synonym"]})
    X, y = np.eye(4, dtype=np.float32), np.array([0, 0, 0, 1])
    with pytest.raises(Exception, match="text_augment: needs the texts of the 4 rows"):
        resampling.resample(X, y, parse_section("balance", {"method": "text_augment"}), seed=0)
