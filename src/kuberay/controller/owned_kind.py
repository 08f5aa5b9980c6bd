"""The kopf wiring a kind that owns children shares (RayJob and RayService): an index of the
kind's objects by name, indexes of its children by their origin label, and events on either
enqueue the owner. Each kind's `wiring.py` adds only what is its own (which other objects
enqueue it, and which caches must be attached first)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import kopf

from kuberay.build.rayjob.names import ORIGINATED_FROM_CRD_LABEL, ORIGINATED_FROM_NAME_LABEL
from kuberay.controller.cache import ClusterKey, slim

Index = kopf.Index[ClusterKey, dict[str, Any]]
Enqueue = Callable[[list[ClusterKey], dict[str, Any]], None]


def first(index: Index | None, key: ClusterKey) -> dict[str, Any] | None:
    """The one object an index holds under a key (each key names one object)."""
    if index is None:
        return None
    for obj in index.get(key, ()):
        return obj
    return None


def every(index: Index | None) -> list[dict[str, Any]]:
    return [] if index is None else [obj for store in index.values() for obj in store]


def children_of(crd: str) -> dict[str, str]:
    """The label selector of the children a kind creates (KubeRay's origin label)."""
    return {ORIGINATED_FROM_CRD_LABEL: crd}


def register(
    registry: kopf.OperatorRegistry,
    *,
    plural: str,
    index_id: str,
    crd: str,
    children: Iterable[tuple[str, str, str | None]],
    enqueue: Enqueue,
    forget: Callable[[ClusterKey], None],
) -> None:
    """Index the kind's objects (as `index_id`) and its children, and enqueue the owner on any of
    their events. `children` lists (api version, plural, index id or None for watch only)."""

    @kopf.index("ray.io", "v1", plural, id=index_id, registry=registry)
    async def by_name(
        *, namespace: str | None, name: str, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", name): slim(body)}

    async def by_owner(
        *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[ClusterKey, Any]:
        return {(namespace or "", labels[ORIGINATED_FROM_NAME_LABEL]): slim(body)}

    @kopf.on.event("ray.io", "v1", plural, registry=registry)
    async def on_owner(*, namespace: str | None, name: str, type: str, **kwargs: Any) -> None:
        key = (namespace or "", name)
        if type == "DELETED":
            forget(key)
        enqueue([key], kwargs)

    async def on_child(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
        owner = labels.get(ORIGINATED_FROM_NAME_LABEL)
        if owner:
            enqueue([(namespace or "", owner)], kwargs)

    selector = children_of(crd)
    for api_version, child_plural, child_index in children:
        group, _, version = api_version.rpartition("/")
        resource = (group, version, child_plural) if group else (version, child_plural)
        if child_index is not None:
            kopf.index(*resource, id=child_index, labels=selector, registry=registry)(by_owner)
        kopf.on.event(*resource, labels=selector, registry=registry)(on_child)
