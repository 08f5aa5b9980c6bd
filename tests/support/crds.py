"""Our generated CRD schemas next to KubeRay's, and the samples of one kind, for the CRD tests."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from functools import cache
from typing import Any

import kubernetes
import yaml

from kuberay.api.crd import KINDS, render_crd
from localkube.apiserver import schema as kube_schema
from support.paths import KUBERAY_SAMPLES, SHARED
from support.waiting import wait_for


def create_crd(k8s: kubernetes.client.ApiClient, crd: dict[str, Any]) -> None:
    """Create `crd` and return once it is Established: kube-apiserver serves a CRD's resource only
    from then on, a moment after the create (localkube establishes it within the create)."""
    ext = kubernetes.client.ApiextensionsV1Api(k8s)
    ext.create_custom_resource_definition(crd)
    wait_for(
        "the CRD to be Established",
        lambda: any(
            c.type == "Established" and c.status == "True"
            for c in (ext.read_custom_resource_definition(crd["metadata"]["name"]).status.conditions or [])
        ),
    )


def wait_established(kubectl: Callable[..., subprocess.CompletedProcess[str]], name: str) -> None:
    """Wait, with the real kubectl, for CRD `name` to be Established. (`kubectl wait
    --for=condition=Established` fails at once on a CRD whose status has no conditions yet, as on
    kube-apiserver right after the create.)"""
    jsonpath = '{.status.conditions[?(@.type=="Established")].status}'
    wait_for(
        f"CRD {name} to be Established",
        lambda: kubectl("get", "crd", name, "-o", f"jsonpath={jsonpath}").stdout == "True",
    )


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
