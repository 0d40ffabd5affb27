"""Pydantic models of the wire format: requests are validated by them, responses built from them,
and `/openapi.json` generated from both."""
