"""Leader election against localkube's real API server: optimistic concurrency decides who leads."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from kuberay.controller.leader import ApiLeaseClient, LeaderElector, holder, run_while_leading
from localkube.apiserver.server import APIServer
from support.waiting import wait_for_async

# Short, so the tests wait seconds, not the production 15 s.
FAST = {
    "lease_duration": timedelta(seconds=3),
    "renew_deadline": timedelta(seconds=2),
    "retry_period": timedelta(seconds=0.5),
}


@pytest.fixture
async def lease_client(kubeconfig: Path) -> AsyncIterator[ApiLeaseClient]:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration=configuration) as api:
        yield ApiLeaseClient(api)


class Candidate:
    """One operator replica's elector, run as a task with its own stop flag."""

    def __init__(self, lease_client: ApiLeaseClient, identity: str, **timing: timedelta) -> None:
        self.elector = LeaderElector(
            lease_client, name="kuberay-operator", namespace="default", identity=identity, **timing
        )
        self.is_leader = asyncio.Event()
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.elector.run(self.is_leader, self.stop))

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=30)

    def crash(self) -> None:
        """Die without releasing: the Lease stays held until it expires."""
        self.task.cancel()


@contextlib.asynccontextmanager
async def candidates(
    lease_client: ApiLeaseClient, *names: str, **timing: timedelta
) -> AsyncIterator[list[Candidate]]:
    started = [Candidate(lease_client, n, **timing) for n in names]
    try:
        yield started
    finally:
        for c in started:
            c.stop.set()
            c.task.cancel()
        await asyncio.gather(*(c.task for c in started), return_exceptions=True)


async def test_of_two_candidates_exactly_one_leads_and_holds_the_lease(
    apiserver: APIServer, lease_client: ApiLeaseClient
) -> None:
    async with candidates(lease_client, "replica-a", "replica-b", **FAST) as (a, b):
        await wait_for_async("a leader", lambda: a.is_leader.is_set() or b.is_leader.is_set())
        # watch them through several renewals (> one lease duration): never two leaders
        for _ in range(100):
            assert not (a.is_leader.is_set() and b.is_leader.is_set())
            await asyncio.sleep(0.05)
        leader, standby = (a, b) if a.is_leader.is_set() else (b, a)
        assert not standby.is_leader.is_set()
        lease = await lease_client.get("default", "kuberay-operator")
        assert holder(lease) == leader.elector.identity
        assert lease is not None and lease["spec"]["leaseDurationSeconds"] == 3


async def test_a_stopped_leader_releases_and_the_standby_takes_over_before_expiry(
    apiserver: APIServer, lease_client: ApiLeaseClient
) -> None:
    # A long lease: only the release on shutdown can explain a quick handover.
    slow = {
        "lease_duration": timedelta(seconds=120),
        "renew_deadline": timedelta(seconds=10),
        "retry_period": timedelta(seconds=0.5),
    }
    async with candidates(lease_client, "replica-a", **slow) as (a,):
        await wait_for_async("a leads", a.is_leader.is_set)
        async with candidates(lease_client, "replica-b", **slow) as (b,):
            await asyncio.sleep(1.5)  # b has tried, and waits
            assert not b.is_leader.is_set()
            await a.shutdown()
            assert not a.is_leader.is_set()
            await wait_for_async("b takes over", b.is_leader.is_set, timeout=60)
            lease = await lease_client.get("default", "kuberay-operator")
            assert holder(lease) == "replica-b"
            assert lease is not None and lease["spec"]["leaseTransitions"] == 1


async def test_a_crashed_leader_is_replaced_once_its_lease_expires(
    apiserver: APIServer, lease_client: ApiLeaseClient
) -> None:
    async with candidates(lease_client, "replica-a", **FAST) as (a,):
        await wait_for_async("a leads", a.is_leader.is_set)
        async with candidates(lease_client, "replica-b", **FAST) as (b,):
            a.crash()
            await wait_for_async("b takes over after expiry", b.is_leader.is_set)
            lease = await lease_client.get("default", "kuberay-operator")
            assert holder(lease) == "replica-b"


async def test_a_leader_whose_lease_is_taken_stops_leading(
    apiserver: APIServer, lease_client: ApiLeaseClient
) -> None:
    async with candidates(lease_client, "replica-a", **FAST) as (a,):
        await wait_for_async("a leads", a.is_leader.is_set)
        # someone (an admin, a partitioned peer that won) rewrites the Lease to another holder
        lease = await lease_client.get("default", "kuberay-operator")
        assert lease is not None
        lease["spec"]["holderIdentity"] = "intruder"
        await lease_client.replace("default", "kuberay-operator", lease)
        await wait_for_async("a steps down", lambda: not a.is_leader.is_set())


class Replica:
    """An operator replica whose 'reconciling' is recorded, to show that only one ever runs."""

    def __init__(
        self, lease_client: ApiLeaseClient, identity: str, active: set[str], overlaps: list[set[str]]
    ) -> None:
        self.identity = identity
        self.stop = asyncio.Event()
        self.elector = LeaderElector(lease_client, namespace="default", identity=identity, **FAST)
        self.active, self.overlaps = active, overlaps
        self.worked = asyncio.Event()
        self.task = asyncio.create_task(run_while_leading(self.elector, self.work, self.stop))

    async def work(self, work_stop: asyncio.Event) -> None:
        self.active.add(self.identity)
        self.worked.set()
        try:
            while not work_stop.is_set():
                if len(self.active) > 1:
                    self.overlaps.append(set(self.active))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(work_stop.wait(), 0.05)
        finally:
            self.active.discard(self.identity)


async def test_only_the_leader_works_and_a_stopped_leader_hands_over(
    apiserver: APIServer, lease_client: ApiLeaseClient
) -> None:
    active: set[str] = set()
    overlaps: list[set[str]] = []
    a = Replica(lease_client, "replica-a", active, overlaps)
    await wait_for_async("a works", a.worked.is_set)
    b = Replica(lease_client, "replica-b", active, overlaps)
    try:
        await asyncio.sleep(1.5)
        assert active == {"replica-a"}
        a.stop.set()
        assert await asyncio.wait_for(a.task, 30) is True  # a clean stop
        await wait_for_async("b works", b.worked.is_set)
        assert active == {"replica-b"}
        assert not overlaps
    finally:
        for r in (a, b):
            r.stop.set()
        await asyncio.gather(a.task, b.task, return_exceptions=True)


async def test_work_stops_when_leadership_is_lost(apiserver: APIServer, lease_client: ApiLeaseClient) -> None:
    active: set[str] = set()
    a = Replica(lease_client, "replica-a", active, [])
    try:
        await wait_for_async("a works", a.worked.is_set)
        lease = await lease_client.get("default", "kuberay-operator")
        assert lease is not None
        lease["spec"]["holderIdentity"] = "intruder"
        await lease_client.replace("default", "kuberay-operator", lease)
        assert await asyncio.wait_for(a.task, 30) is False  # lost: the process should exit
        assert not active
    finally:
        a.stop.set()
        await asyncio.gather(a.task, return_exceptions=True)
