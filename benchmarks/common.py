"""Shared measuring tools: medians, load average, machine description, subprocesses with peak RSS and timeout.
Stdlib only at import time."""

from __future__ import annotations

import math
import os
import platform
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERM_GRACE_S = 30  # after a timeout: SIGTERM, this long to clean up, then SIGKILL


def load() -> list[float]:
    """1, 5 and 15 minute load averages: printed next to every figure (2 cores shared)."""
    return [round(x, 2) for x in os.getloadavg()]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def interleaved(named: dict[str, Callable[[], object]], repeats: int, budget_s: float = math.inf) -> dict:
    """Wall times of each callable, run A B A B ... so background load hits both sides alike; no more rounds
    once budget_s is spent (one always runs)."""
    times: dict[str, list[float]] = {name: [] for name in named}
    started = time.perf_counter()
    for _ in range(repeats):
        for name, fn in named.items():
            wall = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - wall)
        if time.perf_counter() - started > budget_s:
            break
    return times


@dataclass
class ProcResult:
    rc: int | None  # None when killed by the timeout
    wall_s: float
    cpu_s: float  # user + system of the process and the children it waited for
    peak_rss_mb: float  # of the process or any waited-for descendant
    stdout: str
    stderr: str


def run_measured(cmd: list[str], *, cwd=None, env: dict | None = None, timeout: float = math.inf) -> ProcResult:
    """Run cmd in its own process group; wall, CPU and peak RSS from wait4. On timeout: SIGTERM to the group
    (a section cleans up, e.g. stops its DVC queue workers), SIGKILL after TERM_GRACE_S."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
        killed, kill_at = False, start + timeout
        try:
            while not (done := os.wait4(proc.pid, os.WNOHANG))[0]:
                if time.perf_counter() > kill_at:
                    os.killpg(proc.pid, signal.SIGKILL if killed else signal.SIGTERM)
                    killed, kill_at = True, time.perf_counter() + TERM_GRACE_S
                time.sleep(0.02)
        except BaseException:  # interrupted or terminated ourselves: take the child's group down too
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        wall = time.perf_counter() - start
        proc.returncode = 0  # reaped by wait4 above; keep Popen from waiting again
        out.seek(0), err.seek(0)
        _, status, usage = done
        rc = None if killed else os.waitstatus_to_exitcode(status)
        return ProcResult(rc, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(), err.read())


def bench_env(**extra: str) -> dict[str, str]:
    """The environment stage subprocesses get: the venv first on PATH, offline model hub, no analytics."""
    return {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        "DVC_NO_ANALYTICS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": "",
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),  # as imbalance_lab/__init__.py sets
        **extra,
    }


def machine() -> dict:
    """CPU model, cores, RAM, thread settings and library versions: what a reader needs to compare."""
    import importlib.metadata

    import torch

    cpuinfo, meminfo = Path("/proc/cpuinfo").read_text(), Path("/proc/meminfo").read_text()
    packages = ("torch", "numpy", "scikit-learn", "imbalanced-learn", "sentence-transformers", "dvc")
    return {
        "cpu": next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        "cores": os.cpu_count(),
        "ram_gib": round(int(meminfo.split("MemTotal:")[1].split()[0]) / 2**20, 1),
        "torch_default_threads": torch.get_num_threads(),
        "omp_wait_policy": bench_env()["OMP_WAIT_POLICY"],
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": {p: importlib.metadata.version(p) for p in packages},
    }


def fit_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """Least-squares slope of log(time) on log(n): time ~ n^slope (at least 2 points)."""
    x, y = [math.log(n) for n in sizes], [math.log(max(t, 1e-6)) for t in seconds]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxx = sum((a - mx) ** 2 for a in x)
    return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sxx
