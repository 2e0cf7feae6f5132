"""Every metric the project writes, registered once with its direction and the tasks whose reports hold it.

Anything that needs to know whether lower is better (the leaderboard's verdicts and arrows, the
recommendation's trade-offs) asks here; a test fails when a report holds a number that is not registered, so a
new metric cannot be ranked backwards by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from imbalance_lab.errors import unknown_choice
from imbalance_lab.task import MULTICLASS, MULTILABEL

HIGHER, LOWER = "higher", "lower"
ORDINAL = "ordinal"  # the ordinal property of multiclass data, as a metric's task
BOTH = (MULTICLASS, MULTILABEL)


@dataclass(frozen=True)
class Metric:
    name: str
    direction: str  # HIGHER or LOWER is better
    tasks: tuple[str, ...]
    summary: str
    # a trade-off's region of practical equivalence when the leaderboard compares it beside the primary metric:
    # a number, or "one test row" (1 / the test rows of the class it is about, known per data set); None: not
    # compared as a trade-off
    trade_off_rope: float | str | None = None
    headline: bool = False  # for its tasks: in metrics/<stage>.json (a `dvc exp show` column) and the leaderboard
    ci: bool = False  # for its tasks: the test report gives it a bootstrap 95% interval
    per_fold: tuple[str, ...] = ()  # the tasks whose cross-validation reports it fold by fold
    objective: bool = False  # a threshold objective of multiclass thresholds (threshold.metric), from one confusion
    per_class: bool = False  # one number per class (label) under per_class, never a flat report number

    @property
    def lower_is_better(self) -> bool:
        return self.direction == LOWER


ONE_TEST_ROW = "one test row"

# The order is the order of every list derived below (the leaderboard's columns, the objectives' listing).
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "macro_f1",
            HIGHER,
            BOTH,
            "mean F1 over classes (labels)",
            headline=True,
            ci=True,
            per_fold=BOTH,
            objective=True,
        ),
        Metric(
            "balanced_accuracy",
            HIGHER,
            (MULTICLASS,),
            "mean recall over classes",
            headline=True,
            ci=True,
            per_fold=(MULTICLASS,),
            objective=True,
        ),
        Metric(
            "mcc",
            HIGHER,
            (MULTICLASS,),
            "Matthews correlation coefficient",
            headline=True,
            ci=True,
            per_fold=(MULTICLASS,),
            objective=True,
        ),
        Metric(
            "micro_f1",
            HIGHER,
            (MULTILABEL,),
            "F1 over every (row, label) decision",
            headline=True,
            ci=True,
            per_fold=(MULTILABEL,),
        ),
        Metric(
            "rare_label_recall",
            HIGHER,
            (MULTILABEL,),
            "recall pooled over the rarest quarter of labels",
            trade_off_rope=0.02,
            headline=True,
            per_fold=(MULTILABEL,),
        ),
        Metric(
            "minority_recall",
            HIGHER,
            BOTH,
            "recall of the class (label) with the fewest test rows",
            trade_off_rope=ONE_TEST_ROW,
            headline=True,
            per_fold=(MULTICLASS,),
        ),
        Metric(
            "pr_auc_macro",
            HIGHER,
            BOTH,
            "average precision (PR-AUC), mean over classes (labels)",
            headline=True,
        ),
        Metric("ece", LOWER, BOTH, "expected calibration error (10 bins)", trade_off_rope=0.01, headline=True),
        Metric(
            "qwk",
            HIGHER,
            (ORDINAL,),
            "quadratic weighted kappa (ordered classes)",
            headline=True,
            per_fold=(ORDINAL,),
            objective=True,
        ),
        Metric(
            "mae_class",
            LOWER,
            (ORDINAL,),
            "mean absolute error in class steps (ordered classes)",
            headline=True,
            per_fold=(ORDINAL,),
        ),
        Metric("accuracy", HIGHER, (MULTICLASS,), "share of test rows predicted right"),
        Metric("weighted_f1", HIGHER, BOTH, "F1 averaged with each class's (label's) test rows as weight"),
        Metric("g_mean", HIGHER, (MULTICLASS,), "geometric mean of the classes' recalls"),
        Metric("roc_auc_macro", HIGHER, (MULTICLASS,), "one-vs-rest ROC-AUC, mean over classes"),
        Metric("brier", LOWER, (MULTICLASS,), "Brier score of the predicted probabilities"),
        Metric("log_loss", LOWER, (MULTICLASS,), "cross-entropy of the predicted probabilities"),
        Metric("samples_f1", HIGHER, (MULTILABEL,), "F1 per row, averaged over rows"),
        Metric("hamming_loss", LOWER, (MULTILABEL,), "share of (row, label) decisions that are wrong"),
        Metric("subset_accuracy", HIGHER, (MULTILABEL,), "share of rows whose whole label set is right"),
        Metric("lrap", HIGHER, (MULTILABEL,), "label ranking average precision"),
        # per class (label) under per_class, and a binary decision at a target (threshold.metric
        # recall_at_precision / precision_at_recall)
        Metric(
            "precision",
            HIGHER,
            BOTH,
            "a class's (label's) precision; binary: the positive class's at the threshold",
            per_class=True,
        ),
        Metric(
            "recall",
            HIGHER,
            BOTH,
            "a class's (label's) recall; binary: the positive class's at the threshold",
            per_class=True,
        ),
        Metric("f1", HIGHER, BOTH, "a class's (label's) F1", per_class=True),
        Metric("average_precision", HIGHER, (MULTILABEL,), "a label's average precision (PR-AUC)", per_class=True),
    )
}


def metric_names(role: str, task: str, *, ordinal: bool = False) -> tuple[str, ...]:
    """The metrics with ``role`` ("headline", "ci" or "per_fold") for ``task`` (MULTICLASS or MULTILABEL), in
    registry order; ordered classes (``ordinal``) add the ordinal ones."""
    tasks = {task, ORDINAL} if ordinal else {task}
    if role == "per_fold":
        return tuple(name for name, m in METRICS.items() if tasks & set(m.per_fold))
    if role not in ("headline", "ci"):
        raise ValueError(f"unknown metric role {role!r}")
    return tuple(name for name, m in METRICS.items() if getattr(m, role) and tasks & set(m.tasks))


#: every metric a metrics file may list (each report lists its task's): `dvc exp show`'s metric columns
SHOWN = tuple(name for name, m in METRICS.items() if m.headline)
#: the flat numbers of a report (per-class numbers live under per_class)
REPORT_NUMBERS = tuple(name for name, m in METRICS.items() if not m.per_class)
#: multiclass threshold objectives, each scored from one confusion matrix
OBJECTIVE_METRICS = tuple(name for name, m in METRICS.items() if m.objective)


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise unknown_choice("metric", name, METRICS) from None


def lower_is_better(name: str) -> bool:
    """True for a registered lower-is-better metric (a per-class key, "per_class.ABBR.recall", by its last part);
    an unregistered name raises (never ranked by guess)."""
    return metric(name.rsplit(".", 1)[-1] if name.startswith("per_class.") else name).lower_is_better


LOWER_IS_BETTER = frozenset(name for name, m in METRICS.items() if m.lower_is_better)
