"""The kubelet's crash-loop back-off (pure): the first crash restarts at once, then the wait starts
at `base` and doubles up to `cap`; a container that ran for twice the cap starts over."""

from __future__ import annotations


def next_delay(previous: float, ran_for: float, base: float, cap: float) -> tuple[float, float]:
    """(delay before this restart, back-off state to keep for the next one)."""
    if ran_for > 2 * cap:
        previous = 0.0
    following = base if previous == 0 else min(previous * 2, cap)
    return previous, following
