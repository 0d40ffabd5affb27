"""JSON for what graphs produce: LangChain messages in their plain dict form, pydantic models,
dataclasses, LangGraph's `Send`/`Command`/`Interrupt`, anything else as its string."""

from __future__ import annotations

from typing import Any

import orjson
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseMessage):
        return obj.model_dump()
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    if hasattr(obj, "_asdict"):
        return obj._asdict()
    slots = getattr(type(obj), "__slots__", None)
    if slots:
        return {name: getattr(obj, name, None) for name in slots if not name.startswith("_")}
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def to_jsonable(obj: Any) -> Any:
    """The same value as plain JSON types, e.g. for a JSONB column or a response model."""
    return orjson.loads(dumps(obj))
