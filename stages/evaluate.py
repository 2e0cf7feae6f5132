"""Stage evaluate: the trained model on the test split at its natural class distribution."""

from imbalance_lab import paths
from imbalance_lab.artifacts import write_metrics
from imbalance_lab.config import load_params
from imbalance_lab.modelfile import check_compatible, ensemble_logits, load_model
from imbalance_lab.reporting import test_report, write_test_plots
from imbalance_lab.stage import log, run_stage
from imbalance_lab.workspace import load_workspace

STAGE = "evaluate"


def main() -> None:
    params = load_params()
    ws = load_workspace()
    members, meta = load_model(paths.MODEL)
    check_compatible(meta, ws.classes, ws.X.shape[1], paths.MODEL, ws.meta.get("embedder"))
    X_test, y_test = ws.part("test")
    logits = ensemble_logits(members, X_test)
    report = test_report(y_test, logits, ws.classes, ordinal=params.data.ordinal, seed=params.seed)
    write_test_plots(paths.TEST_PLOTS, y_test, logits, ws.classes)
    write_metrics(paths.TEST_METRICS, report)
    log(
        STAGE,
        f"test macro-F1 {report['macro_f1']:.4f}, balanced accuracy {report['balanced_accuracy']:.4f}, "
        f"minority ({report['minority_class']}) recall {report['minority_recall']:.4f}",
    )


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.TEST_METRICS, paths.TEST_PLOTS])
