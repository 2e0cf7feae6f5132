"""The benchmark helpers measure what they claim (no timing is asserted: figures are `make bench`'s job)."""

import json
import sys

import pytest

from benchmarks import balance
from benchmarks.common import ROOT, fit_exponent, run_measured
from benchmarks.grid import GRIDS, experiments
from benchmarks.report import SECTIONS, render
from benchmarks.stagetime import main as stagetime


def test_fit_exponent_recovers_the_power_law():
    sizes = [5_000, 50_000, 200_000]
    assert fit_exponent(sizes, [3e-9 * n**2 for n in sizes]) == pytest.approx(2.0)
    assert fit_exponent(sizes, [1e-6 * n for n in sizes]) == pytest.approx(1.0)


def test_every_size_runs_and_is_divided_by_its_searchs_limit(monkeypatch):
    ran = []

    def linear(work, args, timeout):
        method, search, rows = args
        ran.append((search, rows))
        return {"status": "ok", "seconds": rows / 1_000 * 0.02, "runs": 1, "peak_rss_mb": 1.0}

    monkeypatch.setattr(balance, "run_case", linear)
    limits = {"exact": {n: {"status": "ok", "seconds": n / 1_000 * 0.01} for n in balance.SIZES}, "approximate": {}}
    result = balance.bench_method("smote", "exact", balance.SIZES, limits, timeout=1)
    assert ran == [("exact", n) for n in balance.SIZES]  # nothing skipped, however slow
    assert [c["ratio"] for c in result["cases"]] == [2.0] * len(balance.SIZES)
    assert result["exponent"] == pytest.approx(1.0)


def _sleep(seconds):
    import time

    time.sleep(seconds)
    return {"times_s": [seconds]}


def test_a_case_past_its_timeout_is_killed_and_reported():
    assert balance.run_case(_sleep, (30,), timeout=0.5)["status"] == "timeout"
    done = balance.run_case(_sleep, (0.01,), timeout=30)
    assert done["status"] == "ok" and done["seconds"] == 0.01 and done["peak_rss_mb"] > 0


def test_stagetime_records_the_stage_and_keeps_its_exit_code(tmp_path, monkeypatch):
    log = tmp_path / "stages.jsonl"
    monkeypatch.setenv("BENCH_STAGE_LOG", str(log))
    code = "import sys; x = bytearray(50 * 2**20); sys.exit(3)"
    assert stagetime(["split", sys.executable, "-c", code]) == 3
    record = json.loads(log.read_text())
    assert record["stage"] == "split" and record["rc"] == 3
    assert record["peak_rss_mb"] > 50 and record["wall_s"] > 0


def test_run_measured_kills_at_the_timeout():
    result = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert result.rc is None and result.wall_s < 10


def test_sweep_grids_are_strategies_times_seeds():
    for grid, (names, seeds) in GRIDS.items():
        plan = experiments(grid)
        assert len(plan) == len(names) * len(seeds) == len({name for name, _, _ in plan})
    assert len(experiments("full")) == 24


def test_the_committed_results_render_every_section_they_hold():
    results = json.loads((ROOT / "benchmarks/results.json").read_text())
    text = render(results)
    for key, title, _ in SECTIONS:
        assert (f"## {title}" in text) == (key in results["sections"])
    assert "| sweep (" in text  # the headline has the sweep ratio
