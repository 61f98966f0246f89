"""Measurements behind the figures in docs/: run each from the repository root as a module
(``python -m benchmarks.pixel_latency``); data locations come from ``training.locations``."""
