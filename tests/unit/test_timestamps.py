"""Timestamps in responses: ISO 8601, UTC, milliseconds, `Z`, as the sibling runtime writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from agent_runtime.schemas.common import format_timestamp


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 12, 4, 7, 5, 9, 123999, tzinfo=UTC), "2026-12-04T07:05:09.123Z"),
        (datetime(2026, 12, 4, 7, 5, 9, tzinfo=UTC), "2026-12-04T07:05:09.000Z"),
        # Another offset is shown in UTC; a naive value is taken as UTC.
        (
            datetime(2026, 12, 4, 9, 5, 9, 5000, tzinfo=timezone(timedelta(hours=2))),
            "2026-12-04T07:05:09.005Z",
        ),
        (datetime(2026, 12, 4, 7, 5, 9, 999), "2026-12-04T07:05:09.000Z"),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05.000Z"),
    ],
)
def test_timestamps_are_utc_milliseconds_with_z(value: datetime, text: str) -> None:
    assert format_timestamp(value) == text
