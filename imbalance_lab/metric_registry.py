"""Every metric the project writes, registered once with its direction and the tasks whose reports hold it.

Anything that needs to know whether lower is better (the leaderboard's verdicts and arrows, the
recommendation's trade-offs) asks here; a test fails when a report holds a number that is not registered, so a
new metric cannot be ranked backwards by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from imbalance_lab.errors import unknown_choice

HIGHER, LOWER = "higher", "lower"
# task names as strategies/registry.py spells them (kept here as strings: this module imports nothing of ours
# but errors, so the statistics can use it without loading the strategy layer)
MULTICLASS, MULTILABEL, ORDINAL = "multiclass", "multilabel", "ordinal"
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

    @property
    def lower_is_better(self) -> bool:
        return self.direction == LOWER


ONE_TEST_ROW = "one test row"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", HIGHER, (MULTICLASS,), "share of test rows predicted right"),
        Metric("balanced_accuracy", HIGHER, (MULTICLASS,), "mean recall over classes"),
        Metric("macro_f1", HIGHER, BOTH, "mean F1 over classes (labels)"),
        Metric("weighted_f1", HIGHER, BOTH, "F1 averaged with each class's (label's) test rows as weight"),
        Metric("mcc", HIGHER, (MULTICLASS,), "Matthews correlation coefficient"),
        Metric("g_mean", HIGHER, (MULTICLASS,), "geometric mean of the classes' recalls"),
        Metric(
            "minority_recall",
            HIGHER,
            BOTH,
            "recall of the class (label) with the fewest test rows",
            trade_off_rope=ONE_TEST_ROW,
        ),
        Metric("roc_auc_macro", HIGHER, (MULTICLASS,), "one-vs-rest ROC-AUC, mean over classes"),
        Metric("pr_auc_macro", HIGHER, BOTH, "average precision (PR-AUC), mean over classes (labels)"),
        Metric("brier", LOWER, (MULTICLASS,), "Brier score of the predicted probabilities"),
        Metric("log_loss", LOWER, (MULTICLASS,), "cross-entropy of the predicted probabilities"),
        Metric("ece", LOWER, BOTH, "expected calibration error (10 bins)", trade_off_rope=0.01),
        Metric("qwk", HIGHER, (ORDINAL,), "quadratic weighted kappa (ordered classes)"),
        Metric("mae_class", LOWER, (ORDINAL,), "mean absolute error in class steps (ordered classes)"),
        Metric("micro_f1", HIGHER, (MULTILABEL,), "F1 over every (row, label) decision"),
        Metric("samples_f1", HIGHER, (MULTILABEL,), "F1 per row, averaged over rows"),
        Metric("hamming_loss", LOWER, (MULTILABEL,), "share of (row, label) decisions that are wrong"),
        Metric("subset_accuracy", HIGHER, (MULTILABEL,), "share of rows whose whole label set is right"),
        Metric(
            "rare_label_recall",
            HIGHER,
            (MULTILABEL,),
            "recall pooled over the rarest quarter of labels",
            trade_off_rope=0.02,
        ),
        Metric("lrap", HIGHER, (MULTILABEL,), "label ranking average precision"),
        # per class (label) under per_class, and a binary decision at a target (threshold.metric
        # recall_at_precision / precision_at_recall)
        Metric(
            "precision", HIGHER, BOTH, "a class's (label's) precision; binary: the positive class's at the threshold"
        ),
        Metric("recall", HIGHER, BOTH, "a class's (label's) recall; binary: the positive class's at the threshold"),
        Metric("f1", HIGHER, BOTH, "a class's (label's) F1"),
        Metric("average_precision", HIGHER, (MULTILABEL,), "a label's average precision (PR-AUC)"),
    )
}


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
