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
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": options.get("path") or "/",
                    "pathType": options.get("pathType") or "Prefix",
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
