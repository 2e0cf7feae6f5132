"""Stratified train / validation / test split, and the checks that keep the test split clean."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbalance_lab.errors import DataError


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row positions into the embeddings, sorted
    val: np.ndarray
    test: np.ndarray


def named_counts(classes: list[str], counts: np.ndarray, codes: list[int]) -> str:
    """ "'a' (2), 'b' (3)": every class of an error message with its row count, so one run shows all to fix."""
    return ", ".join(f"'{classes[code]}' ({counts[code]})" for code in codes)


def check_class_sizes(y: np.ndarray, classes: list[str], test_size: float, val_size: float) -> None:
    check_split_counts(np.bincount(y, minlength=len(classes)), classes, test_size, val_size)


def check_split_counts(
    counts: np.ndarray, classes: list[str], test_size: float, val_size: float, unit: str = "rows", kind: str = "class"
) -> None:
    """Every class (label) needs at least one row in each split (stratification rounds small ones away); every
    one that is too small is named, in one line."""
    smallest = min(test_size, val_size, 1 - test_size - val_size)
    need = int(np.ceil(max(3, 1 / smallest)))
    short = [code for code, count in enumerate(counts) if count * smallest < 1 or count < 3]
    sizes = f"split.test_size={test_size}, split.val_size={val_size}"
    fix = f"set split.min_class_count: {need} (drops them after embedding, or merges them: rare_class_action)"
    if len(short) == 1:
        code = short[0]
        raise DataError(
            f"{kind} '{classes[code]}' has {counts[code]} {unit}; it needs at least {need} to appear in train, val "
            f"and test with {sizes}: add rows, or {fix}"
        )
    if short:
        raise DataError(
            f"{len(short)} {kind}{'es' if kind == 'class' else 's'} are too small to appear in train, val and test "
            f"(each needs at least {need} {unit} with {sizes}): {named_counts(classes, counts, short)}; add rows, "
            f"or {fix}"
        )


OTHER = "other"


@dataclass(frozen=True)
class Relabelled:
    labels: np.ndarray  # codes into classes; -1 = a row of a dropped class
    classes: list[str]
    rare: dict[str, int]  # the classes below split.min_class_count, with their row counts
    note: str  # for the log and the split summary ("" when nothing changed)


def handle_rare_classes(labels: np.ndarray, classes: list[str], split, ordinal: bool) -> Relabelled:
    """split.min_class_count: classes with fewer rows are dropped, or merged into one class 'other' (joining a
    class of that name if the data has one). Runs after embedding, so changing it never re-embeds."""
    counts = np.bincount(labels, minlength=len(classes))
    rare = [code for code, count in enumerate(counts) if count < split.min_class_count]
    if not rare:
        return Relabelled(labels, list(classes), {}, "")
    merge = split.rare_class_action == "merge_into_other"
    if merge and ordinal:
        raise DataError(
            "split.rare_class_action: merge_into_other on ordinal classes (data.ordinal) would put far-apart "
            "levels in one class; use drop"
        )
    kept = [code for code in range(len(classes)) if code not in rare]
    new_classes = [classes[code] for code in kept]
    mapping = np.full(len(classes), -1, dtype=np.int64)
    mapping[kept] = np.arange(len(kept))
    other_exists = OTHER in new_classes
    if merge:
        if not other_exists:
            new_classes.append(OTHER)
        mapping[rare] = new_classes.index(OTHER)
    if len(new_classes) < 2:
        raise DataError(f"split.min_class_count: {split.min_class_count} leaves fewer than 2 classes; lower it")
    rows = int(counts[rare].sum())
    if merge and rows + (counts[classes.index(OTHER)] if other_exists else 0) < split.min_class_count:
        raise DataError(
            f"split.rare_class_action: the {len(rare)} classes below split.min_class_count {split.min_class_count} "
            f"hold {rows} rows together, too few for one class '{OTHER}'; use split.rare_class_action: drop"
        )
    joined = f" (the data already has a class '{OTHER}': they join it)" if other_exists else ""
    verb = f"merged into '{OTHER}'{joined}" if merge else "dropped"
    note = (
        f"split.min_class_count {split.min_class_count}: {len(rare)} classes with {rows} rows {verb}: "
        f"{named_counts(classes, counts, rare)}"
    )
    return Relabelled(mapping[labels], new_classes, {classes[c]: int(counts[c]) for c in rare}, note)


def rows_needed(folds: int) -> int:
    """Fewest rows a class needs: one in every held-out fold, and at least 2 left in every training fold
    (early stopping carves its rows out of the training fold, stratified, so each class needs 2 there)."""
    n = folds
    while n - -(-n // folds) < 2:  # n minus the largest held-out share ceil(n / folds)
        n += 1
    return n


def check_folds(y: np.ndarray, classes: list[str], folds: int) -> None:
    """Every class needs a row in each held-out fold and 2 in each training fold; all offenders in one line."""
    counts = np.bincount(y, minlength=len(classes))
    check_fold_counts(counts, classes, folds)


def check_fold_counts(counts: np.ndarray, classes: list[str], folds: int, estimated: bool = False) -> None:
    if folds == 0:  # cv.folds 0: no cross-validation, nothing to check
        return
    need = rows_needed(folds)
    short = [code for code, count in enumerate(counts) if count < need]
    if not short:
        return
    smallest = int(counts[short].min())
    most = max((k for k in range(2, smallest + 1) if rows_needed(k) <= smallest), default=None)
    if most is None:
        fix = f"cross-validation needs more rows of them: add rows, or set split.min_class_count: {need}"
    else:
        fix = f"lower cv.folds to at most {most}" if folds > most else f"use cv.folds={most}"
        fix += ", or add rows"
    where = "in train+val (at most, before the split)" if estimated else "in train+val"
    raise DataError(
        f"{len(short)} class(es) have fewer than {need} rows {where}, which cv.folds={folds} needs (one per "
        f"held-out fold, 2 left to train on): {named_counts(classes, counts, short)}; {fix}"
    )


def stratified_holdout(positions: np.ndarray, y: np.ndarray, test_size: float, seed: int):
    """(kept, held out) positions, stratified by y: the same draw as scikit-learn's
    train_test_split(positions, test_size=test_size, stratify=y, random_state=seed), written out so the split
    stage does not import scikit-learn (1 s of start-up); tests/test_splitting.py checks they agree."""
    rng = np.random.RandomState(seed)
    n_test = int(np.ceil(test_size * len(y)))
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"the least populated class has {counts.min()} member; a stratified split needs 2")
    if min(n_test, len(y) - n_test) < len(classes):
        raise ValueError(f"{n_test} held-out rows of {len(y)} cannot hold all {len(classes)} classes")
    by_class = np.split(np.argsort(codes, kind="stable"), np.cumsum(counts)[:-1])
    n_kept = _approximate_mode(counts, len(y) - n_test, rng)
    n_held = _approximate_mode(counts - n_kept, n_test, rng)
    kept, held = [], []
    for rows, k, h in zip(by_class, n_kept, n_held, strict=True):
        shuffled = rows.take(rng.permutation(len(rows)), mode="clip")
        kept.extend(shuffled[:k])
        held.extend(shuffled[k : k + h])
    return positions[rng.permutation(kept)], positions[rng.permutation(held)]


def _approximate_mode(counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """scikit-learn's approximate mode of the multivariate hypergeometric: floor the proportional shares, then
    hand the rest out by largest remainder, ties broken at random."""
    continuous = counts / counts.sum() * n_draws
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (tied,) = np.where(remainder == value)
            add = min(len(tied), need)
            floored[rng.choice(tied, size=add, replace=False)] += 1
            need -= add
            if need == 0:
                break
    return floored.astype(int)


def stratified_folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fitting rows, held-out rows) per fold: the folds of scikit-learn's StratifiedKFold(folds, shuffle=True,
    random_state=seed).split(X, y), written out so cross-validate does not import scikit-learn; each class is
    dealt round-robin over the folds, then its fold labels are shuffled. tests/test_splitting.py compares."""
    fold_of_row = stratified_fold_ids(y, folds, seed)
    rows = np.arange(len(y))
    return [(rows[fold_of_row != fold], rows[fold_of_row == fold]) for fold in range(folds)]


