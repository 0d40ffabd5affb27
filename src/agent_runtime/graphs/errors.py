"""Why a graph could not be built for a run.

    ValueError
    ├── GraphConfigError   configurable holds an invalid value
    └── ModelConfigError   no usable model: unknown provider, missing key or endpoint
    LookupError
    └── UnknownGraphError  no graph registered under the id

They are plain Python errors so the graph layer stays independent of HTTP; the runtime
decides how each one is rendered.
"""

from __future__ import annotations


class GraphConfigError(ValueError):
    """A `configurable` value failed validation; the message names the field."""


class ModelConfigError(ValueError):
    """The model cannot be created; the message says which setting to provide."""


class UnknownGraphError(LookupError):
    """No graph is registered under the requested id."""

    def __init__(self, graph_id: str, known: list[str]) -> None:
        super().__init__(f"Graph '{graph_id}' not found. Known graphs: {', '.join(known)}")
        self.graph_id = graph_id
