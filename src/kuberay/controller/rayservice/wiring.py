"""The RayService controller's watches: RayServices and the Services they own (labelled
`ray.io/originated-from-crd=RayService`) in kopf indexes. Events on those, on the RayClusters a
RayService created, and on those clusters' pods enqueue the RayService."""

from __future__ import annotations

from typing import Any

import kopf

from kuberay.build.rayservice import names
from kuberay.controller import owned_kind
from kuberay.controller.cache import CLUSTER_LABEL, Cache, ClusterKey
from kuberay.controller.workqueue import WorkQueue


class ServiceCache:
    def __init__(self) -> None:
        self._services: owned_kind.Index | None = None
        self._owned: owned_kind.Index | None = None

    def attach(self, indexes: dict[str, Any]) -> None:
        self._services = indexes["ray_services_rs"]
        self._owned = indexes["rayservice_services"]

    @property
    def ready(self) -> bool:
        return self._services is not None

    def service(self, key: ClusterKey) -> dict[str, Any] | None:
        return owned_kind.first(self._services, key)

    def owned_services(self, key: ClusterKey) -> list[dict[str, Any]]:
        """The head and serve Services this RayService created."""
        return list(self._owned.get(key, ())) if self._owned is not None else []

    def all(self) -> list[dict[str, Any]]:
        return owned_kind.every(self._services)


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

    def enqueue(keys: list[ClusterKey], kwargs: dict[str, Any]) -> None:
        if not services.ready:
            services.attach(kwargs)
        if not clusters.ready:
            clusters.attach(kwargs)
        for key in keys:
            queue.add(key)

    owned_kind.register(
        registry,
        plural="rayservices",
        index_id="ray_services_rs",
        crd=names.RAYSERVICE_CRD,
        children=[("v1", "services", "rayservice_services"), ("ray.io/v1", "rayclusters", None)],
        enqueue=enqueue,
        forget=forget,
    )

    async def on_pod(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        if not clusters.ready:
            clusters.attach(kwargs)
        owner = owner_of_cluster(clusters.cluster((namespace or "", labels[CLUSTER_LABEL])))
        if owner:
            enqueue([(namespace or "", owner)], kwargs)

    kopf.on.event("v1", "pods", labels={CLUSTER_LABEL: kopf.PRESENT}, registry=registry)(on_pod)
