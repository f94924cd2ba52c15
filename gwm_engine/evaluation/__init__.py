"""Scoring world models: image and depth metrics (metrics.py) and the held-out quality run
behind `gwm-engine eval` and benchmarks/quality.py (quality.py)."""
