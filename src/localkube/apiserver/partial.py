"""Partial object metadata: `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`
asks for objects' metadata only, as client-go's metadata client and `kubectl get -o name` do (pure)."""

from __future__ import annotations

from typing import Any

META_API_VERSION = "meta.k8s.io/v1"


def requested(accept: str) -> bool:
    """Whether the first media type the client accepts is a PartialObjectMetadata(List)."""
    for clause in accept.split(","):
        params = dict(p.strip().partition("=")[::2] for p in clause.split(";")[1:] if "=" in p)
        if params.get("as") in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1")
        if clause.strip():
            return False
    return False


def one(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": META_API_VERSION,
        "metadata": obj.get("metadata") or {},
    }


def many(items: list[dict[str, Any]], list_meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": META_API_VERSION,
        "metadata": list_meta,
        "items": [one(o) for o in items],
    }
