"""Benchmarks: every stage measured against its floor, at growing scale (``python -m bench``)."""
