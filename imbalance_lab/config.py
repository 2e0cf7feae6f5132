"""params.yaml -> typed, validated settings. The one place params are checked.

Every stage calls `load_params()`. An unknown key, a wrong type, a value out of range or an unknown strategy
name raises ConfigError with a one-line message naming the key and what it accepts.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from imbalance_lab.errors import ConfigError, unknown_choice

PARAMS_FILE = "params.yaml"
BUILTIN_DATASET = "datasets/trec6.yaml"
PACKAGED_MODEL = "all-MiniLM-L6-v2"


def bounded(default, low: float, high: float | None = None, *, closed: bool = True):
    """A numeric field with its allowed range beside it: closed [low, high] or open (low, high); None = no top."""
    return field(default=default, metadata={"range": (low, high, closed)})


def parsed(default, parse: Callable[[str, Any], Any]):
    """A field whose value is checked and normalised by parse(full_key, raw_value)."""
    if isinstance(default, dict):  # a mutable default needs a factory
        return field(default_factory=lambda: dict(default), metadata={"parse": parse})
    return field(default=default, metadata={"parse": parse})


def choice(default: str, choices: Callable[[], Any]):
    """A field whose value must be a name in choices() (a strategy registry, imported when first needed)."""
    return field(default=default, metadata={"choices": choices})


def _neighbour_searches() -> tuple[str, ...]:
    from imbalance_lab.strategies.neighbours import SEARCHES

    return SEARCHES


def _registry(param: str) -> Callable[[], Any]:
    def registry():
        from imbalance_lab.strategies import REGISTRIES

        return next(r for r in REGISTRIES if r.param == param)

    return registry


def _model_kinds():
    from imbalance_lab.models.model_kinds import MODEL_KINDS

    return MODEL_KINDS


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _layer_widths(key: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) and v > 0 for v in value):
        raise ConfigError(
            f"{key}: expected a list of positive integers, e.g. [256, 128], or [] for a linear head; got {value!r}"
        )
    return tuple(value)


def _augment_operations(key: str, value: Any) -> tuple[str, ...]:
    from imbalance_lab.strategies.text_augment import OPERATIONS

    names = tuple(value) if isinstance(value, (list, tuple)) else ()
    if not names or any(n not in OPERATIONS for n in names) or len(set(names)) != len(names):
        raise ConfigError(
            f"{key}: expected a non-empty list of distinct operations from {list(OPERATIONS)}; got {value!r}"
        )
    return names


def _distinct_names(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) and value is not None:
        raise ConfigError(f"{key}: expected a list of class names, got {value!r}")
    names = tuple(str(v) for v in (value or ()))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{key}: {', '.join(map(repr, repeated))} listed more than once; list each class once")
    return names


def parse_sampling_strategy(key: str, value: Any) -> Any:
    """'auto', a minority/majority ratio in (0, 1] (binary data), or {class name: target count >= 1}."""
    if value == "auto":
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 < value <= 1:
            raise ConfigError(f"{key}: ratio {value!r} is out of range; allowed (0.0, 1.0] (minority / majority)")
        return float(value)  # YAML `1` means the ratio 1.0
    if isinstance(value, dict) and value:
        for name, target in value.items():
            if not _is_int(target) or target < 1:
                raise ConfigError(f"{key}: target for class '{name}' must be an integer >= 1, got {target!r}")
        return {str(name): int(target) for name, target in value.items()}  # class names are text (`1:` = '1')
    raise ConfigError(f"{key}: got {value!r}; use auto, a ratio like 0.5 (binary data) or {{class: target count}}")


def parse_regularization(key: str, value: Any) -> Any:
    """'auto' (chosen by cross-fitting on the fitting rows) or a fixed shrinkage >= 0."""
    if value == "auto":
        return value
    number = _as_number(key, value, float) if not isinstance(value, str) else None
    if number is None or number < 0:
        raise ConfigError(f"{key}: expected auto or a number >= 0, got {value!r}")
    return number


def parse_recall_floors(key: str, value: Any) -> dict:
    """{class name: minimum recall in (0, 1]}; {} = none."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping {{class: minimum recall}}, e.g. {{fraud: 0.9}}; got {value!r}")
    floors = {}
    for name, floor in value.items():
        if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 < floor <= 1:
            raise ConfigError(f"{key}: the floor for class '{name}' must be a recall in (0, 1], got {floor!r}")
        floors[str(name)] = float(floor)
    return floors


