"""The dashboard Ingress KubeRay creates when headGroupSpec.enableIngress is true (pure)."""

from __future__ import annotations

import copy
from typing import Any

from kuberay.build import naming
from kuberay.build.naming import HEAD
from kuberay.build.service import service_ports

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def build_head_ingress(cluster: dict[str, Any]) -> dict[str, Any] | None:
    """`<cluster>-head-ingress` routing to the head service's dashboard port; None when disabled.

    The RayCluster's annotations are copied (that is how users configure their ingress
    controller), except the deprecated class annotation, which becomes spec.ingressClassName.
    """
    head = cluster["spec"]["headGroupSpec"]
    if not head.get("enableIngress"):
        return None
    options = head.get("ingressOptions") or {}
    cluster_annotations = cluster["metadata"].get("annotations") or {}
    if options:
        path, path_type = options.get("path") or "/", options.get("pathType") or "Prefix"
    else:
        # KubeRay v1.5's route (tests/differential compares it): the cluster's name and a regex
        # group, as NGINX's rewrite-target annotation expects.
        path, path_type = f"/{naming.cluster_name(cluster)}/(.*)", "Exact"
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": path,
                    "pathType": path_type,
                    "backend": {
                        "service": {
                            "name": naming.head_service_name(cluster),
                            "port": {
                                "number": service_ports(cluster).get(
                                    "dashboard", naming.DEFAULT_DASHBOARD_PORT
                                )
                            },
                        }
                    },
                }
            ]
        }
    }
    if options.get("host"):
        rule["host"] = options["host"]
    spec: dict[str, Any] = {"rules": [rule]}
    if options.get("tls"):
        spec["tls"] = copy.deepcopy(options["tls"])
    if INGRESS_CLASS_ANNOTATION in cluster_annotations:
        spec["ingressClassName"] = cluster_annotations[INGRESS_CLASS_ANNOTATION]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": naming.check_name(f"{naming.cluster_name(cluster)}-head-ingress"),
            "namespace": naming.cluster_namespace(cluster),
            "labels": {
                naming.CLUSTER_LABEL: naming.cluster_name(cluster),
                naming.IDENTIFIER_LABEL: naming.identifier(cluster, HEAD),
                naming.APP_NAME_LABEL: naming.APP_NAME,
                naming.CREATED_BY_LABEL: naming.COMPONENT_NAME,
            },
            "annotations": {k: v for k, v in cluster_annotations.items() if k != INGRESS_CLASS_ANNOTATION},
            "ownerReferences": [naming.owner_reference(cluster)],
        },
        "spec": spec,
    }


def ingress_update(existing: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any] | None:
    """The existing Ingress with KubeRay's labels, annotations and spec, or None when it already
    has them. An ingress class the cluster does not ask for is the API server's (a default
    IngressClass) and is kept, or every pass would fight it."""
    spec = copy.deepcopy(wanted["spec"])
    existing_spec = existing.get("spec") or {}
    if "ingressClassName" not in spec and "ingressClassName" in existing_spec:
        spec["ingressClassName"] = existing_spec["ingressClassName"]
    meta = existing["metadata"]
    want_meta = wanted["metadata"]
    if (
        (meta.get("labels") or {}) == want_meta["labels"]
        and (meta.get("annotations") or {}) == want_meta["annotations"]
        and existing_spec == spec
    ):
        return None
    updated = copy.deepcopy(existing)
    updated.pop("status", None)
    updated["metadata"]["labels"] = dict(want_meta["labels"])
    updated["metadata"]["annotations"] = dict(want_meta["annotations"])
    updated["spec"] = spec
    return updated
