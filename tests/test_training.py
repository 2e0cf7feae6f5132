"""train.schedule's learning-rate curve by epoch, and train.hidden_dims: [] as a linear head."""

import numpy as np
import pytest
import torch

from imbalance_lab.config import ConfigError, parse_section
from imbalance_lab.models.modelfile import load_model, member_logits, member_weights, save_model
from imbalance_lab.models.training import train_mlp
from imbalance_lab.task import Multiclass


def data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    X = (rng.normal(size=(n, 8)) + np.eye(3, 8)[y] * 2.0).astype(np.float32)
    return X, y.astype(np.int64)


def fit(**train):
    X, y = data()
    params = parse_section("train", {"max_epochs": 10, "patience": 100, "batch_size": 50, **train})
    counts = np.bincount(y[:240], minlength=3)
    return train_mlp(
        X[:240],
        y[:240],
        X[240:],
        y[240:],
        n_classes=3,
        original_counts=counts,
        params=params,
        seed=0,
        task=Multiclass(),
    )


def lr_by_epoch(result) -> list[float]:
    return [round(row["lr"], 8) for row in result.history]


def test_warmup_linear_rises_then_falls_to_zero_at_max_epochs():
    # 240 rows / batch 50 = 5 steps per epoch, 50 in all; warmup 0.2 = 10 steps. The logged lr is the one after
    # the epoch's last step: step s (1-based) has factor s/10 while warming, then (50 - s) / 40.
    lrs = lr_by_epoch(fit(schedule="warmup_linear", warmup_fraction=0.2, lr=1.0e-2))
    expected = [1.0e-2 * f for f in (0.6, 1.0, 35 / 40, 30 / 40, 25 / 40, 20 / 40, 15 / 40, 10 / 40, 5 / 40, 0.0)]
    assert lrs == pytest.approx(expected, abs=1e-9)


def test_constant_keeps_the_lr_and_plateau_halves_it_after_stalling():
    assert set(lr_by_epoch(fit(schedule="constant", lr=1.0e-2))) == {1.0e-2}
    plateau = lr_by_epoch(fit(schedule="plateau", lr=1.0e-2, lr_patience=0, max_epochs=20))
    assert plateau[0] == 1.0e-2 and min(plateau) < 1.0e-2
    assert all(later <= earlier for earlier, later in zip(plateau, plateau[1:], strict=False))


def test_an_unknown_schedule_is_refused_with_the_valid_ones():
    with pytest.raises(ConfigError, match="train.schedule: unknown value 'cosine'.*constant, plateau, warmup_linear"):
        parse_section("train", {"schedule": "cosine"})


def test_empty_hidden_dims_is_a_linear_head_that_learns_and_round_trips(tmp_path):
    result = fit(hidden_dims=[], lr=5.0e-2)
    layers = list(result.model)
    assert len(layers) == 1 and isinstance(layers[0], torch.nn.Linear) and layers[0].weight.shape == (3, 8)
    assert result.best_val_macro_f1 > 0.5
    X, _ = data()
    meta = {"input_dim": 8, "hidden_dims": [], "dropout": 0.2, "classes": ["a", "b", "c"]}
    save_model(tmp_path / "model.safetensors", [member_weights(result.model)], meta)
    members, loaded_meta = load_model(tmp_path / "model.safetensors")
    assert loaded_meta == meta
    np.testing.assert_array_equal(member_logits(members[0], X), member_logits(member_weights(result.model), X))


def test_the_numpy_forward_pass_is_torchs_in_eval_mode(tmp_path):
    result = fit(hidden_dims=[16, 8], dropout=0.5)
    X, _ = data()
    model = result.model.eval()  # dropout off, as at inference
    with torch.inference_mode():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(member_logits(member_weights(result.model), X), expected, rtol=1e-5, atol=1e-5)
    save_model(tmp_path / "model.safetensors", [member_weights(result.model)] * 2, {"classes": ["a", "b", "c"]})
    members, _ = load_model(tmp_path / "model.safetensors")
    assert len(members) == 2 and [w.shape for w, _ in members[1]] == [(16, 8), (8, 16), (3, 8)]
