"""Fitting decision thresholds honestly: per-class biases (multiclass) and per-label thresholds (multi-label)."""
