"""The head Service `<cluster>-head-svc` (or the user's headGroupSpec.headService) (pure)."""

from __future__ import annotations

import copy
from typing import Any

from kuberay.build import naming
from kuberay.build.naming import DEFAULT_OPTIONS, HEAD, WORKER, BuildOptions

DEFAULT_PORTS = {
    "client": naming.DEFAULT_CLIENT_PORT,
    "gcs-server": naming.DEFAULT_GCS_PORT,
    "dashboard": naming.DEFAULT_DASHBOARD_PORT,
    "metrics": naming.DEFAULT_METRICS_PORT,
    "serve": naming.DEFAULT_SERVING_PORT,
}


def head_service_labels(cluster: dict[str, Any]) -> dict[str, str]:
    """The labels the head Service carries and selects the head pod by."""
    return {
        naming.CLUSTER_LABEL: naming.cluster_name(cluster),
        naming.NODE_TYPE_LABEL: HEAD,
        naming.IDENTIFIER_LABEL: naming.identifier(cluster, HEAD),
        naming.APP_NAME_LABEL: naming.APP_NAME,
        naming.CREATED_BY_LABEL: naming.COMPONENT_NAME,
    }


def service_ports(cluster: dict[str, Any]) -> dict[str, int]:
    """Named ports of the head's Ray container (unnamed ones become `<port>-port`), else KubeRay's
    defaults; a metrics port is always exposed."""
    containers = cluster["spec"]["headGroupSpec"]["template"].get("spec", {}).get("containers") or [{}]
    ports: dict[str, int] = {}
    for port in containers[0].get("ports") or []:
        name = port.get("name") or f"{port['containerPort']}-port"
        ports[name] = int(port["containerPort"])
    if not ports:
        ports = dict(DEFAULT_PORTS)
    ports.setdefault("metrics", naming.DEFAULT_METRICS_PORT)
    return ports


def build_head_service(cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """The head Service. Like KubeRay it is headless (clusterIP None, publishing not-ready
    addresses) unless `serviceType` asks for something else or the operator runs with
    `head_cluster_ip_service`; a user-provided `headService` is used as the base."""
    head = cluster["spec"]["headGroupSpec"]
    template_labels = (head["template"].get("metadata") or {}).get("labels") or {}
    selector = head_service_labels(cluster)
    # Only app.kubernetes.io/name may be overridden, and only from the head template's labels.
    if naming.APP_NAME_LABEL in template_labels:
        selector[naming.APP_NAME_LABEL] = template_labels[naming.APP_NAME_LABEL]
    annotations = dict(cluster["spec"].get("headServiceAnnotations") or {})
    name = naming.head_service_name(cluster)
    namespace = naming.cluster_namespace(cluster)
    service_type = head.get("serviceType")
    ports = [
        {"name": port_name, "port": port, "appProtocol": "tcp"}
        for port_name, port in sorted(service_ports(cluster).items())
    ]
    owner = [naming.owner_reference(cluster)]

    custom = head.get("headService")
    if custom is not None:
        svc = copy.deepcopy(custom)
        svc["apiVersion"], svc["kind"] = "v1", "Service"
        meta = svc.setdefault("metadata", {})
        spec = svc.setdefault("spec", {})
        spec["selector"] = dict(selector)
        # headServiceAnnotations win over annotations written in headService itself.
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
        existing = spec.setdefault("ports", [])
        taken = {p.get("name") for p in existing} | {p.get("port") for p in existing}
        existing.extend(p for p in ports if p["name"] not in taken and p["port"] not in taken)
        meta["labels"] = {**(meta.get("labels") or {}), **selector}
        meta["name"] = meta.get("name") or name
        meta["namespace"] = namespace
        if not spec.get("type") and service_type:
            spec["type"] = service_type
        meta["ownerReferences"] = owner
        svc.pop("status", None)
        return svc

    spec = {"selector": dict(selector), "ports": ports}
    if service_type:
        spec["type"] = service_type
    if not options.head_cluster_ip_service and service_type in (None, "", "ClusterIP"):
        # One head pod per cluster: a headless Service resolves straight to it.
        spec["clusterIP"] = "None"
        spec["publishNotReadyAddresses"] = True
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(selector),
            "annotations": annotations,
            "ownerReferences": owner,
        },
        "spec": spec,
    }


def is_serving_port(name: str) -> bool:
    """KubeRay serves every head port named `serve` or `serve-...` (HTTP and gRPC proxies)."""
    return name == "serve" or name.startswith("serve-")


def wants_serve_service(cluster: dict[str, Any]) -> bool:
    annotations = cluster["metadata"].get("annotations") or {}
    return annotations.get(naming.ENABLE_SERVE_SERVICE_ANNOTATION) == "true"


def serve_service_name(cluster: dict[str, Any]) -> str:
    return f"{naming.cluster_name(cluster)}-serve-svc"


def build_serve_service(cluster: dict[str, Any]) -> dict[str, Any] | None:
    """`<cluster>-serve-svc` for the annotation ray.io/enable-serve-service: "true"; None when not
    asked for. It selects every pod of the cluster (Serve proxies may run on any node) and carries
    KubeRay's originated-from labels rather than ray.io/cluster, as KubeRay's does.

    Raises ValueError when the head container declares no serve port, as KubeRay refuses then."""
    if not wants_serve_service(cluster):
        return None
    name = naming.cluster_name(cluster)
    ports = [
        {"name": port_name, "port": port}
        for port_name, port in sorted(service_ports(cluster).items())
        if is_serving_port(port_name)
    ]
    if not ports:
        raise ValueError(
            "Please specify a port named 'serve' (or with the prefix 'serve-', e.g. 'serve-grpc') in the "
            "Ray head container; otherwise, the Kubernetes service for Ray Serve will not be created."
        )
    spec: dict[str, Any] = {"selector": {naming.CLUSTER_LABEL: name}, "ports": ports}
    service_type = cluster["spec"]["headGroupSpec"].get("serviceType")
    if service_type:
        spec["type"] = service_type
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": serve_service_name(cluster),
            "namespace": naming.cluster_namespace(cluster),
            "labels": {
                naming.ORIGINATED_FROM_CR_NAME_LABEL: name,
                naming.ORIGINATED_FROM_CRD_LABEL: "RayCluster",
                naming.SERVE_LABEL: f"{name}-serve",
            },
            "ownerReferences": [naming.owner_reference(cluster)],
        },
        "spec": spec,
    }


def is_multi_host(cluster: dict[str, Any]) -> bool:
    return any(int(g.get("numOfHosts") or 1) > 1 for g in naming.worker_groups(cluster))


def headless_service_name(cluster: dict[str, Any]) -> str:
    return f"{naming.cluster_name(cluster)}-headless"


def build_headless_service(cluster: dict[str, Any]) -> dict[str, Any] | None:
    """`<cluster>-headless`, the worker Service multi-host groups (numOfHosts > 1) use to find
    their peers by DNS; None when no group is multi-host. Not-ready addresses are published
    because peers must find each other before Ray is up on all of them."""
    if not is_multi_host(cluster):
        return None
    name = naming.cluster_name(cluster)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": headless_service_name(cluster),
            "namespace": naming.cluster_namespace(cluster),
            "labels": {naming.HEADLESS_WORKER_SERVICE_LABEL: name},
            "ownerReferences": [naming.owner_reference(cluster)],
        },
        "spec": {
            "clusterIP": "None",
            "selector": {naming.CLUSTER_LABEL: name, naming.NODE_TYPE_LABEL: WORKER},
            "type": "ClusterIP",
            "publishNotReadyAddresses": True,
        },
    }
