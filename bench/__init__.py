"""Benchmarks of COPN pages against a bare Flask baseline: ``python -m bench``."""
