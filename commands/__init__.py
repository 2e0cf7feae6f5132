"""Commands a user runs by hand (python -m commands.<name>): score, sweep, compare, plots_offline."""
