"""Our `ray.io/v1` RayCluster, RayJob and RayService CustomResourceDefinitions, generated from the
typed models.

pydantic's JSON Schema is turned into a Kubernetes *structural* schema: every node has a type,
no `$ref`, no nullable unions, and the Kubernetes built-in types the spec embeds (pod templates,
env vars, resources, services) get their full schemas from `kubeschema`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from kuberay.api.rayjob_types import RAYJOB_KIND, RayJob
from kuberay.api.rayservice_types import RAYSERVICE_KIND, RayService
from kuberay.api.types import API_GROUP, KIND, RayCluster
from kubeschema import type_schema

QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)

# Same names, types, JSONPaths and priorities as KubeRay's `kubectl get rayclusters` columns.
PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "desired workers", "type": "integer", "jsonPath": ".status.desiredWorkerReplicas"},
    {"name": "available workers", "type": "integer", "jsonPath": ".status.availableWorkerReplicas"},
    {"name": "cpus", "type": "string", "jsonPath": ".status.desiredCPU"},
    {"name": "memory", "type": "string", "jsonPath": ".status.desiredMemory"},
    {"name": "gpus", "type": "string", "jsonPath": ".status.desiredGPU"},
    {"name": "tpus", "type": "string", "jsonPath": ".status.desiredTPU", "priority": 1},
    {"name": "status", "type": "string", "jsonPath": ".status.state"},
    {"name": "age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {"name": "head pod IP", "type": "string", "jsonPath": ".status.head.podIP", "priority": 1},
    {"name": "head service IP", "type": "string", "jsonPath": ".status.head.serviceIP", "priority": 1},
]
# KubeRay's `kubectl get rayjobs` columns.
RAYJOB_PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "job status", "type": "string", "jsonPath": ".status.jobStatus"},
    {"name": "deployment status", "type": "string", "jsonPath": ".status.jobDeploymentStatus"},
    {"name": "ray cluster name", "type": "string", "jsonPath": ".status.rayClusterName"},
    {"name": "start time", "type": "string", "jsonPath": ".status.startTime"},
    {"name": "end time", "type": "string", "jsonPath": ".status.endTime"},
    {"name": "age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]
# KubeRay's `kubectl get rayservices` columns.
RAYSERVICE_PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "service status", "type": "string", "jsonPath": ".status.serviceStatus"},
    {"name": "num serve endpoints", "type": "string", "jsonPath": ".status.numServeEndpoints"},
]


@dataclass(frozen=True)
class _Kind:
    kind: str
    plural: str
    model: type[BaseModel]
    columns: list[dict[str, Any]]


# `kuberay crd --kind NAME` takes these keys.
KINDS: dict[str, _Kind] = {
    "raycluster": _Kind(KIND, "rayclusters", RayCluster, PRINTER_COLUMNS),
    "rayjob": _Kind(RAYJOB_KIND, "rayjobs", RayJob, RAYJOB_PRINTER_COLUMNS),
    "rayservice": _Kind(RAYSERVICE_KIND, "rayservices", RayService, RAYSERVICE_PRINTER_COLUMNS),
}

_DROP_KEYS = {"title"}

# metav1.Condition as Kubernetes publishes it; written out because the list-map key `type` must be
# a required property for the API server to accept `x-kubernetes-list-type: map`.
CONDITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["lastTransitionTime", "message", "reason", "status", "type"],
    "properties": {
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "message": {"type": "string", "maxLength": 32768},
        "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
        "reason": {
            "type": "string",
            "maxLength": 1024,
            "minLength": 1,
            "pattern": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        },
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "type": {
            "type": "string",
            "maxLength": 316,
            "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
    },
}


def _builtin_schema(definition: str) -> dict[str, Any]:
    """Structural schema of a Kubernetes built-in type."""
    if definition == "io.k8s.apimachinery.pkg.api.resource.Quantity":
        return {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": QUANTITY_PATTERN,
            "x-kubernetes-int-or-string": True,
        }
    if definition == "io.k8s.apimachinery.pkg.apis.meta.v1.Condition":
        return copy.deepcopy(CONDITION_SCHEMA)
    # Without descriptions, as KubeRay ships its templates: they would double the CRD's size and
    # push it past what `kubectl apply` can keep in its last-applied annotation (256 KiB).
    # Embedded ObjectMeta takes controller-gen's reduced form.
    return type_schema(definition, descriptions=False, embedded_metadata=True)


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "null"


def _structural(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_structural(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _structural(merged, defs)
    if "x-k8s-type" in node:
        builtin = _builtin_schema(node["x-k8s-type"])
        for key, value in node.items():
            if key not in ("x-k8s-type", *_DROP_KEYS) and not (key == "default" and value is None):
                builtin[key] = value
        return builtin
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if not _is_null(o)]
        if len(options) == 1:
            # `X | None` is just "optional X" in a CRD: absence already means None.
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _structural({**options[0], **rest}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS or key == "$defs":
            continue
        if key == "default" and value is None:
            continue
        if key == "properties":
            out[key] = {name: _structural(sub, defs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "allOf", "oneOf"):
            out[key] = _structural(value, defs)
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out.setdefault("x-kubernetes-preserve-unknown-fields", True)
    return out


def openapi_schema(kind: str = "raycluster") -> dict[str, Any]:
    """The openAPIV3Schema (structural) of one of our KINDS, generated from its typed model."""
    raw = KINDS[kind].model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.get("$defs", {})
    schema = _structural(raw, defs)
    schema.pop("required", None)  # KubeRay accepts its objects without spec at the schema level
    props = schema["properties"]
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"type": "object"}
    schema["type"] = "object"
    k = KINDS[kind]
    schema["description"] = f"{k.kind} is the Schema for the {k.kind}s API"
    return schema


def render_crd(kind: str = "raycluster") -> dict[str, Any]:
    """The full CustomResourceDefinition manifest of one of our KINDS (`rayclusters.ray.io`...)."""
    k = KINDS[kind]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{k.plural}.{API_GROUP}"},
        "spec": {
            "group": API_GROUP,
            "names": {
                "categories": ["all"],
                "kind": k.kind,
                "listKind": f"{k.kind}List",
                "plural": k.plural,
                "singular": kind,
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": copy.deepcopy(k.columns),
                    "schema": {"openAPIV3Schema": openapi_schema(kind)},
                }
            ],
        },
    }


def render_crds() -> list[dict[str, Any]]:
    """Every CRD this operator serves, in install order."""
    return [render_crd(kind) for kind in KINDS]


def established(crd: dict[str, Any]) -> bool:
    """Whether a CRD's status says the API server serves its resource (pure)."""
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)
