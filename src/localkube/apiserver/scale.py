"""The scale subresource (autoscaling/v1 Scale) of a resource that declares where its replicas
live (ResourceInfo.scale): the Scale view of an object, a patched Scale, and the object with the
new replica count. Pure; Core.scale stores the result."""

from __future__ import annotations

import copy
from typing import Any

from localkube.apiserver import errors, patches
from localkube.apiserver.errors import APIError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.shapes import get_path, set_path

# The patch types a Scale takes; a Scale has no lists, so a strategic merge is a merge.
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


def selector_text(selector: dict[str, Any]) -> str:
    """A metav1.LabelSelector as the string a Scale's status.selector carries."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


_SCALE_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def scale_of(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """The Scale that `obj` shows through its ScalePaths."""
    assert info.scale is not None
    meta = obj["metadata"]
    status: dict[str, Any] = {"replicas": get_path(obj, info.scale.status_replicas) or 0}
    if info.scale.label_selector:
        sel = get_path(obj, info.scale.label_selector)
        if isinstance(sel, dict):
            sel = selector_text({"matchLabels": sel} if info.scale.map_selector else sel)
        if sel:
            status["selector"] = sel
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in _SCALE_META if k in meta},
        "spec": {"replicas": get_path(obj, info.scale.spec_replicas) or 0},
        "status": status,
    }


def patched(scale: dict[str, Any], media: str, patch: Any) -> Any:
    """`scale` with a PATCH body of type `media` applied."""
    try:
        if media == "application/json-patch+json":
            return patches.json_patch(scale, patch)
        if media in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            return patches.merge_patch(scale, patch)
    except patches.PatchError as e:
        raise APIError(422, "Invalid", str(e), {}) from e
    raise errors.unsupported_media_type(media, list(PATCH_TYPES))


def with_replicas(info: ResourceInfo, obj: dict[str, Any], name: str, new_scale: Any) -> dict[str, Any]:
    """A copy of `obj` with the Scale's spec.replicas (and its resourceVersion as the precondition,
    when it names one); 422 for a Scale without a non-negative integer replica count."""
    assert info.scale is not None
    replicas = (new_scale.get("spec") or {}).get("replicas") if isinstance(new_scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid("Scale", "autoscaling", name, [])
    out = copy.deepcopy(obj)
    rv = (new_scale.get("metadata") or {}).get("resourceVersion")
    out["metadata"]["resourceVersion"] = rv or out["metadata"]["resourceVersion"]
    set_path(out, info.scale.spec_replicas, replicas)
    return out
