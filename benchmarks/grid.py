"""The sweep grid: strategies (params overrides) x seeds. BENCH_SWEEP=full is 8 x 3, small 4 x 1."""

from __future__ import annotations

STRATEGIES: dict[str, dict[str, str]] = {
    "baseline": {},
    "smote": {"balance.method": "smote"},
    "class-weight": {"train.class_weight": "inverse"},
    "focal": {"train.loss": "focal"},
    "random-over": {"balance.method": "random_over"},
    "random-under": {"balance.method": "random_under"},
    "logit-adjusted": {"train.loss": "logit_adjusted"},
    "balanced-batches": {"train.sampler": "class_balanced"},
}
GRIDS = {
    "full": (list(STRATEGIES), (0, 1, 2)),
    "small": (list(STRATEGIES)[:4], (1,)),  # seed 1: with seed 0 the baseline is the committed run (all cached)
    "tiny": (["baseline", "smote"], (1,)),  # for checking the benchmark itself
}


def experiments(grid: str) -> list[tuple[str, int, dict[str, str]]]:
    """(experiment name, seed, overrides) in queue order: seed-major, like a user's loop."""
    names, seeds = GRIDS[grid]
    return [(f"bench-{name}-s{seed}", seed, STRATEGIES[name]) for seed in seeds for name in names]