@dataclass(frozen=True)
class DataParams:
    source: str = BUILTIN_DATASET
    text_column: str = "text"
    label_column: str = "label"
    feature_columns: tuple[str, ...] = ()  # features backend; empty = every column except the label
    drop_invalid: bool = True  # drop rows with empty text / missing label (logged), else fail
    label_order: tuple[str, ...] = parsed((), lambda key, value: _distinct_names(key, value))  # [] = sorted labels
    ordinal: bool = False
    task: str = choice("auto", lambda: TASK_CHOICES)  # auto: multilabel for label_columns or a multi-label manifest
    label_separator: str = "|"  # multilabel: labels of one row in data.label_column, e.g. "earn|acq"
    label_columns: tuple[str, ...] = parsed((), lambda key, value: _distinct_names(key, value))  # multilabel: 0/1


@dataclass(frozen=True)
class EmbedParams:
    backend: str = choice("sentence-transformers", lambda: EMBED_BACKENDS)
    model: str = PACKAGED_MODEL
    batch_size: int = bounded(64, 1)
    dim: int = bounded(256, 2)  # tfidf: TruncatedSVD components
    max_features: int = bounded(20000, 2)  # tfidf vocabulary size
    max_seq_length: int = bounded(0, 0)  # sentence-transformers: tokens read per text (0 = the model's own limit)
    scale: str = choice("standard", lambda: FEATURE_SCALINGS)  # features backend: z-score columns on training rows
    # sentence-transformers: cpu by default, the same vectors on every machine (the embedding cache, score and the
    # model file's fingerprint compare them); auto takes a GPU when torch sees one, cuda insists on one
    device: str = choice("cpu", lambda: DEVICES)


@dataclass(frozen=True)
class SplitParams:
    test_size: float = bounded(0.2, 0.0, 1.0, closed=False)
    val_size: float = bounded(0.1, 0.0, 1.0, closed=False)
    dedupe: bool = False  # drop repeated texts before splitting, so none crosses splits
    min_class_count: int = bounded(0, 0)  # classes with fewer rows: rare_class_action (0 = keep all)
    rare_class_action: str = choice("drop", lambda: RARE_CLASS_ACTIONS)


@dataclass(frozen=True)
class BalanceParams:
    method: str = choice("none", _registry("balance.method"))
    k_neighbors: int = bounded(5, 1)
    neighbors: str = choice("exact", _neighbour_searches)  # exact | approximate (strategies/neighbours.py)
    svm_kernel: str = choice("linear", lambda: ("linear", "rbf"))  # svm_smote's SVM; rbf: libsvm, slow past 10k rows
    cluster_kmeans: str = choice("minibatch", lambda: ("minibatch", "full"))  # cluster_centroids' k-means
    sampling_strategy: Any = parsed("auto", parse_sampling_strategy)
    mixup_alpha: float = bounded(0.4, 0.0, closed=False)
    augment_operations: tuple[str, ...] = parsed(("dropout", "swap", "insert"), _augment_operations)
    augment_rate: float = bounded(0.1, 0.0, 1.0, closed=False)  # text_augment: share of a text's words changed


@dataclass(frozen=True)
class TrainParams:
    hidden_dims: tuple[int, ...] = parsed((256,), _layer_widths)  # [] = linear head (multinomial logistic)
    dropout: float = bounded(0.2, 0.0, 1.0)
    lr: float = bounded(1.0e-3, 0.0, closed=False)
    weight_decay: float = bounded(1.0e-4, 0.0)
    batch_size: int = bounded(64, 1)
    max_epochs: int = bounded(60, 1)
    patience: int = bounded(8, 1)  # early stopping on validation macro-F1
    schedule: str = choice("plateau", lambda: LR_SCHEDULES)
    warmup_fraction: float = bounded(0.1, 0.0, 1.0, closed=False)  # warmup_linear: share of all steps warming up
    lr_factor: float = bounded(0.5, 0.0, 1.0, closed=False)  # ReduceLROnPlateau
    lr_patience: int = bounded(3, 0)
    grad_clip: float = bounded(1.0, 0.0)
    class_weight: str = choice("none", _registry("train.class_weight"))
    cb_beta: float = bounded(0.999, 0.0, 0.999999999)  # effective number needs beta < 1
    loss: str = choice("cross_entropy", _registry("train.loss"))
    focal_gamma: float = bounded(2.0, 0.0)
    asl_gamma_pos: float = bounded(0.0, 0.0)  # asymmetric (multilabel): focusing of positive labels
    asl_gamma_neg: float = bounded(4.0, 0.0)  # ... of negative labels
    asl_clip: float = bounded(0.05, 0.0, 0.99)  # ... probability margin that discards easy negatives
    la_tau: float = bounded(1.0, 0.0)
    ldam_max_margin: float = bounded(0.5, 0.0, closed=False)
    ldam_scale: float = bounded(30.0, 0.0, closed=False)
    drw_epoch: int = bounded(10, 0)
    sampler: str = choice("shuffle", _registry("train.sampler"))
    ensemble_size: int = bounded(1, 1)
    threads: int = bounded(1, 0)  # torch CPU threads; 0 = every core (1: small MLP, parallel experiments)
    encoder: str = choice("frozen", _model_kinds)  # a model kind (models/model_kinds.py): frozen, finetune
    encoder_lr: float = bounded(5.0e-5, 0.0, closed=False)  # finetune: the encoder's learning rate (the head: lr)
    finetune_layers: int = bounded(0, 0)  # finetune: 0 = every transformer layer trains; N = only the top N
    finetune_epochs: int = bounded(3, 1)  # finetune: epochs (max_epochs is the frozen encoder's head's)
    device: str = choice("auto", lambda: DEVICES)  # auto: a GPU when torch sees one (embed and train)


