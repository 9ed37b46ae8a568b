"""Benchmarks: scripts that print their figures with a ratio against a same-run baseline."""
