"""The service's own errors, each carrying the HTTP status it is rendered with.

ApiError
├── BadRequest (400)
├── Unauthorized (401)
├── NotFound (404)
├── Conflict (409)
├── Unprocessable (422)
├── NotImplementedFeature (501)
└── ServiceUnavailable (503)
"""

from __future__ import annotations


class ApiError(Exception):
    status_code = 500

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Unprocessable(ApiError):
    status_code = 422


class NotImplementedFeature(ApiError):
    status_code = 501


class ServiceUnavailable(ApiError):
    status_code = 503
