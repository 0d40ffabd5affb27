"""Local fakes of external services for tests and benchmarks.

Import from the modules (`tests.fakes.providers`), so `python -m tests.fakes.providers` runs
without the package having loaded that module first.
"""
