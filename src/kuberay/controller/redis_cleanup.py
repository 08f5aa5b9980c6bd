"""The reconcile step for GCS fault tolerance's Redis cleanup finalizer (KubeRay's names, order,
requeue periods and events); the decisions' pieces are pure, in kuberay.build.redis_cleanup."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kuberay.build import redis_cleanup as rc
from kuberay.build.naming import BuildOptions
from kuberay.controller.events import EventRecorder
from kuberay.controller.kubeapi import KubeAPI, KubeError

log = logging.getLogger(__name__)


def cleanup_enabled() -> bool:
    """KubeRay's ENABLE_GCS_FT_REDIS_CLEANUP: on unless "false"; off, the user cleans Redis."""
    return os.environ.get("ENABLE_GCS_FT_REDIS_CLEANUP", "").lower() != "false"


@dataclass(frozen=True)
class Done:
    """The step handled this pass; look again after `requeue_after` seconds (None: on events)."""

    requeue_after: float | None


@dataclass
class RedisCleanup:
    api: KubeAPI
    events: EventRecorder
    options: BuildOptions = field(default_factory=BuildOptions)
    enabled: bool = field(default_factory=cleanup_enabled)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    # Called before every write; raises when this replica lost the leadership.
    guard: Callable[[], None] = lambda: None

    async def step(
        self, cluster: dict[str, Any], pods: list[dict[str, Any]], jobs: list[dict[str, Any]]
    ) -> Done | None:
        """None: nothing to do here, the reconcile goes on."""
        deleting = bool(cluster["metadata"].get("deletionTimestamp"))
        if deleting and rc.is_embedded(cluster) and rc.has_finalizer(cluster):
            # switched from Redis to RocksDB: nothing to clean, and nothing else removes it
            await self._set_finalizer(cluster, present=False)
            return Done(None)
        if not rc.wants_cleanup(cluster, self.enabled):
            return None
        if not deleting:
            if rc.has_finalizer(cluster):
                return None
            log.info("GCS fault tolerance: adding %s to %s", rc.FINALIZER, _ref(cluster))
            await self._set_finalizer(cluster, present=True)
            return Done(rc.REQUEUE)  # the reconcile starts once the finalizer is there
        if not rc.has_finalizer(cluster):
            return None
        return await self._on_deletion(cluster, pods, jobs)

    async def _on_deletion(
        self, cluster: dict[str, Any], pods: list[dict[str, Any]], jobs: list[dict[str, Any]]
    ) -> Done:
        ns = cluster["metadata"]["namespace"]
        ray_pods = [p for p in pods if _node_type(p) in ("head", "worker")]  # not the Job's own pod
        heads = [p for p in ray_pods if _node_type(p) == "head"]
        for pod in ray_pods:
            if not pod["metadata"].get("deletionTimestamp"):
                self.guard()
                try:
                    await self.api.delete(
                        "v1", "Pod", ns, pod["metadata"]["name"], uid=pod["metadata"].get("uid")
                    )
                except KubeError as err:
                    if not err.not_found:
                        raise
        if heads:
            # the storage namespace cannot be removed while the GCS may still write to it
            return Done(rc.HEAD_GONE_REQUEUE)
        deleted_for = rc.deleted_for(cluster, self.clock())
        if deleted_for >= rc.deletion_timeout(cluster):
            await self._set_finalizer(cluster, present=False)
            storage_ns = (cluster["metadata"].get("annotations") or {}).get(
                "ray.io/external-storage-namespace", ""
            )
            await self.events.warning(
                cluster,
                "ForceDeletedStuckCluster",
                f"Force-removed GCS FT finalizer after {deleted_for:.0f}s due to Redis cleanup timeout; "
                f"Redis storage namespace {storage_ns!r} may need manual cleanup",
            )
            return Done(None)
        if jobs:
            job = jobs[0]
            outcome = rc.job_outcome(job)
            if outcome is None:
                return Done(rc.REQUEUE)
            await self._set_finalizer(cluster, present=False)
            storage_ns = (job["metadata"].get("annotations") or {}).get("ray.io/external-storage-namespace")
            if outcome == "Complete":
                log.info(
                    "Redis cleanup Job %s completed: storage namespace %s deleted", _ref(job), storage_ns
                )
            else:
                log.warning(
                    "Redis cleanup Job %s failed: delete the storage namespace %s in Redis by hand (see %s)",
                    _ref(job),
                    storage_ns,
                    "https://docs.ray.io/en/master/cluster/kubernetes/user-guides/kuberay-gcs-ft.html",
                )
            return Done(None)
        job = rc.build_redis_cleanup_job(cluster, self.options)
        self.guard()
        try:
            await self.api.create(job)
        except KubeError as err:
            if err.already_exists:
                return Done(rc.REQUEUE)
            await self.events.warning(
                cluster,
                "FailedToCreateRedisCleanupJob",
                f"Failed to create Redis cleanup Job {ns}/{job['metadata']['name']}, {err}",
            )
            raise
        await self.events.normal(
            cluster, "CreatedRedisCleanupJob", f"Created Redis cleanup Job {ns}/{job['metadata']['name']}"
        )
        return Done(rc.REQUEUE)

    async def _set_finalizer(self, cluster: dict[str, Any], *, present: bool) -> None:
        self.guard()
        meta = cluster["metadata"]
        finalizers = [f for f in meta.get("finalizers") or [] if f != rc.FINALIZER]
        if present:
            finalizers.append(rc.FINALIZER)
        # resourceVersion makes the patch fail on a newer cluster instead of dropping others' finalizers
        await self.api.merge_patch(
            "ray.io/v1",
            "RayCluster",
            meta["namespace"],
            meta["name"],
            {"metadata": {"finalizers": finalizers, "resourceVersion": meta.get("resourceVersion")}},
        )


def _node_type(pod: dict[str, Any]) -> str:
    return str((pod["metadata"].get("labels") or {}).get("ray.io/node-type", ""))


def _ref(obj: dict[str, Any]) -> str:
    return f"{obj['metadata'].get('namespace', '')}/{obj['metadata'].get('name', '')}"
