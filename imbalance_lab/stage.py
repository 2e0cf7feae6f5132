"""What every stage shares: a logger and a runner that turns user errors into one line and exit code 2."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from imbalance_lab.errors import UserError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def log(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


def _remove(outputs: Iterable[str | Path]) -> None:
    for output in outputs:
        path = Path(output)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def run_stage(name: str, main: Callable[[], None], outputs: Iterable[str | Path] = ()) -> None:
    """Run a stage's main(). On failure remove its outputs so nothing half-written is left behind."""
    outputs = list(outputs)
    try:
        main()
    except UserError as exc:
        _remove(outputs)
        print(f"error: {name}: {exc}", file=sys.stderr, flush=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        _remove(outputs)
        print(f"error: {name}: interrupted; outputs removed, run `dvc repro` again", file=sys.stderr, flush=True)
        sys.exit(EXIT_INTERRUPTED)
    except BaseException:
        _remove(outputs)
        raise
