"""What every stage shares: a logger and a runner that turns user errors into one line and exit code 2."""

from __future__ import annotations

import shutil
import signal
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


_sigint_seen = False


def _on_sigint(signum, frame) -> None:
    global _sigint_seen
    _sigint_seen = True
    signal.default_int_handler(signum, frame)


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt for a Ctrl-C that Python swallowed: one landing in a destructor (a progress bar's
    __del__) is printed as "Exception ignored" and lost, and the stage would go on to write its outputs."""
    if _sigint_seen:
        raise KeyboardInterrupt


def _declared(name: str, dvc_yaml: str | Path) -> list[tuple[Path, bool]]:
    """(path, kept in git) of every output dvc.yaml declares for the stage: outs, metrics, plots."""
    import yaml  # only on the failure path

    try:
        spec = yaml.safe_load(Path(dvc_yaml).read_text())["stages"][name]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return []
    entries = [e for kind in ("outs", "metrics", "plots") for e in spec.get(kind) or []]
    out = []
    for e in entries:
        path, options = next(iter(e.items())) if isinstance(e, dict) else (e, None)
        out.append((Path(path), isinstance(options, dict) and options.get("cache") is False))
    return out


def pipeline_order(dvc_yaml: str | Path = "dvc.yaml") -> list[tuple[str, str]]:
    """(stage name, its module under stages/) in the order DVC runs them: a stage after every stage whose output
    it depends on (ties in file order). dvc.yaml is the one list of stages; tests and benchmarks read it here."""
    import yaml

    stages = yaml.safe_load(Path(dvc_yaml).read_text())["stages"]
    outputs = {name: [str(path) for path, _ in _declared(name, dvc_yaml)] for name in stages}

    def feeds(producer: str, consumer: str) -> bool:
        deps = [str(d) for d in stages[consumer].get("deps") or []]
        return any(dep == out or dep.startswith(out + "/") for dep in deps for out in outputs[producer])

    order: list[str] = []
    while len(order) < len(stages):
        ready = [n for n in stages if n not in order and not any(feeds(o, n) for o in stages if o not in order)]
        if not ready:
            raise ValueError(f"{dvc_yaml}: the stages' deps and outs form a cycle")
        order.append(ready[0])
    return [(name, stages[name]["cmd"].split("-m ", 1)[1].split()[0].removeprefix("stages.")) for name in order]


def declared_outputs(name: str, dvc_yaml: str | Path = "dvc.yaml") -> list[Path]:
    """What dvc.yaml says the stage writes (outs, metrics, plots): the list DVC itself removes before a run."""
    return [path for path, _ in _declared(name, dvc_yaml)]


def restore_hint(name: str, dvc_yaml: str | Path = "dvc.yaml") -> str:
    """The command that brings back the last commit's state after this stage failed: its outputs kept in git
    (cache: false, which `dvc checkout` does not restore) and params.yaml (`dvc exp run -S` leaves its values)."""
    if not Path(dvc_yaml).is_file():
        return ""
    in_git = " ".join(dict.fromkeys(path.parts[0] for path, kept in _declared(name, dvc_yaml) if kept))
    return (
        f" (its outputs were removed; back to the last commit: `git checkout HEAD -- params.yaml {in_git}".rstrip()
        + (" && dvc checkout`)")
    )


def run_stage(name: str, main: Callable[[], None], outputs: Iterable[str | Path] = ()) -> None:
    """Run a stage's main(). On failure remove its outputs (every one dvc.yaml declares for the stage, the one list
    of them; `outputs` for a command, which dvc.yaml does not know) so nothing half-written or stale is left
    behind, also when the stage is run without DVC."""
    global _sigint_seen
    outputs = list(outputs)
    started = time.perf_counter()
    _sigint_seen = False
    catching = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # an ignored SIGINT stays ignored
    if catching:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        main()
        stop_if_interrupted()
        log(name, f"done in {time.perf_counter() - started:.1f} s")
    except UserError as exc:
        _remove(outputs + declared_outputs(name))
        print(user_error_line(name, exc) + restore_hint(name), file=sys.stderr, flush=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        _remove(outputs + declared_outputs(name))
        print(f"error: {name}: interrupted; outputs removed, run `dvc repro` again", file=sys.stderr, flush=True)
        sys.exit(EXIT_INTERRUPTED)
    except BaseException:
        _remove(outputs + declared_outputs(name))
        raise
    finally:
        if catching:
            signal.signal(signal.SIGINT, signal.default_int_handler)
