"""The RayJob controller's watches: RayJobs, and the Jobs and Services it creates (labelled
`ray.io/originated-from-crd=RayJob`), held in kopf indexes; events on RayJobs, those children, and
on the RayClusters, pods and services of a RayJob's cluster enqueue the RayJob."""

from __future__ import annotations

from typing import Any

import kopf

from kuberay.build.rayjob import names
from kuberay.controller import owned_kind
from kuberay.controller.cache import CLUSTER_LABEL, ClusterKey
from kuberay.controller.workqueue import WorkQueue


class JobCache:
    def __init__(self) -> None:
        self._jobs: owned_kind.Index | None = None
        self._submitters: owned_kind.Index | None = None
        self._services: owned_kind.Index | None = None

    def attach(self, indexes: dict[str, Any]) -> None:
        self._jobs = indexes["ray_jobs"]
        self._submitters = indexes["rayjob_submitters"]
        self._services = indexes["rayjob_services"]

    @property
    def ready(self) -> bool:
        return self._jobs is not None

    def job(self, key: ClusterKey) -> dict[str, Any] | None:
        return owned_kind.first(self._jobs, key)

    def submitter(self, key: ClusterKey) -> dict[str, Any] | None:
        return owned_kind.first(self._submitters, key)

    def service(self, key: ClusterKey) -> dict[str, Any] | None:
        obj = owned_kind.first(self._services, key)
        return obj if obj is not None and obj["metadata"]["name"] == f"{key[1]}-head-svc" else None

    def all(self) -> list[dict[str, Any]]:
        return owned_kind.every(self._jobs)

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

    def enqueue(keys: list[ClusterKey], kwargs: dict[str, Any]) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        for key in keys:
            queue.add(key)

    owned_kind.register(
        registry,
        plural="rayjobs",
        index_id="ray_jobs",
        crd=names.RAYJOB_CRD,
        children=[("batch/v1", "jobs", "rayjob_submitters"), ("v1", "services", "rayjob_services")],
        enqueue=enqueue,
        forget=forget,
    )

    async def on_member(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        enqueue(jobs.using_cluster(namespace or "", labels[CLUSTER_LABEL]), kwargs)

    @kopf.on.event("ray.io", "v1", "rayclusters", registry=registry)
    async def on_cluster(*, namespace: str | None, name: str, **kwargs: Any) -> None:
        if not jobs.ready:
            jobs.attach(kwargs)
        enqueue(jobs.using_cluster(namespace or "", name), kwargs)

    member: dict[str, Any] = {CLUSTER_LABEL: kopf.PRESENT, "ray.io/node-type": "head"}
    kopf.on.event("v1", "pods", labels=member, registry=registry)(on_member)
    kopf.on.event("v1", "services", labels={CLUSTER_LABEL: kopf.PRESENT}, registry=registry)(on_member)
