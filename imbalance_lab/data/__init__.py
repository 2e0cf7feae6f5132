"""Labelled rows in: reading data sources, label sets, splitting, row identity."""
