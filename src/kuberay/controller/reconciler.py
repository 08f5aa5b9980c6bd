"""One level-triggered reconcile of one RayCluster: cache -> desired -> act on the difference -> status.

Reads come from the watch-fed cache only; the API sees creates and deletes for what differs and
one status write when the status really changed. Steady state makes no request at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    build_autoscaler_rbac,
    build_head_pod,
    build_head_service,
    build_worker_pod,
    compute_status,
    plan_head,
    plan_workers,
)
from kuberay.build.naming import is_autoscaling_enabled
from kuberay.build.status import (
    FAILED_CREATE_HEAD_POD,
    FAILED_CREATE_WORKER_POD,
    FAILED_DELETE_HEAD_POD,
    FAILED_DELETE_WORKER_POD,
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


def status_differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a status write would change anything a user can see (lastUpdateTime aside)."""

    def strip(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k != "lastUpdateTime"}

    return strip(old) != strip(new)


@dataclass
class Reconciler:
    cache: Cache
    api: KubeAPI
    events: EventRecorder
    expectations: Expectations
    queue: WorkQueue[ClusterKey]
    options: BuildOptions = field(default_factory=BuildOptions)
    # Whether this replica may write at all (leader election); checked before every write.
    may_write: Callable[[], bool] = lambda: True
    redis_cleanup: RedisCleanup = field(init=False)
    _reported_problems: dict[ClusterKey, tuple[str, ...]] = field(default_factory=dict)
    _provisioned_labels: dict[ClusterKey, tuple[str, str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.redis_cleanup = RedisCleanup(self.api, self.events, self.options)

    def forget(self, key: ClusterKey) -> None:
        self.expectations.forget(key)
        self.events.forget(*key)
        self._reported_problems.pop(key, None)
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
        if not self.may_write():
            return None
        handled = await self.redis_cleanup.step(cached, self.cache.pods(key), self.cache.cleanup_jobs(key))
        if handled is not None:
            return handled.requeue_after
        if _is_terminating(cached):
            return None  # ownerReferences let the garbage collector remove pods and services

        pods = self.cache.pods(key)
        services = self.cache.services(key)
        problems = validate_raycluster(cached, pods)
        if problems:
            await self._reject(key, cached, pods, services, problems)
            return None
        self._reported_problems.pop(key, None)
        cluster = apply_defaults(cached)

        error: ReconcileError | None = None
        try:
            if is_autoscaling_enabled(cluster):
                await self._ensure_autoscaler_rbac(key, cluster)
            await self._ensure_head_service(cluster, services)
            self.expectations.observe(
                key, [_name(p) for p in pods], [_name(p) for p in pods if _is_terminating(p)]
            )
            if not self.expectations.satisfied(key):
                # The cache has not caught up with our last creates/deletes: acting now could
                # double them, and a status computed now would be stale. The watch will call us
                # back; the timer only guards against a lost event.
                return 5.0
            acted, error = await self._reconcile_pods(key, cluster, pods)
            if acted:
                return None  # the status waits for the watch to show what we just did
        except KubeError as err:
            error = ReconcileError(str(err))
            log.warning("reconcile %s/%s: %s", *key, err)

        if error is not None or not self.queue.has_newer_events(key):
            # With newer events queued, this status is already stale and the next pass writes it.
            await self._write_status(cluster, pods, services, error=error)
        if error is not None:
            raise RuntimeError(error.message)  # the queue retries with back-off
        return None

    # -- pieces -------------------------------------------------------------------------------

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
            self._reported_problems[key] = texts
            ns, name = key
            for text in texts:
                await self.events.warning(
                    cluster, "InvalidRayClusterSpec", f"The RayCluster spec is invalid {ns}/{name}: {text}"
                )
        await self._write_status(cluster, pods, services, problems=list(texts))

    async def _ensure_autoscaler_rbac(self, key: ClusterKey, cluster: dict[str, Any]) -> None:
        have = self.cache.rbac(key)
        for obj in build_autoscaler_rbac(cluster):
            if (obj["kind"], _name(obj)) in have:
                continue
            await self._create_once(cluster, obj, f"Created{obj['kind']}", f"FailedToCreate{obj['kind']}")

    async def _ensure_head_service(self, cluster: dict[str, Any], services: list[dict[str, Any]]) -> None:
        wanted = build_head_service(cluster, self.options)
        if any(_name(s) == _name(wanted) for s in services):
            return
        await self._create_once(cluster, wanted, "CreatedService", "FailedToCreateService")

    async def _create_once(self, cluster: dict[str, Any], obj: dict[str, Any], ok: str, failed: str) -> None:
        """Create an object that has a fixed name; one that already exists counts as done."""
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

    async def _reconcile_pods(
        self, key: ClusterKey, cluster: dict[str, Any], pods: list[dict[str, Any]]
    ) -> tuple[bool, ReconcileError | None]:
        """Act on the head and worker plans; returns (acted, error)."""
        ns = key[0]
        acted = False
        head = plan_head(cluster, pods)
        if head.error:
            return False, ReconcileError(head.error)
        for victim in head.delete:
            if not await self._delete_pod(key, cluster, victim, "DeletedHeadPod", "FailedToDeleteHeadPod"):
                return acted, ReconcileError(
                    f"failed to delete head Pod {ns}/{victim.name}", FAILED_DELETE_HEAD_POD
                )
            acted = True
        if head.create:
            pod = build_head_pod(cluster, self.options)
            if not await self._create_pod(key, cluster, pod, "CreatedHeadPod", "FailedToCreateHeadPod"):
                return acted, ReconcileError("failed to create the head Pod", FAILED_CREATE_HEAD_POD)
            acted = True

        plan = plan_workers(cluster, pods)
        for victim in plan.delete:
            ok = await self._delete_pod(key, cluster, victim, "DeletedWorkerPod", "FailedToDeleteWorkerPod")
            if not ok:
                return acted, ReconcileError(
                    f"failed to delete worker Pod {ns}/{victim.name}", FAILED_DELETE_WORKER_POD
                )
            acted = True
        for creation in plan.create:
            pod = build_worker_pod(
                cluster,
                creation.group,
                replica_index=creation.replica_index,
                replica_name=creation.replica_name,
                host_index=creation.host_index,
                options=self.options,
            )
            if not await self._create_pod(key, cluster, pod, "CreatedWorkerPod", "FailedToCreateWorkerPod"):
                return acted, ReconcileError(
                    f"failed to create a worker Pod of group {creation.group}", FAILED_CREATE_WORKER_POD
                )
            acted = True
        return acted, None

    async def _create_pod(
        self, key: ClusterKey, cluster: dict[str, Any], pod: dict[str, Any], ok: str, failed: str
    ) -> bool:
        ns = key[0]
        try:
            created = await self.api.create(pod)
        except KubeError as err:
            await self.events.warning(
                cluster, failed, f"Failed to create Pod {ns}/{pod['metadata'].get('generateName', '')}, {err}"
            )
            return False
        name = _name(created)
        self.expectations.expect_created(key, name)
        await self.events.normal(
            cluster, ok, f"Created {'head' if ok == 'CreatedHeadPod' else 'worker'} Pod {ns}/{name}"
        )
        return True

    async def _delete_pod(
        self, key: ClusterKey, cluster: dict[str, Any], victim: PodDeletion, ok: str, failed: str
    ) -> bool:
        ns = key[0]
        uid = next((p["metadata"].get("uid") for p in self.cache.pods(key) if _name(p) == victim.name), None)
        try:
            await self.api.delete("v1", "Pod", ns, victim.name, uid=uid)
        except KubeError as err:
            if err.not_found:
                return True  # already gone: what we wanted
            await self.events.warning(cluster, failed, f"Failed deleting Pod {ns}/{victim.name}, {err}")
            return False
        self.expectations.expect_deleted(key, victim.name)
        await self.events.normal(cluster, ok, f"Deleted Pod {ns}/{victim.name}; {victim.reason}")
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
        if not status_differs(old, new):
            return
        patch = {k: None for k in old if k not in new}  # merge patch: absent means "keep"
        patch.update(new)
        ns, name = cluster["metadata"]["namespace"], _name(cluster)
        try:
            await self.api.merge_patch("ray.io/v1", "RayCluster", ns, name, {"status": patch}, sub="status")
        except KubeError as err:
            if err.not_found:
                return
            raise
        self._observe_provisioned(cluster, old, new)

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
