"""Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics.

Only the replica holding the Lease reconciles. The holder renews `renewTime` every retry period;
others take the Lease only when it is free (holderIdentity cleared by a clean shutdown) or
expired: nobody saw it change for `leaseDurationSeconds`. Every write carries the resourceVersion
that was read, so of two candidates racing for an expired Lease the API server lets exactly one
win (the other gets 409 Conflict). A leader that cannot renew within the renew deadline stops
leading before its Lease can expire, so two leaders never overlap.

Expiry is judged as client-go does: from the local time at which this elector first saw the
current record, not from the timestamps in it, so clock skew between replicas does not matter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from kuberay.controller.kubeapi import KubeAPI
from kubeschema.timestamps import format_micro_time, parse_time

log = logging.getLogger(__name__)

LEASE_DURATION = timedelta(seconds=15)
RENEW_DEADLINE = timedelta(seconds=10)
RETRY_PERIOD = timedelta(seconds=2)
JITTER_FACTOR = 1.2  # client-go's wait.JitterUntil factor while acquiring
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class ActionKind(Enum):
    CREATE = "create"  # no Lease yet: create it holding it
    ACQUIRE = "acquire"  # free or expired: take it over (a leader transition)
    RENEW = "renew"  # ours: push renewTime forward
    WAIT = "wait"  # someone else holds a live Lease


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    # The whole Lease to create or replace (it keeps the resourceVersion that was read); None to wait.
    lease: dict[str, Any] | None = None

    @property
    def leads(self) -> bool:
        """Whether the write, if it succeeds, makes (or keeps) us the leader."""
        return self.kind is not ActionKind.WAIT


def holder(lease: dict[str, Any] | None) -> str:
    if not lease:
        return ""
    return str((lease.get("spec") or {}).get("holderIdentity") or "")


def record_key(lease: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """What identifies one renewal: a changed key means the holder is alive."""
    if lease is None:
        return None
    spec = lease.get("spec") or {}
    return (holder(lease), str(spec.get("renewTime") or ""), str(spec.get("acquireTime") or ""))


def expires_at(lease: dict[str, Any], observed_at: datetime | None, duration: timedelta) -> datetime | None:
    """When the current record expires: `observed_at` (or its own renewTime) plus its duration."""
    spec = lease.get("spec") or {}
    seconds = spec.get("leaseDurationSeconds")
    ttl = timedelta(seconds=int(seconds)) if isinstance(seconds, int) and seconds > 0 else duration
    base = observed_at or parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
    return None if base is None else base + ttl


def decide(
    lease: dict[str, Any] | None,
    me: str,
    now: datetime,
    *,
    observed_at: datetime | None = None,
    duration: timedelta = LEASE_DURATION,
    name: str = "kuberay-operator",
    namespace: str = "default",
) -> Action:
    """What to do with the Lease as read (`None`: it does not exist).

    `observed_at` is when this elector first saw the Lease's current record (client-go's
    observedTime); without it the Lease's own renewTime is trusted.
    """
    stamp = format_micro_time(now)
    seconds = int(duration.total_seconds())
    if lease is None:
        return Action(
            ActionKind.CREATE,
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "holderIdentity": me,
                    "leaseDurationSeconds": seconds,
                    "acquireTime": stamp,
                    "renewTime": stamp,
                    "leaseTransitions": 0,
                },
            },
        )
    current = holder(lease)
    spec = dict(lease.get("spec") or {})
    transitions = spec.get("leaseTransitions") or 0
    if current == me:
        spec.update(holderIdentity=me, leaseDurationSeconds=seconds, renewTime=stamp)
        spec.setdefault("acquireTime", stamp)
        spec["leaseTransitions"] = transitions
        return Action(ActionKind.RENEW, {**lease, "spec": spec})
    if current:
        expiry = expires_at(lease, observed_at, duration)
        if expiry is None or now < expiry:
            return Action(ActionKind.WAIT)
    spec.update(
        holderIdentity=me,
        leaseDurationSeconds=seconds,
        acquireTime=stamp,
        renewTime=stamp,
        # client-go counts every acquisition by a non-leader, a released Lease's too
        leaseTransitions=transitions + 1,
    )
    return Action(ActionKind.ACQUIRE, {**lease, "spec": spec})


def released(lease: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The Lease as a clean shutdown leaves it: no holder, so a standby takes it at once."""
    spec = dict(lease.get("spec") or {})
    spec.pop("holderIdentity", None)
    stamp = format_micro_time(now)
    spec.update(leaseDurationSeconds=1, renewTime=stamp, acquireTime=stamp)
    return {**lease, "spec": spec}


