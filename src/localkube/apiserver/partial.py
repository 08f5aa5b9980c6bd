"""Partial object metadata: `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`
asks for objects' metadata only, as client-go's metadata client and `kubectl get -o name` do (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localkube.apiserver.errors import APIError

META_API_VERSION = "meta.k8s.io/v1"


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


# --- what the client asked for: kube-apiserver's content negotiation of `as=` (pure) ----------

TABLE = "Table"
PARTIAL_ONE = "PartialObjectMetadata"
PARTIAL_LIST = "PartialObjectMetadataList"
_AS_KINDS = (TABLE, PARTIAL_ONE, PARTIAL_LIST)
INCLUDE_OBJECT = ("", "Metadata", "Object", "None")


@dataclass(frozen=True)
class Accepted:
    """The representation to serve: `as_kind` "" for the object itself."""

    as_kind: str = ""
    version: str = "v1"  # meta.k8s.io's version the client named (v1beta1 still served)

    @property
    def api_version(self) -> str:
        return f"meta.k8s.io/{self.version}"


def negotiate(accept: str) -> Accepted:
    """The first clause of `Accept` the server can serve, as kube-apiserver picks it: a plain media
    type serves the object; `as=Table`, `as=PartialObjectMetadata[List]` need `g=meta.k8s.io` and
    `v=v1` or `v1beta1`. Nothing servable is 406 (an `as=` of another kind, version or group)."""
    if not accept.strip():
        return Accepted()
    for clause in accept.split(","):
        if not clause.strip():
            continue
        params = dict(p.strip().partition("=")[::2] for p in clause.split(";")[1:] if "=" in p)
        wanted = params.get("as")
        if wanted is None:
            return Accepted()
        if wanted in _AS_KINDS and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return Accepted(wanted, params["v"])
    raise APIError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf",
        {},
    )


def go_type(group: str, kind: str, custom: bool, is_list: bool) -> str:
    """The Go type kube-apiserver names in its 406 (`*core.ConfigMapList`)."""
    if custom:
        return "*unstructured.UnstructuredList" if is_list else "*unstructured.Unstructured"
    package = group.split(".")[0] if group else "core"
    return f"*{package}.{kind}{'List' if is_list else ''}"


def check_shape(accepted: Accepted, is_list: bool, type_name: str) -> None:
    """A list answers PartialObjectMetadataList, one object PartialObjectMetadata: the other is 406."""
    if accepted.as_kind == PARTIAL_ONE and is_list:
        raise APIError(
            406,
            "NotAcceptable",
            f"you requested PartialObjectMetadata, but the requested object is a list ({type_name})",
            {},
        )
    if accepted.as_kind == PARTIAL_LIST and not is_list:
        raise APIError(
            406,
            "NotAcceptable",
            f"you requested PartialObjectMetadataList, but the requested object is not a list ({type_name})",
            {},
        )


def check_include_object(value: str) -> None:
    if value not in INCLUDE_OBJECT:
        raise APIError(
            400,
            "BadRequest",
            "Unable to convert to Table as requested: includeObject: Invalid value: "
            f"\"{value}\": must be 'Metadata', 'Object', 'None', or empty",
            {},
        )
