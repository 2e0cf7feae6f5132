"""Stage evaluate: the trained model's test logits (models/logits.npz) against the test labels, at the test
split's natural class distribution."""

from imbalance_lab.config import load_params
from imbalance_lab.evaluation.split_report import shown
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import write_metrics
from imbalance_lab.pipeline.predictions import load_split_logits
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.pipeline.workspace import load_workspace

STAGE = "evaluate"


def main() -> None:
    params = load_params()
    ws = load_workspace(params)
    logits = load_split_logits(paths.SPLIT_LOGITS, ws).test
    y_test, counts = ws.y[ws.split.test], ws.train_counts()
    report = ws.task.test_report(y_test, logits, ws.classes, train_counts=counts, seed=params.seed)
    ws.task.write_plots(paths.TEST_PLOTS, y_test, logits, ws.classes, counts)
    write_metrics(paths.TEST_REPORT, report)
    write_metrics(paths.TEST_METRICS, shown(report))
    headline = ", ".join(f"{name} {report[name]:.4f}" for name in ws.task.metric_names("headline"))
    log(STAGE, f"test {headline}; minority: {report['minority_class']}")


if __name__ == "__main__":
    run_stage(STAGE, main)
