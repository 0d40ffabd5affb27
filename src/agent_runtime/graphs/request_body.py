"""A conversation sent around the provider SDKs' request transform.

The OpenAI and Anthropic SDKs walk each request body against its TypedDict types before
sending it, to rename aliased keys and encode file inputs. Neither applies to the plain dicts
LangChain builds for a conversation, but the walk awaits once per value, so its cost follows
the whole history: at 200 messages about 30 ms of CPU per OpenAI request and 18 ms per
Anthropic one, more than the rest of the run. A value given in `extra_body` is merged into
the JSON body after the walk, as it is; an empty list keeps the field's place in the body
(and satisfies the SDK's required arguments), so the bytes sent are the same.
"""

from __future__ import annotations

from typing import Any


def unwalked(params: dict[str, Any], field: str) -> dict[str, Any]:
    """SDK call parameters with `params[field]` moved into `extra_body`, which keeps any
    value the caller put there itself."""
    value = params.get(field)
    if not isinstance(value, list) or not value:
        return params
    extra = params.get("extra_body") or {}
    return {**params, field: [], "extra_body": {field: value, **extra}}
