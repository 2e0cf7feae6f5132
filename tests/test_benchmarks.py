"""The benchmark helpers measure what they claim (no timing is asserted: figures are `make bench`'s job)."""

import json
import sys

import pytest

from benchmarks.balance import _predict
from benchmarks.common import fit_exponent, run_measured
from benchmarks.grid import GRIDS, experiments
from benchmarks.stagetime import main as stagetime


def test_fit_exponent_recovers_the_power_law():
    sizes = [5_000, 50_000, 200_000]
    assert fit_exponent(sizes, [3e-9 * n**2 for n in sizes]) == pytest.approx(2.0)
    assert fit_exponent(sizes, [1e-6 * n for n in sizes]) == pytest.approx(1.0)
    assert fit_exponent([5_000], [1.0]) is None


def test_prediction_extrapolates_with_the_measured_growth():
    assert _predict([(1_000, 1.0)], 10_000) == pytest.approx(100.0)  # one point: assumes n^2
    assert _predict([(1_000, 1.0), (10_000, 10.0)], 100_000) == pytest.approx(100.0)


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
    assert result.timed_out and result.wall_s < 10


def test_sweep_grids_are_strategies_times_seeds():
    for grid, (names, seeds) in GRIDS.items():
        plan = experiments(grid)
        assert len(plan) == len(names) * len(seeds) == len({name for name, _, _ in plan})
    assert len(experiments("full")) == 24
