"""Shared measuring tools: medians, load average, machine description, subprocesses with peak RSS and timeout.

Stdlib only (plus numpy/torch imported lazily), so `benchmarks.stagetime` can wrap stage commands cheaply.
"""

from __future__ import annotations

import os
import platform
import signal
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERM_GRACE_S = 30  # after a timeout: SIGTERM, this long to clean up, then SIGKILL


def load() -> list[float]:
    """1, 5 and 15 minute load averages, rounded: printed next to every figure (2 cores shared)."""
    return [round(x, 2) for x in os.getloadavg()]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def interleaved(
    named: dict[str, Callable[[], object]], repeats: int, budget_s: float = float("inf")
) -> dict[str, list[float]]:
    """Wall times of each callable, run A B A B ... so background load hits both sides alike.
    Stops repeating once budget_s is spent (at least one round always runs)."""
    times: dict[str, list[float]] = {name: [] for name in named}
    started = time.perf_counter()
    for _ in range(repeats):
        for name, fn in named.items():
            times[name].append(timed(fn)[0])
        if time.perf_counter() - started > budget_s:
            break
    return times


@dataclass
class ProcResult:
    cmd: list[str]
    rc: int | None  # None when killed by the timeout
    wall_s: float
    cpu_s: float  # user + system of the process and its children
    peak_rss_mb: float  # max resident set of the process or any waited-for descendant
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.rc is None


def run_measured(
    cmd: list[str], *, cwd: Path | str | None = None, env: dict | None = None, timeout: float | None = None
) -> ProcResult:
    """Run cmd in its own process group; wall time, CPU time and peak RSS from wait4 (the child's rusage,
    which on Linux includes the descendants it waited for). On timeout the whole group is killed."""
    out_path, err_path = _temp_name("out"), _temp_name("err")
    with open(out_path, "w+") as out, open(err_path, "w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
        deadline = None if timeout is None else start + timeout
        try:
            status, usage, killed = _wait(proc.pid, deadline)  # also reaps the child
        except BaseException:  # interrupted or terminated ourselves: take the child's group down too
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        wall = time.perf_counter() - start
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    os.unlink(out_path), os.unlink(err_path)
    proc.returncode = 0  # reaped by os.wait4 above; keep Popen from waiting again
    rc = None if killed else os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime if usage else float("nan")
    rss = usage.ru_maxrss / 1024 if usage else float("nan")  # Linux reports KiB
    return ProcResult(cmd, rc, wall, cpu, rss, stdout, stderr)


def _wait(pid: int, deadline: float | None):
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, False
        if deadline is not None and time.perf_counter() > deadline:
            os.killpg(pid, signal.SIGTERM)  # lets a section clean up (the sweep stops its DVC queue workers)
            grace = time.perf_counter() + TERM_GRACE_S
            while time.perf_counter() < grace:
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    return status, usage, True
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, True
        time.sleep(0.02)


def _temp_name(kind: str) -> str:
    import tempfile

    fd, path = tempfile.mkstemp(prefix=f"bench-{kind}-")
    os.close(fd)
    return path


def bench_env(**extra: str) -> dict[str, str]:
    """The environment stage subprocesses get: the venv first on PATH, offline model hub, no analytics."""
    venv_bin = ROOT / ".venv" / "bin"
    return {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "DVC_NO_ANALYTICS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": "",
        # idle OpenMP threads sleep, as imbalance_lab/__init__.py sets on main (882182b) before torch loads
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
        **extra,
    }


def machine() -> dict:
    """CPU model, cores, RAM, thread settings and library versions: what a reader needs to compare."""
    import importlib.metadata

    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines() if "MemTotal" in line), 0)
    versions = {}
    for package in ("torch", "numpy", "scikit-learn", "imbalanced-learn", "sentence-transformers", "dvc"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "torch_default_threads": torch.get_num_threads(),
        "omp_wait_policy": bench_env()["OMP_WAIT_POLICY"],
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def fit_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float | None:
    """Least-squares slope of log(time) on log(n): time ~ n^slope. None with fewer than 2 points."""
    import math

    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, seconds) if t and t > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None
