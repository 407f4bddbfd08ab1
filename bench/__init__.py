"""Benchmarks: ``python -m bench``. Nothing leaves 127.0.0.1; every loop is bounded."""