# --------------------------------------------------------------------------------------------- I/O


class LeaseConflict(Exception):
    """409: someone else wrote the Lease (or created it) since we read it."""


class LeaseClient(Protocol):
    async def get(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def create(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def replace(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]: ...


class LeaseAPIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class ApiLeaseClient:
    """LeaseClient over a kubernetes_asyncio ApiClient (raw JSON, no model conversion).

    After a 401 or a failed connection the client is dropped and `reconnect` (if given) loads the
    credentials afresh for the next request: an API server that came back with a new token or CA
    would otherwise refuse this elector forever, and a standby would never take over.
    """

    def __init__(self, api_client: Any, reconnect: Callable[[], Awaitable[Any]] | None = None) -> None:
        self.api = KubeAPI(api_client)
        self.reconnect = reconnect
        self._stale = False
        self._owned: list[Any] = []  # clients this elector made (the first one is the caller's)

    async def close(self) -> None:
        for api_client in self._owned:
            with contextlib.suppress(Exception):
                await api_client.close()
        self._owned.clear()

    def _path(self, namespace: str, name: str | None = None) -> str:
        path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        return path if name is None else f"{path}/{name}"

    async def _call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        if self._stale and self.reconnect is not None:
            fresh = await self.reconnect()  # raises while the credentials cannot be loaded: one failed try
            for old in self._owned:
                with contextlib.suppress(Exception):
                    await old.close()
            self._owned = [fresh]
            self.api = KubeAPI(fresh)
            self._stale = False
        try:
            status, payload = await self.api.raw(method, path, "Lease", body)
        except (aiohttp.ClientError, OSError):
            self._stale = True  # refused connection, a CA that no longer matches
            raise
        if status == 401:
            self._stale = True
        return status, payload

    def _check(self, status: int, payload: dict[str, Any]) -> dict[str, Any]:
        if status == 409:
            raise LeaseConflict(str(payload.get("message", "")))
        if not 200 <= status < 300:
            raise LeaseAPIError(status, str(payload.get("message", payload)))
        return payload

    async def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        status, payload = await self._call("GET", self._path(namespace, name))
        if status == 404:
            return None
        return self._check(status, payload)

    async def create(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._check(*await self._call("POST", self._path(namespace), body))

    async def replace(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._check(*await self._call("PUT", self._path(namespace, name), body))


def default_identity() -> str:
    """The pod's name (its hostname) plus a random suffix, as controller-runtime makes it, so two
    processes on one host never share an identity."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def default_namespace() -> str:
    """The pod's own namespace (service-account namespace file), else `default`."""
    with contextlib.suppress(OSError):
        text = NAMESPACE_FILE.read_text().strip()
        if text:
            return text
    return os.environ.get("POD_NAMESPACE") or "default"


class LeaderElector:
    """Runs client-go's acquire/renew loop; `is_leader` is set exactly while we hold the Lease."""

    def __init__(
        self,
        client: LeaseClient,
        *,
        name: str = "kuberay-operator",
        namespace: str = "default",
        identity: str | None = None,
        lease_duration: timedelta = LEASE_DURATION,
        renew_deadline: timedelta = RENEW_DEADLINE,
        retry_period: timedelta = RETRY_PERIOD,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period * JITTER_FACTOR:
            raise ValueError("need leaseDuration > renewDeadline > retryPeriod * 1.2, as client-go does")
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity or default_identity()
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.transitions = 0  # how often we became leader (for logs and tests)
        self._observed: tuple[tuple[str, str, str] | None, datetime] | None = None
        self._lease: dict[str, Any] | None = None  # the last Lease we read or wrote

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    def _observed_at(self, lease: dict[str, Any] | None, now: datetime) -> datetime:
        key = record_key(lease)
        if self._observed is None or self._observed[0] != key:
            self._observed = (key, now)
        return self._observed[1]

    async def try_acquire_or_renew(self) -> bool:
        """One attempt, as client-go's tryAcquireOrRenew: True when we hold the Lease after it."""
        lease = await self.client.get(self.namespace, self.name)
        now = self._now()
        observed_at = self._observed_at(lease, now)
        action = decide(
            lease,
            self.identity,
            now,
            observed_at=observed_at,
            duration=self.lease_duration,
            name=self.name,
            namespace=self.namespace,
        )
        self._lease = lease
        if action.lease is None:
            return False
        try:
            if action.kind is ActionKind.CREATE:
                written = await self.client.create(self.namespace, action.lease)
            else:
                written = await self.client.replace(self.namespace, self.name, action.lease)
        except LeaseConflict:
            return False  # someone else wrote first; read again next round
        self._lease = written
        self._observed = (record_key(written), now)
        return True

    async def _attempt(self) -> bool:
        try:
            async with asyncio.timeout(self.renew_deadline.total_seconds()):
                return await self.try_acquire_or_renew()
        except TimeoutError:
            log.warning("leader election: the API server did not answer within the renew deadline")
        except Exception as e:  # any API failure is one failed attempt, as in client-go
            log.warning("leader election: %s", e)
        return False

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def _acquire(self, stop: asyncio.Event) -> bool:
        log.info("leader election: %s tries to acquire lease %s/%s", self.identity, self.namespace, self.name)
        while not stop.is_set():
            if await self._attempt():
                return True
            jitter = 1 + random.random() * JITTER_FACTOR
            await self._sleep(stop, self.retry_period.total_seconds() * jitter)
        return False

    async def _renew(self, stop: asyncio.Event) -> None:
        """Returns when stop is set or when renewing failed for a whole renew deadline."""
        loop = asyncio.get_running_loop()
        last_renewed = loop.time()
        while not stop.is_set():
            await self._sleep(stop, self.retry_period.total_seconds())
            if stop.is_set():
                return
            if await self._attempt():
                last_renewed = loop.time()
                continue
            if holder(self._lease) not in ("", self.identity):
                log.warning("leader election: lease taken by %s", holder(self._lease))
                return
            if loop.time() - last_renewed >= self.renew_deadline.total_seconds():
                log.warning("leader election: failed to renew within %s", self.renew_deadline)
                return

    async def release(self) -> None:
        """Clear holderIdentity if we still hold the Lease, so a standby takes over at once."""
        try:
            lease = await self.client.get(self.namespace, self.name)
            if lease is None or holder(lease) != self.identity:
                return
            await self.client.replace(self.namespace, self.name, released(lease, self._now()))
            log.info("leader election: %s released lease %s/%s", self.identity, self.namespace, self.name)
        except Exception as e:  # shutting down anyway; the Lease simply expires
            log.warning("leader election: release failed: %s", e)

    async def run(
        self, is_leader: asyncio.Event, stop: asyncio.Event, lost: asyncio.Event | None = None
    ) -> None:
        """Acquire, hold and, on loss, try again, until `stop`; then release the Lease.

        `is_leader` is cleared before anything else happens on loss, so the caller can stop
        writing at once; `lost`, if given, is set then too (an event to wait on).
        """
        try:
            while not stop.is_set():
                if not await self._acquire(stop):
                    break
                self.transitions += 1
                log.info("leader election: %s became leader", self.identity)
                is_leader.set()
                await self._renew(stop)
                is_leader.clear()
                if lost is not None:
                    lost.set()
                if not stop.is_set():
                    log.warning("leader election: %s lost leadership", self.identity)
        finally:
            is_leader.clear()
        if stop.is_set():
            await self.release()


async def run_while_leading(
    elector: LeaderElector,
    work: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
    stop: asyncio.Event,
) -> bool:
    """Wait for leadership, then run `work(work_stop)` while we lead (controller-runtime's manager).

    `work_stop` is set the moment leadership is lost or `stop` is set; `work` must return soon
    after. Returns True after a clean stop, False when leadership was lost: like controller-runtime,
    the caller should then exit, so that it restarts as a standby with clean caches.
    """
    is_leader, lost, elector_stop, work_stop = (asyncio.Event() for _ in range(4))
    election = asyncio.create_task(elector.run(is_leader, elector_stop, lost), name="leader-election")
    waiters: list[asyncio.Task[Any]] = []

    async def first(*aws: Awaitable[Any]) -> None:
        tasks = [asyncio.ensure_future(a) for a in aws]
        waiters.extend(tasks)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    try:
        await first(is_leader.wait(), stop.wait(), election)
        if stop.is_set() or not is_leader.is_set():
            return True
        worker = asyncio.create_task(work(work_stop), name="leading-work")
        waiters.append(worker)
        await first(worker, stop.wait(), lost.wait())
        work_stop.set()
        await worker  # re-raises what the work raised
        return not lost.is_set() or stop.is_set()
    finally:
        work_stop.set()
        elector_stop.set()
        for task in waiters:
            if task is not election:
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await election
