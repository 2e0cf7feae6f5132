"""What every stage shares: a logger and a runner that turns user errors into one line and exit code 2."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from imbalance_lab.errors import UserError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def user_error_line(name: str, exc: BaseException) -> str:
    """The one line a user error prints, whatever its message holds (a label with a newline stays escaped)."""
    return f"error: {name}: " + str(exc).replace("\r", "\\r").replace("\n", "\\n")


def log(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


def _remove(outputs: Iterable[str | Path]) -> None:
    for output in outputs:
        path = Path(output)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def declared_outputs(name: str, dvc_yaml: str | Path = "dvc.yaml") -> list[Path]:
    """What dvc.yaml says the stage writes (outs, metrics, plots): the list DVC itself removes before a run."""
    import yaml  # only on the failure path

    try:
        spec = yaml.safe_load(Path(dvc_yaml).read_text())["stages"][name]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return []
    entries = [e for kind in ("outs", "metrics", "plots") for e in spec.get(kind) or []]
    return [Path(next(iter(e)) if isinstance(e, dict) else e) for e in entries]


def run_stage(name: str, main: Callable[[], None], outputs: Iterable[str | Path] = ()) -> None:
    """Run a stage's main(). On failure remove its outputs (the given ones and every one dvc.yaml declares for
    the stage) so nothing half-written or stale is left behind, also when the stage is run without DVC."""
    outputs = list(outputs)
    started = time.perf_counter()
    try:
        main()
        log(name, f"done in {time.perf_counter() - started:.1f} s")
    except UserError as exc:
        _remove(outputs + declared_outputs(name))
        print(user_error_line(name, exc), file=sys.stderr, flush=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        _remove(outputs + declared_outputs(name))
        print(f"error: {name}: interrupted; outputs removed, run `dvc repro` again", file=sys.stderr, flush=True)
        sys.exit(EXIT_INTERRUPTED)
    except BaseException:
        _remove(outputs + declared_outputs(name))
        raise
