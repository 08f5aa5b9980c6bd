"""One level-triggered reconcile of one RayCluster: cache -> desired -> act on the difference -> status.

The pass is KubeRay's list of steps (`Reconciler.steps`): autoscaler RBAC, Ingress, auth Secret,
head / headless / serve Services, pods; the first step that fails or acts ends it, then the status
is written. Each step compares a pure builder's or plan's output with the watch-fed cache and
writes only the difference; steady state makes no request at all.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kuberay import metrics
from kuberay.api.defaults import apply_defaults
from kuberay.api.validation import Problem, validate_raycluster
from kuberay.build import (
    BuildOptions,
    PodDeletion,
    ReconcileError,
    build_auth_secret,
    build_autoscaler_rbac,
    build_head_ingress,
    build_head_pod,
    build_head_service,
    build_worker_pod,
    compute_status,
    plan_head,
    plan_workers,
)
from kuberay.build.auth import auth_secret_name, operator_makes_secret
from kuberay.build.ingress import ingress_update
from kuberay.build.naming import HEAD, WORKER
from kuberay.build.scaling import plan_recreate
from kuberay.build.service import build_headless_service, build_serve_service
from kuberay.build.status import (
    FAILED_CREATE_HEAD_POD,
    FAILED_CREATE_WORKER_POD,
    FAILED_DELETE_ALL_PODS,
    FAILED_DELETE_HEAD_POD,
    FAILED_DELETE_WORKER_POD,
    status_change_may_wait,
    status_differs,
)
from kuberay.controller.cache import Cache, ClusterKey
from kuberay.controller.events import EventRecorder
from kuberay.controller.expectations import Expectations
from kuberay.controller.kubeapi import KubeAPI, KubeError
from kuberay.controller.redis_cleanup import RedisCleanup
from kuberay.controller.workqueue import WorkQueue
from kubeschema.timestamps import now_time, parse_time

log = logging.getLogger(__name__)

# managedBy values meaning "this operator": unset, or KubeRay's own operator name.
_OURS = {None, "", "ray.io/kuberay-operator"}


def _name(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def _is_terminating(obj: dict[str, Any]) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _controlled_by(obj: dict[str, Any], cluster: dict[str, Any]) -> bool:
    uid = cluster["metadata"].get("uid")
    return any(
        r.get("controller") and r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or []
    )


class LostLeadership(Exception):
    """This replica may no longer write: the pass stops before its next write."""


@dataclass
class Pass:
    """What one reconcile pass of one cluster sees, and what it did so far."""

    key: ClusterKey
    cluster: dict[str, Any]  # defaulted
    pods: list[dict[str, Any]]
    services: list[dict[str, Any]]
    named: set[tuple[str, str]]  # (kind, name) of other children the watches have seen
    ingresses: list[dict[str, Any]]
    # Set by a step that created or deleted pods: the status waits for the watch to show them.
    acted: bool = False
    # Set by a step that must wait for the cache: come back after this many seconds.
    requeue_after: float | None = None

    @property
    def done(self) -> bool:
        return self.acted or self.requeue_after is not None


Step = Callable[[Pass], Awaitable[ReconcileError | None]]


@dataclass
class Reconciler:
    cache: Cache
    api: KubeAPI
    events: EventRecorder
    expectations: Expectations
    queue: WorkQueue[ClusterKey]
    options: BuildOptions = field(default_factory=BuildOptions)
    # Whether this replica may write at all (leader election); `_guard` asks it before each write.
    may_write: Callable[[], bool] = lambda: True
    # Where the auth Secret's token comes from (KubeRay: 32 random bytes, base64).
    new_token: Callable[[], str] = lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    # KubeRay requeues every reconciled cluster unconditionally after this long (None: never)
    resync_seconds: float | None = None
    # How long a status change that may wait (`status_change_may_wait`: counts, addresses,
    # HeadPodReady) is held back, so that the pods of a cluster starting one after another make
    # one status write, not one each. 0: write every change at once.
    status_hold_seconds: float = 1.0
    redis_cleanup: RedisCleanup = field(init=False)
    _reported_problems: dict[ClusterKey, tuple[str, ...]] = field(default_factory=dict)
    _provisioned_labels: dict[ClusterKey, tuple[str, str, str]] = field(default_factory=dict)
    # cluster -> loop time at which its held-back status change is written
    _status_due: dict[ClusterKey, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # GCS FT's deletion path runs before the steps, as in KubeRay's rayClusterReconcile
        self.redis_cleanup = RedisCleanup(self.api, self.events, self.options, guard=self._guard)

    def steps(self) -> list[Step]:
        """KubeRay's reconcileFuncs, in KubeRay's order; the status is written after them."""
        return [
            self._autoscaler_rbac,
            self._ingress,
            self._auth_secret,
            self._head_service,
            self._headless_service,
            self._serve_service,
            self._pods,
        ]

    def forget(self, key: ClusterKey) -> None:
        self.expectations.forget(key)
        self.events.forget(*key)
        self._reported_problems.pop(key, None)
        self._status_due.pop(key, None)
        labels = self._provisioned_labels.pop(key, None)
        if labels is not None:
            metrics.PROVISIONED_DURATION.remove(*labels)

    async def reconcile(self, key: ClusterKey) -> float | None:
        """Bring one cluster toward its spec. Returns seconds until it should be looked at again
        without any event (None: only when something changes)."""
        cached = self.cache.cluster(key)
        if cached is None:
            self.forget(key)
            return None
        if (cached.get("spec") or {}).get("managedBy") not in _OURS:
            return None
        try:
            pods, jobs = self.cache.pods(key), self.cache.cleanup_jobs(key)
            handled = await self.redis_cleanup.step(cached, pods, jobs)
            if handled is not None:
                return handled.requeue_after
            if _is_terminating(cached):
                return None  # ownerReferences let the garbage collector remove pods and services
            return await self._reconcile(key, cached)
        except LostLeadership:
            return None

    async def _reconcile(self, key: ClusterKey, cached: dict[str, Any]) -> float | None:
        pods = self.cache.pods(key)
        services = self.cache.services(key)
        problems = validate_raycluster(cached, pods)
        if problems:
            await self._reject(key, cached, pods, services, problems)
            return None
        self._reported_problems.pop(key, None)
        p = Pass(
            key, apply_defaults(cached), pods, services, self.cache.named(key), self.cache.ingresses(key)
        )

        error: ReconcileError | None = None
        for step in self.steps():
            try:
                error = await step(p)
            except KubeError as err:
                error = ReconcileError(str(err))
                log.warning("reconcile %s/%s: %s", *key, err)
            if error is not None or p.done:
                break
        if error is None and p.done:
            return self._sooner(p.requeue_after)

        if error is not None or not self.queue.has_newer_events(key):
            # With newer events queued, this status is already stale and the next pass writes it.
            await self._write_status(p.cluster, pods, services, error=error)
        if error is not None:
            raise RuntimeError(error.message)  # the queue retries with back-off
        return self.resync_seconds

    def _sooner(self, requeue_after: float | None) -> float | None:
        if requeue_after is None or self.resync_seconds is None:
            return requeue_after if requeue_after is not None else self.resync_seconds
        return min(requeue_after, self.resync_seconds)

    async def _reject(
        self,
        key: ClusterKey,
        cluster: dict[str, Any],
        pods: list[dict[str, Any]],
        services: list[dict[str, Any]],
        problems: list[Problem],
    ) -> None:
        texts = tuple(str(p) for p in problems)
        if self._reported_problems.get(key) != texts:
            self._guard()
            self._reported_problems[key] = texts
            ns, name = key
            for text in texts:
                await self.events.warning(
                    cluster, "InvalidRayClusterSpec", f"The RayCluster spec is invalid {ns}/{name}: {text}"
                )
        await self._write_status(cluster, pods, services, problems=list(texts))

    # -- steps --------------------------------------------------------------------------------

    async def _autoscaler_rbac(self, p: Pass) -> ReconcileError | None:
        for obj in build_autoscaler_rbac(p.cluster):
            await self._ensure_named(p, obj)
        return None

    async def _ingress(self, p: Pass) -> ReconcileError | None:
        wanted = build_head_ingress(p.cluster)
        if wanted is None:
            return None
        ns, name = wanted["metadata"]["namespace"], _name(wanted)
        existing = next((i for i in p.ingresses if _name(i) == name), None)
        if existing is None:
            await self._create_once(p.cluster, wanted, "CreatedIngress", "FailedToCreateIngress")
            return None
        if not _controlled_by(existing, p.cluster):
            # Someone else's Ingress under our name: say so, and leave it alone (as KubeRay).
            await self.events.warning(
                p.cluster,
                "FailedToCreateIngress",
                f"Ingress {ns}/{name} already exists and is not owned by this RayCluster; not modifying it",
            )
            return None
        updated = ingress_update(existing, wanted)
        if updated is None:
            return None
        self._guard()
        try:
            await self.api.replace(updated)
        except KubeError as err:
            await self.events.warning(
                p.cluster, "FailedToUpdateIngress", f"Failed updating ingress {ns}/{name}, {err}"
            )
            raise
        await self.events.normal(p.cluster, "UpdatedIngress", f"Updated ingress {ns}/{name}")
        return None

    async def _auth_secret(self, p: Pass) -> ReconcileError | None:
        if not operator_makes_secret(p.cluster) or ("Secret", auth_secret_name(p.cluster)) in p.named:
            return None
        secret = build_auth_secret(p.cluster, self.new_token())
        if secret is not None:
            # The event says only that it exists: a token never goes into an event or a log.
            await self._create_once(p.cluster, secret, "CreatedSecret", "FailedToCreateSecret")
        return None

    async def _head_service(self, p: Pass) -> ReconcileError | None:
        await self._ensure_service(p, build_head_service(p.cluster, self.options))
        return None

    async def _headless_service(self, p: Pass) -> ReconcileError | None:
        await self._ensure_service(p, build_headless_service(p.cluster))
        return None

    async def _serve_service(self, p: Pass) -> ReconcileError | None:
        await self._ensure_service(p, build_serve_service(p.cluster))
        return None

    async def _pods(self, p: Pass) -> ReconcileError | None:
        key, pods = p.key, p.pods
        self.expectations.observe(
            key, [_name(x) for x in pods], [_name(x) for x in pods if _is_terminating(x)]
        )
        if not self.expectations.satisfied(key):
            # The cache has not caught up with our last creates/deletes: acting now could
            # double them, and a status computed now would be stale. The watch will call us
            # back; the timer only guards against a lost event.
            p.requeue_after = 5.0
            return None
        recreate = plan_recreate(p.cluster, pods, self.options.kuberay_version)
        if recreate:
            return await self._recreate(p, recreate)
        head = plan_head(p.cluster, pods)
        if head.error:
            return ReconcileError(head.error)
        for victim in head.delete:
            if not await self._delete_pod(p, victim):
                return ReconcileError(
                    f"failed to delete head Pod {key[0]}/{victim.name}", FAILED_DELETE_HEAD_POD
                )
        if head.create and not await self._create_pod(p, build_head_pod(p.cluster, self.options), HEAD):
            return ReconcileError("failed to create the head Pod", FAILED_CREATE_HEAD_POD)

        plan = plan_workers(p.cluster, pods, random_pod_delete=self.options.random_pod_delete)
        for victim in plan.delete:
            if not await self._delete_pod(p, victim):
                return ReconcileError(
                    f"failed to delete worker Pod {key[0]}/{victim.name}", FAILED_DELETE_WORKER_POD
                )
        for creation in plan.create:
            pod = build_worker_pod(
                p.cluster,
                creation.group,
                replica_index=creation.replica_index,
                replica_name=creation.replica_name,
                host_index=creation.host_index,
                options=self.options,
            )
            if not await self._create_pod(p, pod, WORKER):
                return ReconcileError(
                    f"failed to create a worker Pod of group {creation.group}", FAILED_CREATE_WORKER_POD
                )
        return None

    async def _recreate(self, p: Pass, victims: list[PodDeletion]) -> ReconcileError | None:
        ns, name = p.key
        for victim in victims:
            if not await self._delete_pod(p, victim, quiet=True):
                await self.events.warning(
                    p.cluster,
                    "FailedToDeletePodCollection",
                    "Failed deleting Pods due to spec change with Recreate upgradeStrategy "
                    f"for RayCluster {ns}/{name}",
                )
                return ReconcileError(f"failed to delete Pod {ns}/{victim.name}", FAILED_DELETE_ALL_PODS)
        await self.events.normal(
            p.cluster,
            "DeletedPod",
            f"Deleted all Pods for RayCluster {ns}/{name} due to spec change with Recreate upgradeStrategy",
        )
        return None

    # -- writes -------------------------------------------------------------------------------

    def _guard(self) -> None:
        """Called before every write: a replica that lost its Lease must not write again."""
        if not self.may_write():
            raise LostLeadership()

    async def _ensure_named(self, p: Pass, obj: dict[str, Any]) -> None:
        if (obj["kind"], _name(obj)) not in p.named:
            await self._create_once(p.cluster, obj, f"Created{obj['kind']}", f"FailedToCreate{obj['kind']}")

    async def _ensure_service(self, p: Pass, wanted: dict[str, Any] | None) -> None:
        if wanted is not None and not any(_name(s) == _name(wanted) for s in p.services):
            await self._create_once(p.cluster, wanted, "CreatedService", "FailedToCreateService")

    async def _create_once(self, cluster: dict[str, Any], obj: dict[str, Any], ok: str, failed: str) -> None:
        """Create an object that has a fixed name; one that already exists counts as done."""
        self._guard()
        ns = obj["metadata"]["namespace"]
        try:
            await self.api.create(obj)
        except KubeError as err:
            if err.already_exists:
                return  # our cache had not seen it yet
            await self.events.warning(
                cluster, failed, f"Failed creating {obj['kind']} {ns}/{_name(obj)}, {err}"
            )
            raise
        await self.events.normal(cluster, ok, f"Created {obj['kind']} {ns}/{_name(obj)}")

    async def _create_pod(self, p: Pass, pod: dict[str, Any], node_type: str) -> bool:
        self._guard()
        ns, kind = p.key[0], node_type.capitalize()
        try:
            created = await self.api.create(pod)
        except KubeError as err:
            await self.events.warning(
                p.cluster,
                f"FailedToCreate{kind}Pod",
                f"Failed to create Pod {ns}/{pod['metadata'].get('generateName', '')}, {err}",
            )
            return False
        name = _name(created)
        self.expectations.expect_created(p.key, name)
        p.acted = True
        await self.events.normal(p.cluster, f"Created{kind}Pod", f"Created {node_type} Pod {ns}/{name}")
        return True

    async def _delete_pod(self, p: Pass, victim: PodDeletion, *, quiet: bool = False) -> bool:
        """Delete the incarnation the plan saw; `quiet` leaves the event to the caller."""
        self._guard()
        ns, kind = p.key[0], "Head" if victim.is_head else "Worker"
        try:
            await self.api.delete("v1", "Pod", ns, victim.name, uid=victim.uid or None)
        except KubeError as err:
            if err.not_found:
                return True  # already gone: what we wanted
            if not quiet:
                await self.events.warning(
                    p.cluster, f"FailedToDelete{kind}Pod", f"Failed deleting Pod {ns}/{victim.name}, {err}"
                )
            return False
        self.expectations.expect_deleted(p.key, victim.name)
        p.acted = True
        if not quiet:
            await self.events.normal(
                p.cluster, f"Deleted{kind}Pod", f"Deleted Pod {ns}/{victim.name}; {victim.reason}"
            )
        return True

    async def _write_status(
        self,
        cluster: dict[str, Any],
        pods: list[dict[str, Any]],
        services: list[dict[str, Any]],
        *,
        error: ReconcileError | None = None,
        problems: list[str] | None = None,
    ) -> None:
        old = cluster.get("status") or {}
        new = compute_status(cluster, pods, services, now=now_time(), error=error, problems=problems)
        ns, name = cluster["metadata"]["namespace"], _name(cluster)
        if not status_differs(old, new):
            self._status_due.pop((ns, name), None)
            return
        if self._holds_back((ns, name), old, new):
            return
        patch = {k: None for k in old if k not in new}  # merge patch: absent means "keep"
        patch.update(new)
        self._guard()
        try:
            await self.api.merge_patch("ray.io/v1", "RayCluster", ns, name, {"status": patch}, sub="status")
        except KubeError as err:
            if err.not_found:
                return
            raise
        self._observe_provisioned(cluster, old, new)

    def _holds_back(self, key: ClusterKey, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """Whether this status change waits: it may, and it was first seen less than
        `status_hold_seconds` ago. The queue brings the cluster back when it is due."""
        if self.status_hold_seconds <= 0 or not status_change_may_wait(old, new):
            self._status_due.pop(key, None)
            return False
        now = asyncio.get_running_loop().time()
        due = self._status_due.setdefault(key, now + self.status_hold_seconds)
        if now >= due:
            del self._status_due[key]
            return False
        self.queue.add_after(key, due - now)
        return True

    def _observe_provisioned(self, cluster: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
        def provisioned(s: dict[str, Any]) -> bool:
            return any(
                c.get("type") == "RayClusterProvisioned" and c.get("status") == "True"
                for c in s.get("conditions") or []
            )

        if provisioned(new) and not provisioned(old):
            meta = cluster["metadata"]
            created = parse_time(meta.get("creationTimestamp")) or datetime.now(UTC)
            seconds = (datetime.now(UTC) - created).total_seconds()
            labels = (meta["name"], meta["namespace"], meta.get("uid", ""))
            metrics.PROVISIONED_DURATION.labels(*labels).set(seconds)
            self._provisioned_labels[(meta["namespace"], meta["name"])] = labels
