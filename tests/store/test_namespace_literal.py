"""The sibling runtime's namespace column format, checked against Postgres's own `array_out`."""

from __future__ import annotations

import pytest

from agent_runtime.storage.base import Namespace
from agent_runtime.storage.namespace_literal import decode_namespace, encode_namespace
from agent_runtime.storage.postgres.connection import Pool

CASES: list[tuple[Namespace, str]] = [
    (("org", "u1", "a1", "tokens"), "{org.u1.a1.tokens}"),
    (("my ns",), '{"my ns"}'),
    (("a", "b,c"), '{"a.b,c"}'),
    (('say "hi"',), '{"say \\"hi\\""}'),
    (("back\\slash",), '{"back\\\\slash"}'),
    (("{brace}",), '{"{brace}"}'),
    (("NULL",), '{"NULL"}'),
    (("null", "x"), "{null.x}"),
    (("tab\there",), '{"tab\there"}'),
    (("ünïcødé", "日本語", "🎉"), "{ünïcødé.日本語.🎉}"),
    ((), '{""}'),
]


@pytest.mark.parametrize(("namespace", "literal"), CASES)
def test_encode_and_decode(namespace: Namespace, literal: str) -> None:
    assert encode_namespace(namespace) == literal
    assert decode_namespace(literal) == (namespace or ("",))


@pytest.mark.parametrize(
    ("literal", "namespace"),
    [
        ("{a,b.c}", ("a", "b", "c")),
        ('{"a b", c}', ("a b", "c")),
        ("a.b", ("a", "b")),
        ("{}", ()),
    ],
)
def test_decode_tolerates_other_shapes(literal: str, namespace: Namespace) -> None:
    assert decode_namespace(literal) == namespace


@pytest.mark.postgres
@pytest.mark.parametrize(("namespace", "literal"), CASES)
async def test_postgres_prints_the_same_literal(
    store_pool: Pool, namespace: Namespace, literal: str
) -> None:
    async with store_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT ARRAY[%s::text]::text AS printed, (%s::text[])[1] AS parsed",
            (".".join(namespace), literal),
        )
        row = await cursor.fetchone()
    assert row is not None
    assert row["printed"] == literal
    assert row["parsed"] == ".".join(namespace)
