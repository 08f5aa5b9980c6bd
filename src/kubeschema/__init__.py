"""Structural OpenAPI v3 schemas of Kubernetes' built-in types. Pure; importable by the operator
and by localkube alike.

Derived on first use from the installed kubernetes_asyncio model classes (field names, types and
the descriptions in their docstrings) plus hand-kept facts the models lose (see _facts.py):

- `type_schema("io.k8s.api.core.v1.PodTemplateSpec")`: fully inlined, structural, no `$ref`, with
  descriptions; a nested ObjectMeta takes the form controller-gen emits for embedded templates.
- `schema_for("v1", "Pod")`: the same for a top-level kind, with the full ObjectMeta.
- `definitions()`: OpenAPI v2-style definitions with `$ref: #/definitions/...` and
  `x-kubernetes-group-version-kind` on top-level kinds, for the API server's OpenAPI documents.

type_schema and definitions return fresh copies callers may change; schema_for returns a shared,
cached dict (read-only).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from kubeschema._build import Options, definition, structural, well_known_definitions
from kubeschema._names import class_for_definition, definition_names, kinds

__all__ = ["definition_name", "definitions", "definitions_v3", "schema_for", "type_schema"]


def _class_of(name: str) -> str:
    cls = class_for_definition().get(name)
    if cls is None:
        if name in definition_names():
            return name  # a Python model class name is accepted too
        raise KeyError(f"unknown OpenAPI definition {name!r}")
    return cls


def definition_name(model_class_name: str) -> str:
    """`V1Pod` -> `io.k8s.api.core.v1.Pod`."""
    return definition_names()[model_class_name]


@cache
def _type_schema(name: str, descriptions: bool, embedded_metadata: bool) -> dict[str, Any]:
    # a nested ObjectMeta in controller-gen's form means a schema for a CRD, so controller-gen's
    # atomic structs too; a top-level kind's schema is kube-apiserver's
    return structural(_class_of(name), Options(descriptions=descriptions, controller_gen=embedded_metadata))


def type_schema(name: str, *, descriptions: bool = True, embedded_metadata: bool = True) -> dict[str, Any]:
    """The inlined structural schema of an OpenAPI definition, e.g. `io.k8s.api.core.v1.PodTemplateSpec`.

    `embedded_metadata=True` gives a nested `metadata` controller-gen's embedded ObjectMeta
    (annotations, finalizers, labels, name, namespace); False gives the full ObjectMeta.
    """
    return copy.deepcopy(_type_schema(name, descriptions, embedded_metadata))


@cache
def _kind_index() -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for cls, k in kinds().items():
        out.setdefault((k.api_version, k.kind), cls)
    return out


def schema_for(api_version: str, kind: str, *, descriptions: bool = True) -> dict[str, Any] | None:
    """The structural schema of a top-level built-in kind (`v1`/`Pod`, `apps/v1`/`Deployment`), or None.

    Unlike type_schema, this returns the same cached dict on every call (the API server looks it
    up on every write, and localkube's compiled-schema cache is keyed by the dict's identity):
    treat it as read-only, deep-copy it before changing it.
    """
    cls = _kind_index().get((api_version, kind))
    if cls is None:
        return None
    return _type_schema(cls, descriptions, False)


@cache
def _definitions() -> dict[str, dict[str, Any]]:
    names = definition_names()
    out = well_known_definitions()
    top = kinds()
    for cls, def_name in sorted(names.items(), key=lambda x: x[1]):
        d = definition(cls, names)
        k = top.get(cls)
        if k is not None:
            d["x-kubernetes-group-version-kind"] = [{"group": k.group, "kind": k.kind, "version": k.version}]
        out[def_name] = d
    return out


def definitions() -> dict[str, dict[str, Any]]:
    """OpenAPI v2-style definitions of every built-in type, keyed by definition name."""
    return copy.deepcopy(_definitions())


def definitions_v3() -> dict[str, dict[str, Any]]:
    """The same definitions as OpenAPI v3 `components.schemas`: references point to
    `#/components/schemas/...`, and a reference with siblings (a description) is wrapped in
    `allOf`, as the API server's /openapi/v3 documents write them."""
    return {name: _to_v3(d) for name, d in _definitions().items()}


def _to_v3(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_v3(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_v3(v) for k, v in node.items() if k != "$ref" or not isinstance(v, str)}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = {"$ref": ref.replace("#/definitions/", "#/components/schemas/")}
        if not out:
            return target
        out["allOf"] = [target]
    return out
