"""The RayService controller's watches: RayServices and the Services they own (labelled
`ray.io/originated-from-crd=RayService`) in kopf indexes. Events on those, on the RayClusters a
RayService created, and on those clusters' pods enqueue the RayService."""

from __future__ import annotations

from typing import Any

import kopf

from kuberay.build.rayservice import names
from kuberay.controller.cache import CLUSTER_LABEL, Cache, ClusterKey, slim
from kuberay.controller.workqueue import WorkQueue

_CHILD = {names.ORIGINATED_FROM_CRD_LABEL: names.RAYSERVICE_CRD}


class ServiceCache:
    def __init__(self) -> None:
        self._services: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._owned: kopf.Index[ClusterKey, dict[str, Any]] | None = None

    def attach(self, indexes: dict[str, Any]) -> None:
        self._services = indexes["ray_services_rs"]
        self._owned = indexes["rayservice_services"]

    @property
    def ready(self) -> bool:
        return self._services is not None

    def service(self, key: ClusterKey) -> dict[str, Any] | None:
        if self._services is None:
            return None
        for obj in self._services.get(key, ()):
            return obj
        return None

    def owned_services(self, key: ClusterKey) -> list[dict[str, Any]]:
        """The head and serve Services this RayService created."""
        return list(self._owned.get(key, ())) if self._owned is not None else []

    def all(self) -> list[dict[str, Any]]:
        if self._services is None:
            return []
        return [obj for store in self._services.values() for obj in store]


def owner_of_cluster(cluster: dict[str, Any] | None) -> str | None:
    """The RayService a RayCluster was created for, from its origin labels."""
    labels = ((cluster or {}).get("metadata") or {}).get("labels") or {}
    if labels.get(names.ORIGINATED_FROM_CRD_LABEL) != names.RAYSERVICE_CRD:
        return None
    return labels.get(names.ORIGINATED_FROM_NAME_LABEL)


def register(
    registry: kopf.OperatorRegistry,
    services: ServiceCache,
    clusters: Cache,
    queue: WorkQueue[ClusterKey],
    forget: Any,
) -> None:
    """Add the RayService indexes and handlers to the operator's kopf registry."""

    @kopf.index("ray.io", "v1", "rayservices", id="ray_services_rs", registry=registry)
    async def ray_services_rs(
        *, namespace: str | None, name: str, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", name): slim(body)}

    @kopf.index("v1", "services", id="rayservice_services", labels=_CHILD, registry=registry)
    async def rayservice_services(
        *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", labels[names.ORIGINATED_FROM_NAME_LABEL]): slim(body)}

    def enqueue(keys: list[ClusterKey], kwargs: dict[str, Any]) -> None:
        if not services.ready:
            services.attach(kwargs)
        if not clusters.ready:
            clusters.attach(kwargs)
        for key in keys:
            queue.add(key)

    @kopf.on.event("ray.io", "v1", "rayservices", registry=registry)
    async def on_service(*, namespace: str | None, name: str, type: str, **kwargs: Any) -> None:
        key = (namespace or "", name)
        if type == "DELETED":
            forget(key)
        enqueue([key], kwargs)

    async def on_child(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        owner = labels.get(names.ORIGINATED_FROM_NAME_LABEL)
        if owner:
            enqueue([(namespace or "", owner)], kwargs)

    kopf.on.event("v1", "services", labels=_CHILD, registry=registry)(on_child)
    kopf.on.event("ray.io", "v1", "rayclusters", labels=_CHILD, registry=registry)(on_child)

    async def on_pod(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        if not clusters.ready:
            clusters.attach(kwargs)
        owner = owner_of_cluster(clusters.cluster((namespace or "", labels[CLUSTER_LABEL])))
        if owner:
            enqueue([(namespace or "", owner)], kwargs)

    kopf.on.event("v1", "pods", labels={CLUSTER_LABEL: kopf.PRESENT}, registry=registry)(on_pod)
