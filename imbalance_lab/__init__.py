"""imbalance-lab: measure which class-imbalance fix actually helps on your data."""
