"""What a test left behind in a custom resource that would stall deleting its CRD (pure): the
objects still holding finalizers, as API paths to patch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def collection_path(crd: dict[str, Any]) -> str | None:
    """The path listing every object of a CRD across namespaces, in a version it serves (the
    storage version when served), or None when it serves none."""
    spec = crd.get("spec") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served")]
    if not versions:
        return None
    version = next((v for v in versions if v.get("storage")), versions[0])
    return f"/apis/{spec['group']}/{version['name']}/{spec['names']['plural']}"


def finalized_paths(collection: str, items: Iterable[dict[str, Any]]) -> list[str]:
    """The paths of the listed objects that carry finalizers. `collection` is the cluster-wide
    list path the items came from (/apis/GROUP/VERSION/PLURAL)."""
    prefix, plural = collection.rsplit("/", 1)
    paths = []
    for item in items:
        meta = item.get("metadata") or {}
        if not meta.get("finalizers"):
            continue
        namespace = meta.get("namespace")
        where = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else collection
        paths.append(f"{where}/{meta['name']}")
    return paths
