"""What /readyz and /healthz say as the watches come and go."""

from __future__ import annotations

from kuberay.controller.health import WatchHealth


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_starting_up_is_alive_but_not_ready_until_the_bound() -> None:
    clock = Clock()
    health = WatchHealth(60, clock)
    assert not health.ready() and health.alive()
    clock.now += 61
    assert not health.alive()  # a start that never lists is stuck


def test_an_outage_fails_readiness_at_once_and_liveness_after_the_bound() -> None:
    clock = Clock()
    health = WatchHealth(60, clock)
    health.synced()
    clock.now += 1000  # serving for a long time does not count against the next outage
    health.lost("API server unreachable")
    assert not health.ready() and health.alive()
    clock.now += 30
    health.lost("401 Unauthorized")  # a second reason in the same outage keeps its start
    assert health.reason == "401 Unauthorized" and health.alive()
    clock.now += 31
    assert not health.alive()
    health.synced()
    assert health.ready() and health.alive()


def test_the_clock_starts_when_the_watches_start() -> None:
    """A standby waits as long as it likes; once leading, it has the full bound to sync."""
    clock = Clock()
    health = WatchHealth(60, clock)
    clock.now += 600
    health.starting()
    clock.now += 30
    assert health.alive() and not health.ready()
