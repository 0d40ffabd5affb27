"""Repositories: the runtime's only way to reach stored data.

Every method takes the caller's identity as `owner` (`None` when auth is off, meaning no
filtering). The in-memory and Postgres implementations must behave identically; the same test
suite runs against both.
"""
