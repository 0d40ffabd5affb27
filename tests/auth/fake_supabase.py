"""A local stand-in for a Supabase project's auth server: its JWKS document and
`GET /auth/v1/user`, served over real HTTP from a thread."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JWKS_PATH = "/auth/v1/.well-known/jwks.json"
USER_PATH = "/auth/v1/user"


class FakeSupabase:
    def __init__(self) -> None:
        self.jwks: list[dict[str, Any]] = []
        # access token -> the user record Supabase would return for it
        self.users: dict[str, dict[str, Any]] = {}
        self.hits: Counter[str] = Counter()
        self.api_keys: list[str | None] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeSupabase:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.jwks = []
        self.users = {}
        self.hits.clear()
        self.api_keys.clear()

    def add_user(self, token: str, user_id: str, email: str, **metadata: Any) -> None:
        self.users[token] = {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "app_metadata": {"provider": "email"},
            "user_metadata": metadata,
            "created_at": "2026-01-01T00:00:00Z",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.hits[self.path] += 1
                fake.api_keys.append(self.headers.get("apikey"))
                if self.path == JWKS_PATH:
                    self._send(200, {"keys": fake.jwks})
                elif self.path == USER_PATH:
                    self._user()
                else:
                    self._send(404, {"message": "not found"})

            def _user(self) -> None:
                scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                user = fake.users.get(token) if scheme == "Bearer" else None
                if user is None:
                    body = {"code": 403, "error_code": "bad_jwt", "msg": "invalid JWT"}
                    self._send(403, body)
                else:
                    self._send(200, user)

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
