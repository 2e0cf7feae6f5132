"""`make bench`: where time and memory go, each stage against the limit of the library under it."""
