"""train.encoder finetune: the sentence model trained end to end with a head, on a tiny BERT the tests build
(2 layers, 32 dims, a vocabulary of the test texts' words: nothing is downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_lab.config import parse_params, parse_section
from imbalance_lab.errors import ConfigError
from imbalance_lab.task import Multiclass
from tests.helpers import FILLER, TOPICS, make_text_project, make_texts, run, set_params

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory) -> Path:
    """A sentence-transformers folder: a random 2-layer BERT over the test texts' words, mean pooling."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("encoder")
    words = sorted({w for topic in TOPICS.values() for w in topic} | set(FILLER) | {str(d) for d in range(10)})
    vocab = folder / "hf" / "vocab.txt"
    vocab.parent.mkdir()
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(words) + 5, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    BertModel(config).save_pretrained(folder / "hf")
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(folder / "hf")
    modules = [Transformer(str(folder / "hf"), max_seq_length=32), Pooling(32, "mean")]
    SentenceTransformer(modules=modules).save(str(folder / "st"))
    return folder / "st"


def finetune_params(**train):
    return parse_section(
        "train",
        {"encoder": "finetune", "finetune_epochs": 1, "batch_size": 8, "lr": 0.01, "encoder_lr": 1.0e-3, **train},
    )


def texts_and_codes(n: int = 48):
    frame = make_texts({"weather": n // 2, "sports": n // 3, "finance": n - n // 2 - n // 3})
    names, codes = np.unique(frame["label"], return_inverse=True)
    return list(frame["text"]), codes.astype(np.int64), len(names)


def run_finetune(encoder: Path, params, texts, y, n_classes):
    from imbalance_lab.models.finetune import finetune_encoder

    return finetune_encoder(
        texts,
        y,
        texts[:12],
        y[:12],
        n_classes=n_classes,
        original_counts=np.bincount(y, minlength=n_classes),
        original_rows=len(y),
        params=params,
        model=str(encoder),
        max_seq_length=0,
        seed=0,
        task=Multiclass(),
    )


def test_finetune_is_refused_where_it_cannot_work():
    finetune = {"train": {"encoder": "finetune"}, "cv": {"folds": 0}}
    assert parse_params(finetune).threshold.fit_on == "val"
    usable = "near_miss, none, random_over, random_under, text_augment, tomek_links"
    with pytest.raises(ConfigError, match=f"smote makes new vectors.*use one of: {usable}"):
        parse_params({**finetune, "balance": {"method": "smote"}})
    assert parse_params({"train": {"encoder": "finetune"}}).cv.folds == 5  # allowed: each fold fine-tunes
    with pytest.raises(ConfigError, match="embed.backend is tfidf; set embed.backend: sentence-transformers"):
        parse_params({**finetune, "embed": {"backend": "tfidf"}})


def test_focal_with_gamma_0_is_cross_entropy_on_a_finetune_batch(tiny_encoder):
    from torch import nn

    from imbalance_lab.models.finetune import forward, load_encoder
    from imbalance_lab.models.training import training_loss

    texts, y, n_classes = texts_and_codes()
    encoder, _ = load_encoder(str(tiny_encoder), 0, torch.device("cpu"))
    head = nn.Linear(32, n_classes)
    with torch.no_grad():
        logits = forward(encoder, head, texts[:8], torch.device("cpu"))
    target = torch.from_numpy(y[:8])
    counts = np.bincount(y, minlength=n_classes)
    focal, _ = training_loss(finetune_params(loss="focal", focal_gamma=0.0), counts, len(y), Multiclass())
    plain, _ = training_loss(finetune_params(), counts, len(y), Multiclass())
    assert float(focal(logits, target)) == pytest.approx(float(nn.functional.cross_entropy(logits, target)), 1e-6)
    assert float(plain(logits, target)) == pytest.approx(float(focal(logits, target)), 1e-6)


def test_only_the_top_layers_train_with_finetune_layers_1(tiny_encoder):
    from imbalance_lab.models.finetune import load_encoder, transformer_layers

    texts, y, n_classes = texts_and_codes()
    before, _ = load_encoder(str(tiny_encoder), 0, torch.device("cpu"))
    trained = run_finetune(tiny_encoder, finetune_params(finetune_layers=1), texts, y, n_classes).encoder
    bottom, top = (
        (transformer_layers(m)[0] for m in (before, trained)),
        (transformer_layers(m)[1] for m in (before, trained)),
    )
    for a, b in zip(*(layer.state_dict().values() for layer in bottom), strict=True):
        assert torch.equal(a, b)
    embeddings = (m[0].auto_model.embeddings.word_embeddings.weight for m in (before, trained))
    assert torch.equal(*embeddings)
    assert any(not torch.equal(a, b) for a, b in zip(*(layer.state_dict().values() for layer in top), strict=True))


def test_the_saved_model_gives_the_in_memory_logits(tiny_encoder, tmp_path):
    from imbalance_lab.models.finetune import predict_logits
    from imbalance_lab.models.model_kinds import FINETUNED, load_for_new_rows
    from imbalance_lab.models.modelfile import save_tensors

    texts, y, n_classes = texts_and_codes()
    result = run_finetune(tiny_encoder, finetune_params(), texts, y, n_classes)
    embedding = {"embed_params": {"model": str(tiny_encoder), "max_seq_length": 0}}
    meta = {"kind": FINETUNED, "classes": ["a", "b", "c"], "member_seeds": [0], "embedding": embedding}
    meta["base_model"] = result.base_model
    save_tensors(tmp_path / "m.safetensors", {f"member0.{k}": v for k, v in result.state().items()}, meta)
    loaded = load_for_new_rows(tmp_path / "m.safetensors")
    assert loaded.kind == FINETUNED
    in_memory = predict_logits(result.encoder, result.head, texts, torch.device("cpu"))
    np.testing.assert_allclose(loaded.logits(loaded.inputs(pd.DataFrame({"text": texts}))), in_memory, atol=1e-5)


def test_finetune_end_to_end_and_score_reproduces_the_test_logits(tiny_encoder, tmp_path):
    """dvc repro with train.encoder finetune, text_augment and cv.folds 0 on a small CSV; score, given the test
    split's texts, gives the probabilities of the logits evaluate read; export's two lines give those logits."""
    project = make_text_project(tmp_path / "p")
    set_params(
        project,
        embed={"backend": "sentence-transformers", "model": str(tiny_encoder)},
        train={"encoder": "finetune", "finetune_epochs": 2, "batch_size": 16, "encoder_lr": 1.0e-3},
        cv={"folds": 0},
        balance={"method": "text_augment"},  # new texts: the encoder trains on them (data/balanced/texts.json)
    )
    out = run(["dvc", "repro", "-q"], project)
    assert "fine-tuned, best epoch" in out.stderr + out.stdout
    balanced = json.loads((project / "data/balanced/summary.json").read_text())
    trained_on = json.loads((project / "data/balanced/texts.json").read_text())
    assert len(trained_on) == balanced["train_rows_after"] > balanced["train_rows_before"]
    model_meta = json.loads((project / "models/train.json").read_text())
    assert model_meta["epochs_run"] <= 2
    logits = np.load(project / "models/logits.npz")
    texts = json.loads((project / "data/embeddings/texts.json").read_text())
    split = np.load(project / "data/split/indices.npz")
    classes = json.loads((project / "data/split/summary.json").read_text())["classes"]
    test = pd.DataFrame(
        {"text": [texts[i] for i in split["test"]], "label": [classes[c] for c in split["labels"][split["test"]]]}
    )
    test.to_csv(project / "test_rows.csv", index=False)
    run(["python", "-m", "commands.score", "--source", "test_rows.csv"], project)
    scored = pd.read_csv(project / "reports/score/predictions.csv")
    shifted = logits["test"] - logits["test"].max(1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True)
    np.testing.assert_allclose(scored[[f"p_{c}" for c in classes]].to_numpy(), expected, atol=1e-5)
    again = run(["dvc", "repro"], project)
    assert "didn't change" in again.stdout or "up to date" in again.stdout
    run(["python", "-m", "commands.export", "--out", "exported"], project)
    check_the_exported_folder(project / "exported", list(test["text"]), logits["test"], classes)


def check_the_exported_folder(folder: Path, texts: list[str], expected_logits, classes) -> None:
    """README.md's two lines, offline, give score's logits."""
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer

    assert "SentenceTransformer(" in (folder / "README.md").read_text()
    assert json.loads((folder / "classes.json").read_text()) == classes
    model, head = SentenceTransformer(str(folder), device="cpu"), load_file(f"{folder}/head.safetensors")
    logits = model.encode(texts) @ head["weight"].T + head["bias"]
    np.testing.assert_allclose(logits, expected_logits, atol=1e-5)


def test_export_refuses_a_frozen_encoders_model(tmp_path, monkeypatch):
    from commands.export import main, parse_args
    from imbalance_lab.errors import DataError
    from imbalance_lab.models.modelfile import save_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    save_model("models/model.safetensors", [[(np.eye(2, dtype=np.float32), np.zeros(2, np.float32))]], {"kind": "mlp"})
    with pytest.raises(DataError, match="an MLP on frozen embeddings, not a fine-tuned encoder"):
        main(parse_args(["--out", "x"]))
    assert not (tmp_path / "x").exists()


def test_cross_validation_fine_tunes_each_fold_on_its_own_rows(tiny_encoder):
    from sentence_transformers import SentenceTransformer

    from imbalance_lab.models.crossval import cross_validate
    from imbalance_lab.models.finetune import fold_logits

    texts, y, n_classes = texts_and_codes(60)
    X = SentenceTransformer(str(tiny_encoder), device="cpu").encode(texts)
    raw = {"cv": {"folds": 2}, "balance": {"method": "random_over"}, "embed": {"model": str(tiny_encoder)}}
    raw["train"] = {"encoder": "finetune", "finetune_epochs": 1, "batch_size": 8, "lr": 0.01}
    params = parse_params(raw)
    seen = []
    model = fold_logits(texts, y, params, str(tiny_encoder), 0)
    result = cross_validate(
        X, y, ["a", "b", "c"], params, task=Multiclass(), fold_logits=lambda fold: seen.append(fold) or model(fold)
    )
    assert len(seen) == 2 and (result.fold_of_row >= 0).all() and result.oof_logits.shape == (60, n_classes)
    for fold in seen:  # each fold's model trained on its resampled fitting rows, never on the rows it scores
        assert len(fold.balanced.y) > len(fold.fit) and not set(fold.held) & (set(fold.fit) | set(fold.stop))
    assert len(result.per_fold["macro_f1"]) == 2


def test_text_augment_hands_on_the_text_of_every_balanced_row():
    """What a fine-tuned encoder trains on: the input rows' texts, then the new texts (their vectors: the new rows)."""
    from imbalance_lab.strategies.resampling import resample
    from tests.test_resampling import blobs, word_texts

    X, y = blobs([40, 8], [(0, 0), (3, 0)])
    texts = word_texts(y, 2)
    result = resample(X, y, parse_section("balance", {"method": "text_augment"}), seed=0, texts=texts)
    assert len(result.texts) == len(result.y) == 80 and result.texts[:48] == tuple(texts.texts)
    np.testing.assert_array_equal(texts.embed(list(result.texts[48:])), result.X[48:])
    none = resample(X, y, parse_section("balance", {"method": "none"}), seed=0)
    assert none.texts is None


def test_a_balanced_row_that_is_no_training_row_is_refused(tmp_path, monkeypatch):
    from imbalance_lab.errors import DataError
    from imbalance_lab.models.finetune import training_texts

    monkeypatch.chdir(tmp_path)  # no data/balanced/texts.json here

    class Ws:
        split = type("S", (), {"train": np.array([5, 7])})()

        def part(self, name):
            return np.array([[0.0, 1.0], [1.0, 0.0]], np.float32), None

    texts = {5: "five", 7: "seven"}
    assert training_texts(Ws(), np.array([[1.0, 0.0], [1.0, 0.0]], np.float32), texts) == ["seven", "seven"]
    with pytest.raises(DataError, match="rows that are not training rows"):
        training_texts(Ws(), np.array([[0.5, 0.5]], np.float32), texts)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without a GPU")
def test_asking_for_a_gpu_where_there_is_none_is_refused_with_the_fix():
    from imbalance_lab.features.embedding import torch_device

    assert torch_device("auto", "train.device") == "cpu"
    with pytest.raises(ConfigError, match="embed.device: cuda, but torch sees no GPU here; use auto or cpu"):
        torch_device("cuda", "embed.device")