@dataclass(frozen=True)
class CvParams:
    folds: int = bounded(5, 0)  # 0: no cross-validation (thresholds fit on the validation split); never 1


@dataclass(frozen=True)
class ThresholdParams:
    method: str = choice("per_class_bias", _registry("threshold.method"))
    metric: str = choice("macro_f1", _registry("threshold.metric"))
    fit_on: str = choice(
        "oof", lambda: FIT_ON
    )  # out-of-fold train+val logits: many more minority rows than the validation split
    tau: float = bounded(1.0, 0.0)  # posthoc_logit_adjustment strength
    regularization: Any = parsed("auto", parse_regularization)  # shrinkage toward 0: auto = cross-fitted choice
    positive_class: str = ""  # binary: the class a threshold is set for ("" = the smaller training class)
    target: float = bounded(0.9, 0.0, 1.0, closed=False)  # recall_at_precision / precision_at_recall
    recall_floor: dict = parsed({}, parse_recall_floors)  # {class: minimum recall} the fit must keep


@dataclass(frozen=True)
class ScoreParams:
    source: str = ""  # a new CSV / Parquet / JSONL for `python -m commands.score`; empty = not set
    prior_correction: bool = False  # also report posteriors re-weighted to the new file's class priors


@dataclass(frozen=True)
class CompareParams:
    rope: float = bounded(0.01, 0.0)  # region of practical equivalence, in units of the primary metric
    decision_probability: float = bounded(0.95, 0.5, 1.0, closed=False)  # a verdict needs this posterior mass


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
    compare: CompareParams


SECTION_TYPES = {
    "data": DataParams,
    "embed": EmbedParams,
    "split": SplitParams,
    "balance": BalanceParams,
    "train": TrainParams,
    "cv": CvParams,
    "threshold": ThresholdParams,
    "score": ScoreParams,
    "compare": CompareParams,
}
COMMAND_SECTIONS = ("score", "compare")  # read by commands, by no stage: never part of a strategy

OPTIONAL_STRINGS = {"score.source", "threshold.positive_class"}  # may be empty (= not set)
EMBED_BACKENDS = ("sentence-transformers", "tfidf", "features")
FEATURE_SCALINGS = ("standard", "none")
RARE_CLASS_ACTIONS = ("drop", "merge_into_other")
# plateau: ReduceLROnPlateau on val macro-F1; warmup_linear: linear warmup then linear decay to 0 at max_epochs
LR_SCHEDULES = ("plateau", "warmup_linear", "constant")
FIT_ON = ("val", "oof")
FROZEN, FINETUNE = "frozen", "finetune"  # train.encoder: the built-in model kinds (models/model_kinds.py)
DEVICES = ("auto", "cpu", "cuda")
TASK_CHOICES = ("auto", "multiclass", "multilabel")


# keys other write-ups (or the issues) use for a param this project has under another name
SEE_INSTEAD = {"data.min_label_count": "split.min_class_count (on multi-label data it counts a label's positive rows)"}


def _closest(name: str, options, section: str = "") -> str:
    """The suggestion for an unknown key, spelled as the user writes it (`train.lr`, also in `-S`)."""
    prefix = f"{section}." if section else ""
    if f"{prefix}{name}" in SEE_INSTEAD:
        return f"; use {SEE_INSTEAD[prefix + name]}"
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


def _default(spec) -> Any:
    return spec.default if spec.default is not MISSING else spec.default_factory()


