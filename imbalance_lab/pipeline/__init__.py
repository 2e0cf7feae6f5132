"""Running stages: the stage runner, artifact files and their paths, the workspace later stages share,
leakage guards, training curves."""
