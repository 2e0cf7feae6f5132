"""Multi-label data: label sets read from one delimited column or from 0/1 columns, the (n, L) 0/1 label
matrix, rare labels, and iterative stratification (Sechidis et al. 2011, the iterative-stratification package)
so every kept label has positives in train, val, test and every cross-validation fold.

A label matrix Y is uint8 (n, L): Y[i, j] = 1 when row i carries label j. A row may carry no label.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.data.splitting import OTHER, Split, check_split_counts, named_counts
from imbalance_lab.errors import DataError
from imbalance_lab.task import MULTICLASS

if TYPE_CHECKING:  # split imports this module and never needs pandas
    import pandas as pd

OTHER_SEPARATORS = ",;|/"


def resolve_task(task: str, separator: str, labels: pd.Series, declared: str | None = None) -> str:
    """data.task, with auto settled: a manifest's task, else multiclass unless labels hold the separator, which
    is ambiguous (a class called 'a|b', or two labels?) and refused rather than guessed."""
    if task != "auto":
        return task
    if declared:
        return declared
    text = labels.dropna().astype(str)
    holding = text[text.str.contains(separator, regex=False)]
    if len(holding):  # even one: a class named 'a|b' and a row with two labels look the same
        raise DataError(
            f"{len(holding)} of {len(text)} labels contain data.label_separator '{separator}' (e.g. "
            f"{holding.iloc[0]!r}): set data.task: multilabel to read them as label sets, or data.task: multiclass "
            "to keep each as one class name"
        )
    return MULTICLASS


def sets_from_text(labels: pd.Series, separator: str, check: bool = True) -> pd.Series:
    """'earn|acq' -> ('acq', 'earn'); an empty or missing cell is the empty set (a row with no label). check:
    refuse a separator that splits no row (not for a small file scored later, which may hold single labels)."""

    def parse(value) -> tuple[str, ...]:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ()
        return tuple(sorted({part.strip() for part in str(value).split(separator) if part.strip()}))

    sets = labels.map(parse)
    if check and len(sets) > 1 and sets.map(len).max() <= 1:
        text = labels.dropna().astype(str)
        seen = Counter(c for value in text for c in OTHER_SEPARATORS if c != separator and c in value)
        guess = f" (the labels contain '{seen.most_common(1)[0][0]}': is that the separator?)" if seen else ""
        raise DataError(
            f"data.label_separator '{separator}' gives one label or none for every row{guess}; set "
            "data.label_separator to the character between labels, or data.task: multiclass for one label per row"
        )
    return sets


def sets_from_columns(frame: pd.DataFrame, columns: list[str], source) -> pd.Series:
    """0/1 label columns (also true/false) -> the set of column names that are 1 in each row."""
    import pandas as pd

    values = {}
    for column in columns:
        cells = frame[column]
        numeric = pd.to_numeric(cells.map(lambda v: int(v) if isinstance(v, bool) else v), errors="coerce")
        bad = cells[~numeric.isin([0, 1])]
        if len(bad):
            examples = ", ".join(map(repr, list(dict.fromkeys(bad.tolist()))[:3]))
            raise DataError(
                f"{source}: label column '{column}' (data.label_columns) holds values other than 0/1 in {len(bad)} "
                f"rows ({examples}); a label column says 1 (has the label) or 0 (has not)"
            )
        values[column] = numeric.to_numpy(dtype=np.int64)
    matrix = np.column_stack([values[c] for c in columns])
    return pd.Series([tuple(c for c, v in zip(columns, row, strict=True) if v) for row in matrix], index=frame.index)


def label_summary(Y: np.ndarray) -> str:
    n_labels = Y.sum(1)
    return f"{Y.shape[1]} labels, {n_labels.mean():.2f} per row, {int((n_labels == 0).sum())} rows with no label"


@dataclass(frozen=True)
class RelabelledSets:
    labels: np.ndarray  # (n, L') label matrix of the kept labels
    classes: list[str]
    rare: dict[str, int]  # the labels below split.min_class_count, with their positive counts
    note: str


def handle_rare_labels(Y: np.ndarray, names: list[str], split) -> RelabelledSets:
    """split.min_class_count on multi-label data: labels with fewer positive rows are dropped (their rows stay,
    with their other labels or none), or merged into one label 'other' = any of them."""
    counts = Y.sum(0)
    rare = [j for j, count in enumerate(counts) if count < split.min_class_count]
    if not rare:
        return RelabelledSets(Y, list(names), {}, "")
    kept = [j for j in range(len(names)) if j not in rare]
    matrix, classes = Y[:, kept], [names[j] for j in kept]
    merge = split.rare_class_action == "merge_into_other"
    if merge:
        merged = Y[:, rare].max(1)
        if OTHER in classes:
            matrix[:, classes.index(OTHER)] |= merged
        else:
            matrix, classes = np.column_stack([matrix, merged]).astype(np.uint8), [*classes, OTHER]
    if len(classes) < 2:
        raise DataError(f"split.min_class_count: {split.min_class_count} leaves fewer than 2 labels; lower it")
    unlabelled = int((matrix.sum(1) == 0).sum() - (Y.sum(1) == 0).sum())
    verb = f"merged into '{OTHER}'" if merge else f"dropped ({unlabelled} rows are left with no label)"
    note = (
        f"split.min_class_count {split.min_class_count}: {len(rare)} labels with fewer positive rows {verb}: "
        f"{named_counts(names, counts, rare)}"
    )
    return RelabelledSets(matrix, classes, {names[j]: int(counts[j]) for j in rare}, note)


def _parts(r: list[float], Y: np.ndarray, seed: int) -> np.ndarray:
    """Which part (index into r) each row goes to, by iterative stratification."""
    from iterstrat.ml_stratifiers import IterativeStratification

    rng = np.random.RandomState(seed)
    order = rng.permutation(len(Y))  # as the package's splitters: rows visited in a seeded order, not file order
    part = np.empty(len(Y), dtype=np.int64)
    part[order] = IterativeStratification(Y[order].astype(bool), np.asarray(r, dtype=np.float64), rng)
    return part


def iterative_holdout(positions: np.ndarray, Y: np.ndarray, size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held out) positions, the held-out share `size`, stratified label by label."""
    part = _parts([size, 1 - size], Y, seed)
    return positions[part == 1], positions[part == 0]


