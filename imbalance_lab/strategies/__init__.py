"""One registry per strategy axis (resampling, class weights, losses, samplers, threshold methods and their
objectives); each entry is a function plus its metadata (registry.Strategy). CONTRIBUTING.md: adding one."""

from imbalance_lab.strategies.class_weights import CLASS_WEIGHTS
from imbalance_lab.strategies.losses import LOSSES
from imbalance_lab.strategies.registry import Registry, Strategy
from imbalance_lab.strategies.resampling import RESAMPLERS
from imbalance_lab.strategies.samplers import SAMPLERS
from imbalance_lab.strategies.thresholds import OBJECTIVES, THRESHOLD_METHODS

REGISTRIES: tuple[Registry, ...] = (RESAMPLERS, CLASS_WEIGHTS, LOSSES, SAMPLERS, THRESHOLD_METHODS, OBJECTIVES)

__all__ = ["REGISTRIES", "Registry", "Strategy"]
