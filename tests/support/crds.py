"""Our generated CRD schemas next to KubeRay's, and the samples of one kind, for the CRD tests."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml

from kuberay.api.crd import KINDS, render_crd
from localkube.apiserver import schema as kube_schema
from support.paths import KUBERAY_SAMPLES, SHARED


@cache
def our_schema(kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of our CRD for `kind` (raycluster, rayjob, rayservice)."""
    schema: dict[str, Any] = render_crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@cache
def kuberay_schema(kind: str) -> dict[str, Any]:
    """The v1 openAPIV3Schema of KubeRay's CRD for `kind`."""
    crd = yaml.safe_load((SHARED / "kuberay" / "crds" / f"ray.io_{KINDS[kind].plural}.yaml").read_text())
    schema: dict[str, Any] = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")["schema"][
        "openAPIV3Schema"
    ]
    return schema


def schema_errors(
    obj: dict[str, Any], schema: dict[str, Any], old: dict[str, Any] | None = None
) -> list[str]:
    """What the API server would say about `obj` (after defaulting) under `schema`."""
    obj = copy.deepcopy(obj)
    kube_schema.apply_defaults(obj, schema)
    return [e.message() for e in kube_schema.validate(obj, schema, old=old)]


def sample_object(name: str, kind: str) -> dict[str, Any]:
    """The one object of `kind` (RayJob, RayService) in KubeRay's sample file `name`."""
    (doc,) = [d for d in yaml.safe_load_all((KUBERAY_SAMPLES / name).read_text()) if d and d["kind"] == kind]
    return dict(doc)


def widget_crd(
    group: str,
    spec: dict[str, Any],
    status: dict[str, Any] | None = None,
    subresources: bool = True,
    **names: Any,
) -> dict[str, Any]:
    """A namespaced `Widget` CRD (v1, stored) in `group`, with `spec` and `status` properties and,
    unless `subresources` is off, the status and scale (`.spec.replicas`) subresources. `names` adds
    to its names (shortNames, categories)."""
    properties: dict[str, Any] = {"spec": {"type": "object", **spec}}
    if status is not None:
        properties["status"] = {"type": "object", "properties": status}
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": properties}},
    }
    if subresources:
        version["subresources"] = {
            "status": {},
            "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
        }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", **names},
            "versions": [version],
        },
    }
