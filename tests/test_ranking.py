"""The ranking metrics give scikit-learn's floats exactly (ties, tiny classes, many labels), so the metrics
files did not move when scikit-learn left the evaluate and threshold-tune processes."""

import numpy as np
import pytest
import sklearn.metrics as skm

from imbalance_lab.evaluation import ranking


def cases():
    rng = np.random.default_rng(0)
    for n, positives, levels in [(2, 1, 0), (7, 1, 3), (50, 3, 0), (300, 40, 5), (2000, 17, 0), (2000, 900, 20)]:
        positive = np.zeros(n, dtype=bool)
        positive[rng.choice(n, positives, replace=False)] = True
        score = rng.random(n)
        if levels:  # heavy ties, as rounded or saturated probabilities give
            score = np.round(score * levels) / levels
        yield positive, score


@pytest.mark.parametrize(("positive", "score"), list(cases()))
def test_binary_ranking_metrics_equal_sklearn_exactly(positive, score):
    precision, recall = ranking.precision_recall_curve(positive, score)
    sk_precision, sk_recall, _ = skm.precision_recall_curve(positive, score)
    assert np.array_equal(precision, sk_precision) and np.array_equal(recall, sk_recall)
    assert ranking.average_precision(positive, score) == skm.average_precision_score(positive, score)
    assert ranking.roc_auc(positive, score) == skm.roc_auc_score(positive, score)


@pytest.mark.parametrize("levels", [0, 4])
def test_label_ranking_average_precision_equals_sklearn_exactly(levels):
    rng = np.random.default_rng(1)
    Y = (rng.random((400, 12)) < 0.2).astype(np.uint8)
    Y[0], Y[1] = 0, 1  # a row with no label and one with every label
    scores = rng.random(Y.shape)
    if levels:
        scores = np.round(scores * levels) / levels
    assert ranking.label_ranking_average_precision(Y, scores) == skm.label_ranking_average_precision_score(Y, scores)
