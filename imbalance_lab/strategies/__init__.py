"""One registry per strategy axis (resampling, class weights, losses, samplers, threshold methods and their
objectives); each entry is a function plus its metadata (registry.Strategy). CONTRIBUTING.md: adding one."""

from imbalance_lab.errors import ConfigError
from imbalance_lab.models.model_kinds import MODEL_KINDS
from imbalance_lab.strategies import multilabel  # noqa: F401 (registers the multi-label implementations)
from imbalance_lab.strategies.class_weights import CLASS_WEIGHTS
from imbalance_lab.strategies.losses import LOSSES
from imbalance_lab.strategies.registry import Registry, Strategy
from imbalance_lab.strategies.resampling import NEEDS_TEXT, RESAMPLERS, SELECTS_ROWS
from imbalance_lab.strategies.samplers import SAMPLERS
from imbalance_lab.strategies.thresholds import BINARY, OBJECTIVES, THRESHOLD_METHODS
from imbalance_lab.task import MULTILABEL

REGISTRIES: tuple[Registry, ...] = (RESAMPLERS, CLASS_WEIGHTS, LOSSES, SAMPLERS, THRESHOLD_METHODS, OBJECTIVES)


def check_params(params) -> None:
    """The params' rules that come from the registries' traits (config checks types, ranges and its own fields):
    run once, where params are read (config.parse_params). The data's task is checked when the data is read
    (check_task)."""
    method, backend = params.balance.method, params.embed.backend
    traits = RESAMPLERS[method].traits
    if NEEDS_TEXT in traits and backend == "features":
        raise ConfigError(
            f"balance.method: {method} makes new texts, but embed.backend is features (numeric columns, no texts); "
            "use a text backend (sentence-transformers, tfidf) or another balance.method"
        )
    encoder = params.train.encoder
    if MODEL_KINDS[encoder].reads_texts:  # a model that trains on texts: training rows, or new texts
        if backend != "sentence-transformers":
            raise ConfigError(
                f"train.encoder: {encoder} trains the sentence model, and embed.backend is {backend}; "
                "set embed.backend: sentence-transformers, or train.encoder: frozen"
            )
        if not {SELECTS_ROWS, NEEDS_TEXT} & traits:
            usable = ", ".join(sorted(RESAMPLERS.having(SELECTS_ROWS) | RESAMPLERS.having(NEEDS_TEXT)))
            raise ConfigError(
                f"balance.method: {method} makes new vectors, which a fine-tuned encoder cannot read (it trains on "
                f"texts); with train.encoder {encoder} use one of: {usable}"
            )
    if params.threshold.metric == "qwk" and not params.data.ordinal:
        others = sorted(n for n, e in OBJECTIVES.items() if n != "qwk" and BINARY not in e.traits)
        raise ConfigError(
            "threshold.metric: qwk (quadratic weighted kappa) needs ordered classes; set data.ordinal: true "
            "(and data.label_order) or use one of: " + ", ".join(others)
        )


def check_task(params, task: str) -> None:
    """Refuse a configured strategy that the data's task (multiclass / multilabel) cannot use, naming those it can."""
    for registry in REGISTRIES:
        section, key = registry.param.split(".")
        registry.check_task(getattr(getattr(params, section), key), task)
    if task == MULTILABEL and (params.threshold.recall_floor or params.threshold.positive_class):
        raise ConfigError(
            "threshold.recall_floor and threshold.positive_class are about one class per row; on multi-label data "
            "every label gets its own threshold: leave them empty"
        )


def task_table(task: str) -> str:
    """The markdown table of every strategy a task can use, as README.md shows it (tests/test_registries.py)."""
    rows = ["| `-S` | name | what it does | params |", "|---|---|---|---|"]
    for registry in REGISTRIES:
        for name in registry.for_task(task):
            entry = registry[name]
            reads = ", ".join(f"`{key}`" for key in entry.reads)
            rows.append(f"| `{registry.param}` | `{name}` | {entry.task_summary.get(task, entry.summary)} | {reads} |")
    return "\n".join(rows)


__all__ = ["REGISTRIES", "Registry", "Strategy", "check_params", "check_task", "task_table"]
