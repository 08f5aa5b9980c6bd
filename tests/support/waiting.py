"""Waiting for a cluster to converge. Tests poll (that is fine in tests, unlike in the code under
test) and fail with what they waited for and the last thing they saw."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def truthy(value: Any) -> bool:
    return bool(value)


def answered(value: Any) -> bool:
    """For checks whose empty list is an answer too: only None and False mean "not yet"."""
    return value is not None and value is not False


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float = 30.0,
    interval: float = 0.1,
    accept: Callable[[Any], bool] = truthy,
) -> Any:
    """Call `check()` until `accept` takes its result, and return that result; fail naming `what`
    and the last result otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if accept(last):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}")


Wait = Callable[..., Any]


def paced(timeout: float, interval: float, accept: Callable[[Any], bool] = truthy) -> Wait:
    """`wait_for` with a suite's own defaults (the one loop; callers may still pass their own)."""

    pace = (timeout, interval)

    def wait(what: str, check: Callable[[], Any], timeout: float = pace[0], interval: float = pace[1]) -> Any:
        return wait_for(what, check, timeout, interval, accept)

    return wait


async def wait_for_async(
    what: str, check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05
) -> Any:
    """`wait_for` for tests whose event loop must keep running meanwhile."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}")