def iterative_split(Y: np.ndarray, classes: list[str], *, test_size: float, val_size: float, seed: int) -> Split:
    check_split_counts(Y.sum(0), classes, test_size, val_size, unit="positive rows", kind="label")
    part = _parts([test_size, val_size, 1 - test_size - val_size], Y, seed)
    split = Split(train=np.flatnonzero(part == 2), val=np.flatnonzero(part == 1), test=np.flatnonzero(part == 0))
    for name in ("train", "val", "test"):
        counts = Y[getattr(split, name)].sum(0)
        empty = np.flatnonzero(counts == 0).tolist()
        if empty:
            raise DataError(
                f"iterative stratification left {len(empty)} label(s) without a positive row in {name}: "
                f"{', '.join(repr(classes[j]) for j in empty)}; raise split.min_class_count to drop them"
            )
    return split


def iterative_fold_ids(Y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold number of every row (MultilabelStratifiedKFold's assignment, shuffled by seed)."""
    return _parts([1.0 / folds] * folds, Y, seed)


def encode_known_label_sets(sets: pd.Series, classes: list[str], rare_classes: dict | None, source) -> tuple:
    """A scored file's label sets as a matrix in the model's label order, and notes. Labels split.min_class_count
    dropped at training are left out (said) or mapped to 'other' when it merged them; a label the model never
    saw is an error naming it."""
    rare_classes = rare_classes or {}
    rare = set(rare_classes.get("classes") or {})
    merge = rare_classes.get("action") == "merge_into_other"
    seen = Counter(label for labels in sets for label in labels)
    unseen = sorted(set(seen) - set(classes) - rare)
    if unseen:
        listed = ", ".join(f"'{name}' ({seen[name]} rows)" for name in unseen[:10])
        raise DataError(
            f"{source}: labels the model never saw: {listed}; the model knows {', '.join(classes)}; drop or map "
            "them, or retrain with them in data.source"
        )
    notes = []
    in_rare = sum(count for name, count in seen.items() if name in rare)
    if in_rare:
        fate = f"mapped to '{OTHER}'" if merge else "left out"
        notes.append(f"{in_rare} occurrences of labels split.min_class_count set aside at training: {fate}")
    mapped = sets.map(
        lambda labels: tuple({OTHER if (name in rare and merge) else name for name in labels} & set(classes))
    )
    index = {name: j for j, name in enumerate(classes)}
    Y = np.zeros((len(sets), len(classes)), dtype=np.uint8)
    for i, labels in enumerate(mapped):
        Y[i, [index[name] for name in labels]] = 1
    return Y, notes
