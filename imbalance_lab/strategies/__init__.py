"""One registry per strategy axis (resampling, class weights, losses, samplers, threshold methods and their
objectives); each entry is a function plus its metadata (registry.Strategy). CONTRIBUTING.md: adding one."""

from imbalance_lab.errors import ConfigError
from imbalance_lab.strategies import multilabel  # noqa: F401 (registers the multi-label implementations)
from imbalance_lab.strategies.class_weights import CLASS_WEIGHTS
from imbalance_lab.strategies.losses import LOSSES
from imbalance_lab.strategies.registry import MULTILABEL, Registry, Strategy
from imbalance_lab.strategies.resampling import RESAMPLERS
from imbalance_lab.strategies.samplers import SAMPLERS
from imbalance_lab.strategies.thresholds import OBJECTIVES, THRESHOLD_METHODS

REGISTRIES: tuple[Registry, ...] = (RESAMPLERS, CLASS_WEIGHTS, LOSSES, SAMPLERS, THRESHOLD_METHODS, OBJECTIVES)


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


__all__ = ["REGISTRIES", "Registry", "Strategy", "check_task", "task_table"]
