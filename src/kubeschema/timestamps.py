"""Kubernetes' wire forms of a point in time, written once for both products.

`metav1.Time` is RFC 3339 in UTC with whole seconds ("2026-01-02T03:04:05Z"); `metav1.MicroTime`
(Leases, events.k8s.io Events) keeps microseconds. Parsing accepts either, and any offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MICRO_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(t: datetime) -> str:
    """metav1.Time's wire format (whole seconds, UTC)."""
    return t.astimezone(UTC).strftime(TIME_FORMAT)


def format_micro_time(t: datetime) -> str:
    """metav1.MicroTime's wire format (microseconds, UTC)."""
    return t.astimezone(UTC).strftime(MICRO_TIME_FORMAT)


def now_time() -> str:
    """The current time as metav1.Time."""
    return format_time(datetime.now(UTC))


def time_in(seconds: float) -> str:
    """`seconds` from now as metav1.Time (expiry stamps). A grace period may be up to 2**63
    seconds, so the stamp saturates instead of overflowing."""
    try:
        return format_time(datetime.now(UTC) + timedelta(seconds=seconds))
    except OverflowError:
        return format_time(datetime.max.replace(tzinfo=UTC))


def parse_time(value: Any) -> datetime | None:
    """A Time or MicroTime as an aware datetime (no offset means UTC); None when absent or not a
    timestamp, since stored objects may hold anything there."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
