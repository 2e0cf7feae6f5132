"""params.yaml -> typed, validated settings. The one place params are checked.

Every stage calls `load_params()`. An unknown key, a wrong type, a value out of range or an unknown strategy
name raises ConfigError with a one-line message naming the key and what it accepts.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from imbalance_lab.errors import ConfigError, unknown_choice

PARAMS_FILE = "params.yaml"
BUILTIN_DATASET = "datasets/trec6.yaml"
PACKAGED_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class DataParams:
    source: str = BUILTIN_DATASET
    text_column: str = "text"
    label_column: str = "label"
    feature_columns: tuple[str, ...] = ()  # features backend; empty = every column except the label
    drop_invalid: bool = True  # drop rows with empty text / missing label (logged), else fail
    label_order: tuple[str, ...] = ()  # explicit class order; empty = sorted label values
    ordinal: bool = False


@dataclass(frozen=True)
class EmbedParams:
    backend: str = "sentence-transformers"
    model: str = PACKAGED_MODEL
    batch_size: int = 64
    dim: int = 256  # tfidf: TruncatedSVD components
    max_features: int = 20000  # tfidf vocabulary size


@dataclass(frozen=True)
class SplitParams:
    test_size: float = 0.2
    val_size: float = 0.1
    dedupe: bool = False  # drop repeated texts before splitting, so none crosses splits


@dataclass(frozen=True)
class BalanceParams:
    method: str = "none"
    k_neighbors: int = 5
    sampling_strategy: Any = "auto"  # "auto", a float (binary), or {class: target count}
    mixup_alpha: float = 0.4


@dataclass(frozen=True)
class TrainParams:
    hidden_dims: tuple[int, ...] = (256,)
    dropout: float = 0.2
    lr: float = 1.0e-3
    weight_decay: float = 1.0e-4
    batch_size: int = 64
    max_epochs: int = 60
    patience: int = 8  # early stopping on validation macro-F1
    lr_factor: float = 0.5  # ReduceLROnPlateau
    lr_patience: int = 3
    grad_clip: float = 1.0
    class_weight: str = "none"
    cb_beta: float = 0.999
    loss: str = "cross_entropy"
    focal_gamma: float = 2.0
    la_tau: float = 1.0
    ldam_max_margin: float = 0.5
    ldam_scale: float = 30.0
    drw_epoch: int = 10
    sampler: str = "shuffle"
    ensemble_size: int = 1
    threads: int = 1  # torch CPU threads; 0 = every core (1: small MLP, parallel experiments)


@dataclass(frozen=True)
class CvParams:
    folds: int = 5


@dataclass(frozen=True)
class ThresholdParams:
    method: str = "per_class_bias"
    metric: str = "macro_f1"
    fit_on: str = "oof"  # out-of-fold train+val logits: many more minority rows than the validation split
    tau: float = 1.0  # posthoc_logit_adjustment strength
    regularization: float = 0.0  # shrinks fitted biases toward 0


@dataclass(frozen=True)
class ScoreParams:
    source: str = ""  # a new CSV / Parquet / JSONL for `python -m stages.score`; empty = not set
    prior_correction: bool = False  # also report posteriors re-weighted to the new file's class priors


@dataclass(frozen=True)
class Params:
    seed: int
    data: DataParams
    embed: EmbedParams
    split: SplitParams
    balance: BalanceParams
    train: TrainParams
    cv: CvParams
    threshold: ThresholdParams
    score: ScoreParams


SECTION_TYPES = {
    "data": DataParams,
    "embed": EmbedParams,
    "split": SplitParams,
    "balance": BalanceParams,
    "train": TrainParams,
    "cv": CvParams,
    "threshold": ThresholdParams,
    "score": ScoreParams,
}

OPTIONAL_STRINGS = {"score.source"}  # may be empty (= not set)
EMBED_BACKENDS = ("sentence-transformers", "tfidf", "features")
FIT_ON = ("val", "oof")


def _choices() -> dict[str, Any]:
    """Registries that define the valid strategy names (imported lazily: they pull in torch)."""
    from imbalance_lab import losses, resampling, samplers, thresholds, weights

    return {
        "embed.backend": EMBED_BACKENDS,
        "balance.method": resampling.RESAMPLERS,
        "train.class_weight": weights.CLASS_WEIGHTS,
        "train.loss": losses.LOSSES,
        "train.sampler": samplers.SAMPLERS,
        "threshold.method": thresholds.THRESHOLD_METHODS,
        "threshold.metric": thresholds.OBJECTIVES,
        "threshold.fit_on": FIT_ON,
    }


# name -> (low, high, closed) numeric ranges; closed=True is [low, high], False is (low, high); None = unbounded
_RANGES = {
    "embed.batch_size": (1, None, True),
    "embed.dim": (2, None, True),
    "embed.max_features": (2, None, True),
    "split.test_size": (0.0, 1.0, False),
    "split.val_size": (0.0, 1.0, False),
    "balance.k_neighbors": (1, None, True),
    "balance.mixup_alpha": (0.0, None, False),
    "train.dropout": (0.0, 1.0, True),
    "train.lr": (0.0, None, False),
    "train.weight_decay": (0.0, None, True),
    "train.batch_size": (1, None, True),
    "train.max_epochs": (1, None, True),
    "train.patience": (1, None, True),
    "train.lr_factor": (0.0, 1.0, False),
    "train.lr_patience": (0, None, True),
    "train.grad_clip": (0.0, None, True),
    "train.cb_beta": (0.0, 0.999999999, True),  # effective number needs beta < 1
    "train.focal_gamma": (0.0, None, True),
    "train.la_tau": (0.0, None, True),
    "train.ldam_max_margin": (0.0, None, False),
    "train.ldam_scale": (0.0, None, False),
    "train.drw_epoch": (0, None, True),
    "train.ensemble_size": (1, None, True),
    "train.threads": (0, None, True),
    "cv.folds": (2, None, True),
    "threshold.tau": (0.0, None, True),
    "threshold.regularization": (0.0, None, True),
}


def _closest(name: str, options, section: str = "") -> str:
    """The suggestion for an unknown key, spelled as the user writes it (`train.lr`, also in `-S`)."""
    prefix = f"{section}." if section else ""
    match = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    if match:
        return f"; did you mean '{prefix}{match[0]}'?"
    return f"; valid keys are: {', '.join(prefix + str(o) for o in options)}"


def _as_number(key: str, value: Any, kind: type) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str) and "e" in value.lower():
            hint = " (YAML 1.1 reads 1e-5 as text: write 1.0e-5)"
        raise ConfigError(f"{key}: expected {'an integer' if kind is int else 'a number'}, got {value!r}{hint}")
    if kind is int and not float(value).is_integer():
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    return int(value) if kind is int else float(value)


def _check_range(key: str, number: float, low: float, high: float | None, closed: bool) -> None:
    too_low = number < low if closed else number <= low
    too_high = high is not None and (number > high if closed else number >= high)
    if too_low or too_high:
        lower = f"[{low}" if closed else f"({low}"
        upper = "inf)" if high is None else (f"{high}]" if closed else f"{high})")
        raise ConfigError(f"{key}: {number!r} is out of range; allowed {lower}, {upper}")


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check one value against the type of its default."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        number = _as_number(key, value, type(default))
        if key in _RANGES:
            _check_range(key, number, *_RANGES[key])
        return number
    if isinstance(default, tuple):
        if value is None:
            value = []
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if key == "train.hidden_dims":
            if not value or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
                raise ConfigError(
                    f"{key}: expected a non-empty list of positive integers, e.g. [256, 128]; got {value!r}"
                )
            return tuple(value)
        return tuple(str(v) for v in value)
    if key in OPTIONAL_STRINGS and value is None:
        return ""
    if isinstance(default, str):
        if not isinstance(value, str) or (not value and key not in OPTIONAL_STRINGS):
            raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
        return value
    return value  # free-form (balance.sampling_strategy): checked where it is used


def _section(name: str, raw: Any, choices: dict[str, Any]):
    cls = SECTION_TYPES[name]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a mapping of keys, got {raw!r}")
    defaults = {f.name: f.default for f in fields(cls)}
    for key in raw:
        if key not in defaults:
            raise ConfigError(f"params.yaml: unknown key '{name}.{key}'{_closest(key, defaults, name)}")
    values = {}
    for key, default in defaults.items():
        full = f"{name}.{key}"
        value = _coerce(full, raw.get(key, default), default)
        if full in choices and value not in choices[full]:
            raise unknown_choice(full, value, choices[full])
        values[key] = value
    return cls(**values)


def parse_params(raw: Any) -> Params:
    """Validate a params mapping (as read from params.yaml) into typed Params."""
    if not isinstance(raw, dict):
        raise ConfigError("params.yaml: expected a mapping with 'seed' and the sections " + ", ".join(SECTION_TYPES))
    allowed = ["seed", *SECTION_TYPES]
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"params.yaml: unknown key '{key}'{_closest(str(key), allowed)}")
    seed = _as_number("seed", raw.get("seed", 0), int)
    if seed < 0:
        raise ConfigError(f"seed: expected a non-negative integer, got {seed}")
    choices = _choices()
    sections = {name: _section(name, raw.get(name), choices) for name in SECTION_TYPES}
    split = sections["split"]
    if split.test_size + split.val_size >= 1:
        raise ConfigError(
            f"split.test_size + split.val_size must be below 1 (got {split.test_size} + {split.val_size}); "
            "the rest is the training split"
        )
    if sections["threshold"].metric == "qwk" and not sections["data"].ordinal:
        raise ConfigError(
            "threshold.metric: qwk (quadratic weighted kappa) needs ordered classes; set data.ordinal: true "
            "(and data.label_order) or use one of: " + ", ".join(sorted(set(choices["threshold.metric"]) - {"qwk"}))
        )
    return Params(seed=seed, **sections)


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: not found; run from the project root (where params.yaml is)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse_params(raw)
