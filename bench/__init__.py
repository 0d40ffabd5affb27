"""Benchmarks of the runtime against its floors: `uv run python bench/run.py`."""
