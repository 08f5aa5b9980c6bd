"""OpenAPI v3 documents (`/openapi/v3` and one per group/version), built from the kinds registry,
kubeschema's definitions of built-in types and the CRDs' schemas. Pure.

kubectl reads them to learn that the server validates fields itself (the `fieldValidation` query
parameter on each kind's PATCH operation), so `kubectl create/apply` need no `--validate=false`;
`kubectl explain` reads the component schemas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from localkube.apiserver import openapi_v2, openapi_v2_proto
from localkube.apiserver.discovery import KUBE_VERSION
from localkube.apiserver.kinds import Registry, ResourceInfo

GVK_EXT = "x-kubernetes-group-version-kind"


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@cache
def _builtin_definitions() -> dict[str, dict[str, Any]]:
    try:
        import kubeschema
    except ImportError:  # pragma: no cover - kubeschema ships with this package
        return {}
    fn = getattr(kubeschema, "definitions_v3", None)
    return fn() if fn is not None else {}


@cache
def _definition_by_gvk() -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for name, d in _builtin_definitions().items():
        for gvk in d.get(GVK_EXT) or ():
            out[(gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))] = name
    return out


def warm_up() -> None:
    _definition_by_gvk()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.removeprefix("#/components/schemas/")
        for v in node.values():
            yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def _closure(names: list[str]) -> dict[str, Any]:
    defs = _builtin_definitions()
    out: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out or name not in defs:
            continue
        out[name] = defs[name]
        todo.extend(_refs(defs[name]))
    return out


OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _with_object_meta(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD schema as the server publishes it: metadata is the standard ObjectMeta."""
    props = dict(schema.get("properties") or {})
    props["metadata"] = {
        "allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}],
        "description": "Standard object's metadata.",
    }
    return {**schema, "properties": props}


def _custom_name(info: ResourceInfo) -> str:
    return ".".join(reversed(info.group.split("."))) + f".{info.version}.{info.kind}"


def _params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in names]


def _op(info: ResourceInfo, action: str, schema_ref: str) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": schema_ref}}}}
    op: dict[str, Any] = {
        "operationId": f"{action}{info.kind}",
        "parameters": _params("dryRun", "fieldManager", "fieldValidation")
        + (_params("force") if action == "patch" else []),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}}
        },
        "x-kubernetes-action": action,
        GVK_EXT: {"group": info.group, "version": info.version, "kind": info.kind},
    }
    if action == "patch":
        # kubectl sends a strategic merge patch only where the server lists it: never for custom resources
        types = ["application/json-patch+json", "application/merge-patch+json"]
        if not info.custom:
            types.append("application/strategic-merge-patch+json")
        types.append("application/apply-patch+yaml")
        op["requestBody"] = {"content": {t: {"schema": {"type": "object"}} for t in types}, "required": True}
    else:
        op["requestBody"] = {**body, "required": True}
    return op


def group_version(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = registry.resources(group, version)
    if not infos:
        return None
    prefix = "/" + gv_path(group, version)
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    wanted: list[str] = []
    for info in infos:
        if info.custom:
            name = _custom_name(info)
            wanted.append(OBJECT_META)
            schemas[name] = {
                **_with_object_meta(info.schema or {"type": "object"}),
                GVK_EXT: [{"group": info.group, "version": info.version, "kind": info.kind}],
            }
        else:
            found = _definition_by_gvk().get((info.group, info.version, info.kind))
            if found is None:
                continue
            name = found
            wanted.append(found)
        ref = f"#/components/schemas/{name}"
        scope = prefix + ("/namespaces/{namespace}" if info.namespaced else "")
        paths[f"{scope}/{info.plural}"] = {"post": _op(info, "post", ref)}
        paths[f"{scope}/{info.plural}/{{name}}"] = {
            "put": _op(info, "put", ref),
            "patch": _op(info, "patch", ref),
        }
    schemas.update(_closure(wanted))
    git = KUBE_VERSION[2]
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": git},
        "paths": paths,
        "components": {"schemas": schemas},
    }


class Documents:
    """Serialized documents, rebuilt only when the set of served resources changes."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._key: tuple[Any, ...] = ()
        self._docs: dict[str, bytes] = {}
        self._v2 = b""
        self._v2_key: tuple[Any, ...] | None = None
        self._v2_proto = b""
        self._v2_proto_key: tuple[Any, ...] | None = None

    def _refresh(self) -> None:
        key = tuple(sorted((i.group, i.version, i.plural, id(i.schema)) for i in self.registry.all()))
        if key == self._key:
            return
        docs: dict[str, bytes] = {}
        for group in ["", *self.registry.groups()]:
            for version in self.registry.versions(group):
                doc = group_version(self.registry, group, version)
                if doc is not None:
                    docs[gv_path(group, version)] = json.dumps(doc, separators=(",", ":")).encode()
        self._docs, self._key = docs, key

    def root(self) -> dict[str, Any]:
        self._refresh()
        return {
            "paths": {
                path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={_hash(raw)}"}
                for path, raw in self._docs.items()
            }
        }

    def get(self, path: str) -> bytes | None:
        self._refresh()
        return self._docs.get(path)

    def v2(self) -> bytes:
        """The Swagger 2.0 document of everything served, rebuilt when the v3 ones are."""
        self._refresh()
        if self._v2_key != self._key:
            docs = [json.loads(raw) for raw in self._docs.values()]
            self._v2 = json.dumps(openapi_v2.swagger(docs, KUBE_VERSION[2]), separators=(",", ":")).encode()
            self._v2_key = self._key
        return self._v2

    def v2_protobuf(self) -> bytes:
        """The same document as gnostic's protobuf message, built on first demand."""
        raw = self.v2()
        if self._v2_proto_key != self._key:
            self._v2_proto = openapi_v2_proto.document(json.loads(raw))
            self._v2_proto_key = self._key
        return self._v2_proto


def _hash(raw: bytes) -> str:
    return hashlib.sha512(raw).hexdigest()[:128].upper()
