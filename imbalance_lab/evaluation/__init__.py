"""Metrics (the registry and their computation), ranking metrics, the test-split report."""
