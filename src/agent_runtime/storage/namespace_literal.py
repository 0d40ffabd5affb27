"""Store namespaces as the sibling runtime writes them into `store_items.namespace`.

It stores the labels joined with `.` as a one-element Postgres text-array literal
(`("org", "u1")` -> `{org.u1}`), which is what `array_out` prints for `ARRAY['org.u1']`: the
element is double-quoted, with `"` and `\\` backslash-escaped, when it is empty, spells `NULL`,
or contains a brace, quote, backslash, comma or white space.
"""

from __future__ import annotations

import re

from agent_runtime.storage.base import Namespace

# What makes `array_out` quote an element: its delimiter, quoting characters and the
# white space `array_isspace` recognises.
_QUOTE_TRIGGERS = frozenset('{}",\\ \t\n\r\v\f')
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")


def encode_namespace(namespace: Namespace) -> str:
    element = ".".join(namespace)
    if _needs_quotes(element):
        return '{"' + _escape(element) + '"}'
    return "{" + element + "}"


def decode_namespace(literal: str) -> Namespace:
    """The labels of a stored namespace; also reads multi-element and bare dotted forms."""
    if not (literal.startswith("{") and literal.endswith("}")):
        return tuple(literal.split(".")) if literal else ()
    labels: list[str] = []
    for element in _elements(literal[1:-1]):
        labels.extend(element.split("."))
    return tuple(labels)


def prefix_patterns(prefix: Namespace) -> tuple[str, str, str, str]:
    """`(plain, quoted, plain LIKE, quoted LIKE)`: a namespace equal to the prefix is stored
    as one of the first two, a longer one starts like one of the last two."""
    element = ".".join(prefix)
    escaped = _escape(element)
    return (
        "{" + element + "}",
        '{"' + escaped + '"}',
        "{" + escape_like(element) + ".%",
        '{"' + escape_like(escaped) + ".%",
    )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _needs_quotes(element: str) -> bool:
    return (
        not element or element.upper() == "NULL" or any(char in _QUOTE_TRIGGERS for char in element)
    )


def _escape(element: str) -> str:
    return element.replace("\\", "\\\\").replace('"', '\\"')


def _elements(body: str) -> list[str]:
    elements: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == '"':
            value, i = _quoted(body, i + 1)
            elements.append(value)
        else:
            end = body.find(",", i)
            end = len(body) if end < 0 else end
            raw = body[i:end].strip()
            if raw.upper() != "NULL":
                elements.append(_BACKSLASH_ESCAPE.sub(r"\1", raw))
            i = end
        # Skip the delimiter (and any space around it) before the next element.
        while i < len(body) and body[i] in ", \t\n\r\v\f":
            i += 1
    return elements


def _quoted(body: str, i: int) -> tuple[str, int]:
    chars: list[str] = []
    while i < len(body) and body[i] != '"':
        if body[i] == "\\" and i + 1 < len(body):
            i += 1
        chars.append(body[i])
        i += 1
    return "".join(chars), i + 1