def stratified_fold_ids(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold number of every row, as stratified_folds deals them."""
    rng = np.random.RandomState(seed)
    _, first_row, codes = np.unique(y, return_index=True, return_inverse=True)
    _, order_of_appearance = np.unique(first_row, return_inverse=True)
    encoded = order_of_appearance[codes]  # classes numbered by first appearance, as scikit-learn does
    n_classes = len(first_row)
    dealt = np.sort(encoded)
    allocation = np.asarray([np.bincount(dealt[i::folds], minlength=n_classes) for i in range(folds)])
    fold_of_row = np.empty(len(y), dtype="i")
    for k in range(n_classes):
        fold_labels = np.arange(folds).repeat(allocation[:, k])
        rng.shuffle(fold_labels)
        fold_of_row[encoded == k] = fold_labels
    return fold_of_row


def stratified_split(y: np.ndarray, classes: list[str], *, test_size: float, val_size: float, seed: int) -> Split:
    check_class_sizes(y, classes, test_size, val_size)
    positions = np.arange(len(y))
    rest, test = stratified_holdout(positions, y, test_size, seed)
    val_share = val_size / (1 - test_size)  # of what remains after the test split
    train, val = stratified_holdout(rest, y[rest], val_share, seed)
    return Split(train=np.sort(train), val=np.sort(val), test=np.sort(test))


def duplicate_groups(text_hashes: np.ndarray) -> np.ndarray:
    """A keep-mask that keeps the first row of every repeated text."""
    _, first = np.unique(text_hashes, return_index=True)
    keep = np.zeros(len(text_hashes), dtype=bool)
    keep[first] = True
    return keep


def cross_split_duplicates(text_hashes: np.ndarray, split: Split) -> int:
    """How many test/val rows repeat a text that is also in another split (a leak that flatters scores)."""
    train, val, test = (set(text_hashes[part].tolist()) for part in (split.train, split.val, split.test))
    leaked_test = np.isin(text_hashes[split.test], list(train | val)).sum()
    leaked_val = np.isin(text_hashes[split.val], list(train)).sum()
    return int(leaked_test + leaked_val)


def assert_disjoint(split: Split) -> None:
    """Cheap runtime guard: a row in two splits would leak test labels into training or tuning."""
    for a, b, name in (
        (split.train, split.test, "train/test"),
        (split.val, split.test, "val/test"),
        (split.train, split.val, "train/val"),
    ):
        if np.intersect1d(a, b).size:
            raise DataError(f"split is corrupt: {name} share rows; delete data/split and run dvc repro")


def split_summary(y: np.ndarray, classes: list[str], split: Split, task) -> dict:
    """Rows per class (multi-label: positive rows per label) in each split."""
    return {
        part: {classes[c]: int(n) for c, n in enumerate(task.counts(y[idx], len(classes)))}
        for part, idx in (("train", split.train), ("val", split.val), ("test", split.test))
    }


def check_counts_before_embedding(labels: np.ndarray, classes: list[str], params, task) -> None:
    """Label-only checks that split and cross-validate repeat (after split.min_class_count, as split applies it):
    failing here costs seconds, not an embedding pass. Train+val counts are bounded from above, so this never
    refuses what cross-validate would accept."""
    relabelled = task.relabel_rare(labels, classes, params.split)
    labels, classes = relabelled.labels[task.eligible(relabelled.labels)], relabelled.classes
    task.check_split_counts(labels, classes, params.split.test_size, params.split.val_size)
    counts = task.counts(labels, len(classes))
    check_fold_counts(counts - np.floor(counts * params.split.test_size).astype(int), classes, params.cv.folds, True)
