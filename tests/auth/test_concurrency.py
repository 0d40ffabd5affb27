"""Two users' requests interleaved on one event loop never see each other's identity."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx

from tests.auth.conftest import bearer
from tests.auth.tokens import hs256


async def test_interleaved_requests_keep_their_owner(app_http: httpx.AsyncClient) -> None:
    users = [str(uuid.uuid4()), str(uuid.uuid4())]
    headers = {user: bearer(hs256(sub=user)) for user in users}
    tag = uuid.uuid4().hex

    async def create(user: str, n: int) -> tuple[str, dict[str, Any]]:
        other = users[1] if user == users[0] else users[0]
        # The client's claim to be the other user is overwritten by the token's identity.
        body = {"metadata": {"owner": other, "tag": tag, "n": n}}
        response = await app_http.post("/threads", json=body, headers=headers[user])
        assert response.status_code == 200, response.text
        return user, response.json()

    jobs = [create(users[i % 2], i) for i in range(300)]
    random.Random(7).shuffle(jobs)
    for user, thread in await asyncio.gather(*jobs):
        assert thread["metadata"]["owner"] == user

    async def search(user: str) -> tuple[str, list[dict[str, Any]]]:
        body = {"metadata": {"tag": tag}, "limit": 1000}
        response = await app_http.post("/threads/search", json=body, headers=headers[user])
        return user, response.json()

    for user, found in await asyncio.gather(*(search(users[i % 2]) for i in range(60))):
        assert len(found) == 150
        assert {t["metadata"]["owner"] for t in found} == {user}


async def test_concurrent_runs_reach_the_graph_as_their_caller(
    app_http: httpx.AsyncClient,
) -> None:
    users = [str(uuid.uuid4()) for _ in range(2)]
    tokens = {user: hs256(sub=user, email=f"{user}@example.com") for user in users}

    async def run(user: str) -> tuple[str, dict[str, Any]]:
        response = await app_http.post(
            "/runs/wait",
            json={"assistant_id": "whoami", "input": {}},
            headers=bearer(tokens[user]),
        )
        assert response.status_code == 200, response.text
        return user, response.json()["caller"]

    for user, caller in await asyncio.gather(*(run(users[i % 2]) for i in range(40))):
        assert caller["owner"] == user
        assert caller["langgraph_auth_user"]["identity"] == user
        assert caller["langgraph_auth_user"]["email"] == f"{user}@example.com"
        assert caller["token"] == tokens[user]


async def test_the_callers_token_reaches_the_graph_but_not_the_stored_run(
    app_http: httpx.AsyncClient,
) -> None:
    user = str(uuid.uuid4())
    token = hs256(sub=user)
    thread = (await app_http.post("/threads", json={}, headers=bearer(token))).json()
    response = await app_http.post(
        f"/threads/{thread['thread_id']}/runs/wait",
        json={
            "assistant_id": "whoami",
            "input": {},
            "config": {
                "configurable": {"custom_api_key": "sk-per-run", "tone": "dry", "max_tokens": 9}
            },
        },
        headers={**bearer(token), "x-session-token": "tok-123"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["caller"]["token"] == token

    runs = await app_http.get(f"/threads/{thread['thread_id']}/runs", headers=bearer(token))
    stored = runs.json()[0]["kwargs"]["config"]["configurable"]
    assert stored["tone"] == "dry" and stored["max_tokens"] == 9
    assert not {"x-supabase-access-token", "custom_api_key", "x-session-token"} & set(stored)
    assert token not in runs.text and "sk-per-run" not in runs.text
