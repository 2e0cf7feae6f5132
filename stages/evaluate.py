"""Stage evaluate: the trained model's test logits (models/logits.npz) against the test labels, at the test
split's natural class distribution."""

from imbalance_lab import paths
from imbalance_lab.artifacts import write_metrics
from imbalance_lab.config import load_params
from imbalance_lab.predictions import load_split_logits
from imbalance_lab.reporting import label_test_report, shown, test_report, write_label_plots, write_test_plots
from imbalance_lab.stage import log, run_stage
from imbalance_lab.strategies.registry import MULTILABEL
from imbalance_lab.workspace import load_workspace

STAGE = "evaluate"


def main() -> None:
    params = load_params()
    ws = load_workspace(params)
    logits = load_split_logits(paths.SPLIT_LOGITS, ws).test
    y_test = ws.y[ws.split.test]
    multilabel = ws.task == MULTILABEL
    if multilabel:
        counts = ws.train_counts()
        report = label_test_report(y_test, logits, ws.classes, train_counts=counts, seed=params.seed)
        write_label_plots(paths.TEST_PLOTS, y_test, logits, ws.classes, counts)
        log(STAGE, f"test micro-F1 {report['micro_f1']:.4f}, rare-label recall {report['rare_label_recall']:.4f}")
    else:
        report = test_report(y_test, logits, ws.classes, ordinal=params.data.ordinal, seed=params.seed)
        write_test_plots(paths.TEST_PLOTS, y_test, logits, ws.classes, train_counts=ws.train_counts())
    write_metrics(paths.TEST_REPORT, report)
    write_metrics(paths.TEST_METRICS, shown(report))
    log(
        STAGE,
        f"test macro-F1 {report['macro_f1']:.4f}, minority ({report['minority_class']}) recall "
        f"{report['minority_recall']:.4f}",
    )


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.TEST_METRICS, paths.TEST_REPORT, paths.TEST_PLOTS])
