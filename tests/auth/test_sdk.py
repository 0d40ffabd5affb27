"""The official Python SDK, passing each user's token, against a spawned server that
verifies HS256 tokens locally and ES256 tokens through a (fake) project JWKS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import AuthenticationError, NotFoundError

from tests.auth.conftest import GRAPHS, bearer
from tests.auth.fake_supabase import FakeSupabase
from tests.auth.tokens import SECRET, SigningKey, hs256
from tests.support.server import ServerProcess

PROJECT_KEY = SigningKey("EC")


@pytest.fixture(scope="module")
def auth_server(fake_supabase: FakeSupabase) -> Iterator[ServerProcess]:
    fake_supabase.jwks = [PROJECT_KEY.jwk]
    env = {
        "SUPABASE_JWT_SECRET": SECRET,
        "SUPABASE_URL": fake_supabase.url,
        "SUPABASE_KEY": "anon",
        "AGENT_RUNTIME_GRAPHS": json.dumps(GRAPHS),
    }
    proc = ServerProcess(env=env).start()
    try:
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.log()
    # Neither the secret nor any token (every JWT starts "eyJ") reaches the log.
    assert SECRET not in proc.log()
    assert "eyJ" not in proc.log()


def client_for(server: ServerProcess, token: str | None) -> LangGraphClient:
    return get_client(url=server.url, headers=bearer(token) if token else None)


async def test_sdk_users_are_isolated(auth_server: ServerProcess) -> None:
    alice_id, bob_id = str(uuid.uuid4()), str(uuid.uuid4())
    alice_token = hs256(sub=alice_id, email="alice@example.com")
    alice = client_for(auth_server, alice_token)
    bob = client_for(auth_server, PROJECT_KEY.sign(sub=bob_id))  # verified through JWKS

    thread = await alice.threads.create(metadata={"owner": bob_id, "topic": "x"})
    assert thread["metadata"] == {"owner": alice_id, "topic": "x"}
    assistant = await alice.assistants.create("demo", name="private")
    result = await alice.runs.wait(thread["thread_id"], "whoami", input={})
    assert isinstance(result, dict)
    assert result["caller"]["langgraph_auth_user"] == {
        "identity": alice_id,
        "email": "alice@example.com",
        "metadata": {"name": "Test"},
    }
    run = (await alice.runs.list(thread["thread_id"]))[0]

    for call in (
        bob.threads.get(thread["thread_id"]),
        bob.threads.update(thread["thread_id"], metadata={"x": 1}),
        bob.threads.get_state(thread["thread_id"]),
        bob.assistants.get(assistant["assistant_id"]),
        bob.runs.get(thread["thread_id"], run["run_id"]),
        bob.runs.join(thread["thread_id"], run["run_id"]),
        bob.runs.create(thread["thread_id"], "demo", input={}),
    ):
        # Some SDK calls raise NotFoundError, others (join) the plain httpx error it extends.
        with pytest.raises(httpx.HTTPStatusError) as caught:
            await call
        assert caught.value.response.status_code == 404
    with pytest.raises(NotFoundError):
        async for _ in bob.runs.stream(thread["thread_id"], "whoami", input={}):
            pass
    assert await bob.threads.search(metadata={"topic": "x"}) == []
    assert await bob.assistants.search(metadata={"owner": alice_id}) == []
    assert (await alice.threads.get(thread["thread_id"]))["metadata"]["owner"] == alice_id

    mine = await bob.threads.create()
    assert mine["metadata"]["owner"] == bob_id


async def test_sdk_without_or_with_bad_token_is_refused(auth_server: ServerProcess) -> None:
    for token in (None, hs256(exp=1), SigningKey("EC", kid=PROJECT_KEY.kid).sign()):
        with pytest.raises(AuthenticationError) as caught:
            await client_for(auth_server, token).threads.create()
        assert caught.value.response.headers["www-authenticate"] == "Bearer"
    info = await client_for(auth_server, None).http.get("/info")
    assert info["config"]["supabase_configured"] is True
