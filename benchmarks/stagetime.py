"""Wrap one stage command to record its wall time, CPU time and peak RSS (used in scratch project copies).

    python -m benchmarks.stagetime <stage> <command...>

Appends one JSON line to $BENCH_STAGE_LOG and exits with the command's exit code; stdout/stderr pass
through. Stdlib only, so the wrapper adds ~30 ms, not an import of the project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    wall = time.perf_counter()
    proc = subprocess.Popen(argv[1:])
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    record = {
        "stage": argv[0],
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "rc": proc.returncode,
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    if log := os.environ.get("BENCH_STAGE_LOG"):
        with open(log, "a") as handle:  # one short line per write: appends from parallel stages stay whole
            handle.write(json.dumps(record) + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
