"""Reading and writing stage artifacts. Writes are atomic: a killed stage leaves the old file or none.

Arrays are .npy (fast, memory-mappable); small records are JSON with sorted keys so identical results
give byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_lab.errors import DataError


def _file_mode() -> int:
    """rw for everyone the umask allows, like open() would give (mkstemp makes 0600 files)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Committed metrics and plot data are rounded so that float noise between CPUs (another BLAS, another sum order
# in the embedding model) does not change them: measured across two CPUs, TREC-6 metrics differed at the 6th
# decimal in 4 of 66 values and none at the 4th; plot data in 17 of 168 cells at the 6th, 1 at the 4th, none at
# the 3rd (docs/reliability.md).
METRIC_DECIMALS = 4
PLOT_DECIMALS = 3


def _rounded(record: Any, digits: int) -> Any:
    if isinstance(record, float):
        return round(record, digits) + 0.0  # + 0.0: never -0.0
    if isinstance(record, dict):
        return {k: _rounded(v, digits) for k, v in record.items()}
    if isinstance(record, (list, tuple)):
        return [_rounded(v, digits) for v in record]
    return record


def plot_value(value: float) -> float:
    """One number of a plot file at PLOT_DECIMALS (for writers other than write_csv, e.g. DVCLive)."""
    return _rounded(float(value), PLOT_DECIMALS)


def write_metrics(path: str | Path, record: Any) -> None:
    """A metrics file (`metrics:` in dvc.yaml, committed to git): JSON with floats at METRIC_DECIMALS."""
    write_json(path, _rounded(record, METRIC_DECIMALS))


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json(path: str | Path, record: Any) -> None:
    _atomic_write_bytes(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def _unreadable(path: Path, exc: Exception) -> DataError:
    reason = " ".join(str(exc).split())[:120] or type(exc).__name__
    return DataError(f"{path}: unreadable ({reason}); it is truncated or not ours: run dvc repro to write it again")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; run the stage that writes it first (dvc repro)")
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise _unreadable(path, exc) from None


def write_npy(path: str | Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    _atomic_write_bytes(path, buffer.getvalue())


def read_npy(path: str | Path, mmap: bool = False) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; run the stage that writes it first (dvc repro)")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _unreadable(path, exc) from None


def write_npz(path: str | Path, **arrays: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _atomic_write_bytes(path, buffer.getvalue())


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; run the stage that writes it first (dvc repro)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise _unreadable(path, exc) from None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (=HYPERLINK(...), +cmd, @SUM) gets a leading quote;
    numbers written as text ('-1') stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


REPORT_DECIMALS = 6  # CSV reports for people and tools (score's predictions), not committed plot data


def write_csv(path: str | Path, rows: list[dict[str, Any]], decimals: int = PLOT_DECIMALS) -> None:
    """Rows of a DVC plot (floats at PLOT_DECIMALS, so reruns on any CPU give byte-identical files) or of a report
    (pass decimals=REPORT_DECIMALS); text cells are formula-safe (safe_cell)."""
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _rounded(v, decimals) if isinstance(v, float) else safe_cell(v) for k, v in row.items()})
    _atomic_write_bytes(path, buffer.getvalue().encode())


def write_bytes(path: str | Path, data: bytes) -> None:
    _atomic_write_bytes(path, data)


def by_class(classes: list[str], values, digits: int | None = None) -> dict:
    """{class name: value} for JSON reports; ints stay ints, floats are rounded for byte-stable files."""
    return {c: (round(float(v), digits) if digits is not None else int(v)) for c, v in zip(classes, values)}
