"""The RayJob controller's watches: RayJobs, and the Jobs and Services it creates (labelled
`ray.io/originated-from-crd=RayJob`), held in kopf indexes; events on RayJobs, those children, and
on the RayClusters, pods and services of a RayJob's cluster enqueue the RayJob."""

from __future__ import annotations

from typing import Any

import kopf

from kuberay.build.rayjob import names
from kuberay.controller.cache import CLUSTER_LABEL, ClusterKey, slim
from kuberay.controller.workqueue import WorkQueue

_CHILD = {names.ORIGINATED_FROM_CRD_LABEL: names.RAYJOB_CRD}


class JobCache:
    def __init__(self) -> None:
        self._jobs: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._submitters: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._services: kopf.Index[ClusterKey, dict[str, Any]] | None = None

    def attach(self, indexes: dict[str, Any]) -> None:
        self._jobs = indexes["ray_jobs"]
        self._submitters = indexes["rayjob_submitters"]
        self._services = indexes["rayjob_services"]

    @property
    def ready(self) -> bool:
        return self._jobs is not None

    @staticmethod
    def _one(index: kopf.Index[ClusterKey, dict[str, Any]] | None, key: ClusterKey) -> dict[str, Any] | None:
        if index is None:
            return None
        for obj in index.get(key, ()):
            return obj
        return None

    def job(self, key: ClusterKey) -> dict[str, Any] | None:
        return self._one(self._jobs, key)

    def submitter(self, key: ClusterKey) -> dict[str, Any] | None:
        return self._one(self._submitters, key)

    def service(self, key: ClusterKey) -> dict[str, Any] | None:
        obj = self._one(self._services, key)
        return obj if obj is not None and obj["metadata"]["name"] == f"{key[1]}-head-svc" else None

    def all(self) -> list[dict[str, Any]]:
        if self._jobs is None:
            return []
        return [obj for store in self._jobs.values() for obj in store]

    def using_cluster(self, namespace: str, cluster: str) -> list[ClusterKey]:
        """RayJobs whose status names this cluster (also those that selected an existing one)."""
        return [
            (namespace, names.name(job))
            for job in self.all()
            if names.namespace(job) == namespace and names.status(job).get("rayClusterName") == cluster
        ]


def register(
    registry: kopf.OperatorRegistry, jobs: JobCache, queue: WorkQueue[ClusterKey], forget: Any
) -> None:
    """Add the RayJob indexes and handlers to the operator's kopf registry."""

    @kopf.index("ray.io", "v1", "rayjobs", id="ray_jobs", registry=registry)
    async def ray_jobs(
        *, namespace: str | None, name: str, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", name): slim(body)}

    async def child(
        *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", labels[names.ORIGINATED_FROM_NAME_LABEL]): slim(body)}

    kopf.index("batch", "v1", "jobs", id="rayjob_submitters", labels=_CHILD, registry=registry)(child)
    kopf.index("v1", "services", id="rayjob_services", labels=_CHILD, registry=registry)(child)

    def enqueue(keys: list[ClusterKey], kwargs: dict[str, Any]) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        for key in keys:
            queue.add(key)

    @kopf.on.event("ray.io", "v1", "rayjobs", registry=registry)
    async def on_job(*, namespace: str | None, name: str, type: str, **kwargs: Any) -> None:
        key = (namespace or "", name)
        if type == "DELETED":
            forget(key)
        enqueue([key], kwargs)

    async def on_child(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        owner = labels.get(names.ORIGINATED_FROM_NAME_LABEL)
        if owner:
            enqueue([(namespace or "", owner)], kwargs)

    kopf.on.event("batch", "v1", "jobs", labels=_CHILD, registry=registry)(on_child)
    kopf.on.event("v1", "services", labels=_CHILD, registry=registry)(on_child)

    @kopf.on.event("ray.io", "v1", "rayclusters", registry=registry)
    async def on_cluster(*, namespace: str | None, name: str, **kwargs: Any) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        enqueue(jobs.using_cluster(namespace or "", name), kwargs)

    async def on_member(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        enqueue(jobs.using_cluster(namespace or "", labels[CLUSTER_LABEL]), kwargs)

    member: dict[str, Any] = {CLUSTER_LABEL: kopf.PRESENT, "ray.io/node-type": "head"}
    kopf.on.event("v1", "pods", labels=member, registry=registry)(on_member)
    kopf.on.event("v1", "services", labels={CLUSTER_LABEL: kopf.PRESENT}, registry=registry)(on_member)