def _coerce(key: str, value: Any, spec) -> Any:
    """Check one value against its field: a parse function, a range, a choice, or the type of its default."""
    default = _default(spec)
    if "parse" in spec.metadata:
        return spec.metadata["parse"](key, value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        number = _as_number(key, value, type(default))
        if "range" in spec.metadata:
            _check_range(key, number, *spec.metadata["range"])
        return number
    if isinstance(default, tuple):
        if value is None:
            value = []
        if not isinstance(value, (list, tuple)):  # a tuple is the default of a section left out
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return tuple(str(v) for v in value)
    if key in OPTIONAL_STRINGS and value is None:
        return ""
    if not isinstance(value, str) or (not value and key not in OPTIONAL_STRINGS):
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    if "choices" in spec.metadata and value not in spec.metadata["choices"]():
        raise unknown_choice(key, value, spec.metadata["choices"]())
    return value


def choices_of(key: str):
    """The valid values of a choice field ('balance.method' -> its registry)."""
    section, name = key.split(".", 1)
    return next(f for f in fields(SECTION_TYPES[section]) if f.name == name).metadata["choices"]()


def parse_section(name: str, raw: Any):
    """One section of params.yaml (a mapping, or None for all defaults) -> its typed, validated dataclass."""
    cls = SECTION_TYPES[name]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a mapping of keys, got {raw!r}")
    specs = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in specs:
            raise ConfigError(f"params.yaml: unknown key '{name}.{key}'{_closest(key, specs, name)}")
    values = {key: _coerce(f"{name}.{key}", raw.get(key, _default(spec)), spec) for key, spec in specs.items()}
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
    sections = {name: parse_section(name, raw.get(name)) for name in SECTION_TYPES}
    split = sections["split"]
    if split.test_size + split.val_size >= 1:
        raise ConfigError(
            f"split.test_size + split.val_size must be below 1 (got {split.test_size} + {split.val_size}); "
            "the rest is the training split"
        )
    sections["threshold"] = _check_folds(sections, raw)
    data = sections["data"]
    if data.label_columns and data.task == "multiclass":
        raise ConfigError(
            "data.label_columns lists 0/1 label columns (multi-label data) but data.task is multiclass; "
            "set data.task: multilabel (or auto), or empty data.label_columns"
        )
    if data.ordinal and (data.label_columns or data.task == "multilabel"):
        raise ConfigError("data.ordinal: ordered classes need one label per row; set it false for multi-label data")
    params = Params(seed=seed, **sections)
    from imbalance_lab.strategies import check_params  # the registries' rules: the one place config defers to them

    check_params(params)
    return params


def _check_folds(sections: dict, raw: dict) -> ThresholdParams:
    """cv.folds 0 has no out-of-fold logits: thresholds fit on val, and asking for oof is refused with the fix."""
    folds, threshold = sections["cv"].folds, sections["threshold"]
    if folds == 1:
        raise ConfigError("cv.folds: 1 fold leaves no rows out; use 0 (no cross-validation) or 2 or more")
    if folds > 0 or threshold.fit_on == "val":
        return threshold
    if "fit_on" in (raw.get("threshold") or {}):
        raise ConfigError(
            "threshold.fit_on: oof needs out-of-fold logits, and cv.folds 0 computes none; set threshold.fit_on: "
            "val, or cv.folds: 5"
        )
    return replace(threshold, fit_on="val")  # the default (oof) has nothing to fit on


def set_dotted(raw: dict, key: str, value: Any) -> None:
    """raw["train"]["lr"] = value for key "train.lr", adding a section params.yaml leaves out (or empty);
    an unknown key is for parse_params to name."""
    node = raw
    *path, leaf = key.split(".")
    for i, part in enumerate(path):
        if node.get(part) is None:
            node[part] = {}
        if not isinstance(node[part], dict):
            raise ConfigError(f"{key}: {'.'.join(path[: i + 1])} is a value, not a params section")
        node = node[part]
    node[leaf] = value


def resolve_flat(flat: dict) -> dict:
    """Dotted params as `dvc exp show` lists them (only what params.yaml holds) -> every param, defaults filled
    in, dotted ("train.lr"). So two runs of the same settings look alike whether a default was written or not.
    Raises ConfigError when they do not validate."""
    raw: dict = {}
    for key, value in flat.items():
        set_dotted(raw, key, value)
    params = parse_params(raw)
    out: dict = {"seed": params.seed}
    for name, cls in SECTION_TYPES.items():
        out.update({f"{name}.{f.name}": getattr(getattr(params, name), f.name) for f in fields(cls)})
    return out


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: not found; run from the project root (where params.yaml is)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse_params(raw)
