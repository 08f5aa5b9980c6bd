"""client-go's leader-election rules, as the pure decision over one read of the Lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kuberay.controller.leader import (
    ActionKind,
    LeaderElector,
    decide,
    format_micro_time,
    parse_time,
    released,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def lease(
    holder: str | None, renewed: datetime, *, duration: int = 15, transitions: int = 3
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "leaseDurationSeconds": duration,
        "acquireTime": format_micro_time(renewed - timedelta(minutes=5)),
        "renewTime": format_micro_time(renewed),
        "leaseTransitions": transitions,
    }
    if holder is not None:
        spec["holderIdentity"] = holder
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "kuberay-operator", "namespace": "ray-system", "resourceVersion": "42"},
        "spec": spec,
    }


def test_no_lease_creates_one_held_by_me_with_zero_transitions() -> None:
    action = decide(None, "me", T0, name="kuberay-operator", namespace="ray-system")
    assert action.kind is ActionKind.CREATE and action.leads
    assert action.lease is not None
    assert action.lease["metadata"] == {"name": "kuberay-operator", "namespace": "ray-system"}
    assert action.lease["spec"] == {
        "holderIdentity": "me",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-01-02T03:04:05.123456Z",
        "renewTime": "2026-01-02T03:04:05.123456Z",
        "leaseTransitions": 0,
    }


@pytest.mark.parametrize("age", [timedelta(0), timedelta(seconds=5), timedelta(seconds=14.9)])
def test_someone_elses_live_lease_is_left_alone(age: timedelta) -> None:
    action = decide(lease("other", T0), "me", T0 + age)
    assert action.kind is ActionKind.WAIT and not action.leads and action.lease is None


@pytest.mark.parametrize("age", [timedelta(seconds=15), timedelta(seconds=16), timedelta(hours=1)])
def test_an_expired_lease_is_taken_over_as_a_transition(age: timedelta) -> None:
    now = T0 + age
    action = decide(lease("other", T0), "me", now)
    assert action.kind is ActionKind.ACQUIRE and action.lease is not None
    spec = action.lease["spec"]
    assert spec["holderIdentity"] == "me"
    assert spec["acquireTime"] == spec["renewTime"] == format_micro_time(now)
    assert spec["leaseTransitions"] == 4
    # the write is conditional on what was read: a racing candidate gets 409
    assert action.lease["metadata"]["resourceVersion"] == "42"


def test_the_lease_duration_written_in_the_lease_decides_expiry() -> None:
    short = lease("other", T0, duration=5)
    assert decide(short, "me", T0 + timedelta(seconds=4)).kind is ActionKind.WAIT
    assert decide(short, "me", T0 + timedelta(seconds=5)).kind is ActionKind.ACQUIRE


@pytest.mark.parametrize("holder", [None, ""])
def test_a_released_lease_is_taken_at_once(holder: str | None) -> None:
    action = decide(lease(holder, T0), "me", T0)
    assert action.kind is ActionKind.ACQUIRE
    assert action.lease is not None and action.lease["spec"]["holderIdentity"] == "me"


def test_my_own_lease_is_renewed_keeping_acquire_time_and_transitions() -> None:
    mine = lease("me", T0)
    now = T0 + timedelta(seconds=2)
    action = decide(mine, "me", now)
    assert action.kind is ActionKind.RENEW and action.lease is not None
    spec = action.lease["spec"]
    assert spec["renewTime"] == format_micro_time(now)
    assert spec["acquireTime"] == mine["spec"]["acquireTime"]
    assert spec["leaseTransitions"] == 3
    assert action.lease["metadata"]["resourceVersion"] == "42"


def test_my_own_lease_is_renewed_even_after_it_expired() -> None:
    # nobody took it meanwhile, so we still lead: renew, not a new transition
    action = decide(lease("me", T0), "me", T0 + timedelta(minutes=1))
    assert action.kind is ActionKind.RENEW
    assert action.lease is not None and action.lease["spec"]["leaseTransitions"] == 3


def test_expiry_counts_from_when_we_observed_the_record_not_from_its_clock() -> None:
    # The holder's clock is an hour behind ours: its renewTime looks ancient, but we only just saw
    # this record, so it is live for a full duration from our observation (client-go's observedTime).
    skewed = lease("other", T0 - timedelta(hours=1))
    assert decide(skewed, "me", T0, observed_at=T0).kind is ActionKind.WAIT
    assert decide(skewed, "me", T0 + timedelta(seconds=14), observed_at=T0).kind is ActionKind.WAIT
    assert decide(skewed, "me", T0 + timedelta(seconds=15), observed_at=T0).kind is ActionKind.ACQUIRE


def test_release_clears_the_holder_so_the_next_decision_acquires() -> None:
    freed = released(lease("me", T0), T0)
    assert "holderIdentity" not in freed["spec"]
    assert freed["spec"]["leaseTransitions"] == 3
    assert decide(freed, "standby", T0).kind is ActionKind.ACQUIRE


def test_micro_time_round_trips() -> None:
    assert parse_time(format_micro_time(T0)) == T0
    assert parse_time("2026-01-02T03:04:05Z") == T0.replace(microsecond=0)
    assert parse_time("") is None and parse_time("garbage") is None


def test_elector_refuses_timings_client_go_refuses() -> None:
    class NoClient:
        async def get(self, namespace: str, name: str) -> dict[str, Any] | None:
            raise AssertionError

        async def create(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
            raise AssertionError

        async def replace(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
            raise AssertionError

    with pytest.raises(ValueError):
        LeaderElector(NoClient(), lease_duration=timedelta(seconds=10), renew_deadline=timedelta(seconds=10))
    with pytest.raises(ValueError):
        LeaderElector(NoClient(), renew_deadline=timedelta(seconds=2), retry_period=timedelta(seconds=2))
