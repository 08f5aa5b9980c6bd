"""The operator's view of the cluster, kept by watches (kopf indexes), read without any API call.

kopf holds back every handler until each index has seen its initial LIST, so the first
reconcile already sees every existing pod: an operator restart cannot create duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import kopf

ClusterKey = tuple[str, str]  # (namespace, name)

CLUSTER_LABEL = "ray.io/cluster"
# Other children known by name only: (kind, name) is all a reconcile needs to know they exist.
NAMED_PLURALS = ("serviceaccounts", "roles", "rolebindings", "secrets")


def owning_cluster(obj: Mapping[str, Any]) -> str | None:
    """The RayCluster an object belongs to: its ray.io/cluster label, else its controller
    ownerReference (KubeRay's serve and headless Services carry no ray.io/cluster label)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get(CLUSTER_LABEL):
        return str(labels[CLUSTER_LABEL])
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if (
            ref.get("controller")
            and ref.get("kind") == "RayCluster"
            and str(ref.get("apiVersion", "")).startswith("ray.io/")
        ):
            return str(ref.get("name"))
    return None


def slim(body: kopf.Body) -> dict[str, Any]:
    """A plain-dict copy without managedFields: they are large and never read here."""
    obj = {k: v for k, v in body.items()}
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    obj["metadata"] = meta
    return obj


class Cache:
    """Typed access to the kopf indexes; the indexes themselves arrive with the first event."""

    def __init__(self) -> None:
        self._clusters: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._pods: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._services: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._ingresses: kopf.Index[ClusterKey, dict[str, Any]] | None = None
        self._named: list[kopf.Index[ClusterKey, tuple[str, str]]] = []

    def attach(self, indexes: dict[str, Any]) -> None:
        self._clusters = indexes["ray_clusters"]
        self._pods = indexes["ray_pods"]
        self._services = indexes["ray_services"]
        self._ingresses = indexes["ray_ingresses"]
        self._named = [indexes[f"ray_named_{plural}"] for plural in NAMED_PLURALS]

    @property
    def ready(self) -> bool:
        return self._clusters is not None

    def cluster(self, key: ClusterKey) -> dict[str, Any] | None:
        if self._clusters is None:
            return None
        for obj in self._clusters.get(key, ()):
            return obj
        return None

    def clusters(self) -> Iterator[dict[str, Any]]:
        if self._clusters is None:
            return
        for store in self._clusters.values():
            yield from store

    def pods(self, key: ClusterKey) -> list[dict[str, Any]]:
        return list(self._pods.get(key, ())) if self._pods is not None else []

    def services(self, key: ClusterKey) -> list[dict[str, Any]]:
        return list(self._services.get(key, ())) if self._services is not None else []

    def ingresses(self, key: ClusterKey) -> list[dict[str, Any]]:
        return list(self._ingresses.get(key, ())) if self._ingresses is not None else []

    def named(self, key: ClusterKey) -> set[tuple[str, str]]:
        """(kind, name) of this cluster's ServiceAccounts, Roles, RoleBindings and Secrets."""
        return {entry for index in self._named for entry in index.get(key, ())}
