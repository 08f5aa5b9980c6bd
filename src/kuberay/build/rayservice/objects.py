"""What a RayService creates (pure): its serving RayClusters, and the head and serve Services that
point at whichever cluster serves."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions, owner_reference
from kuberay.build.rayservice import names
from kuberay.build.service import build_head_service, service_ports


def _spec_for_hash(cluster_spec: dict[str, Any]) -> dict[str, Any]:
    """Without what scaling changes (replicas, min/max, workersToDelete) nor `suspend`: a change
    to those alone must not start a new cluster."""
    spec = copy.deepcopy(cluster_spec)
    spec.pop("suspend", None)
    for group in spec.get("workerGroupSpecs") or []:
        for key in ("replicas", "minReplicas", "maxReplicas"):
            group.pop(key, None)
        (group.get("scaleStrategy") or {}).pop("workersToDelete", None)
        if group.get("scaleStrategy") == {}:
            group.pop("scaleStrategy")
    return spec


def spec_hash(cluster_spec: dict[str, Any], groups: int | None = None) -> str:
    """The hash a serving cluster is annotated with; with `groups`, of only its first worker groups
    (KubeRay updates a cluster in place when groups were only added at the end)."""
    spec = _spec_for_hash(cluster_spec)
    if groups is not None:
        spec["workerGroupSpecs"] = (spec.get("workerGroupSpecs") or [])[:groups]
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()


def _annotations(cluster: dict[str, Any]) -> dict[str, str]:
    return dict((cluster.get("metadata") or {}).get("annotations") or {})


def same_spec(service: dict[str, Any], cluster: dict[str, Any]) -> bool:
    """The cluster was made from the RayService's current rayClusterConfig."""
    return _annotations(cluster).get(names.HASH_ANNOTATION) == spec_hash(
        names.spec(service)["rayClusterConfig"]
    )


def only_groups_added(service: dict[str, Any], cluster: dict[str, Any]) -> bool:
    """Everything equal except worker groups appended at the end: an in-place update."""
    try:
        groups = int(_annotations(cluster).get(names.NUM_WORKER_GROUPS_ANNOTATION, ""))
    except ValueError:
        return False
    wanted = names.spec(service)["rayClusterConfig"]
    if len(wanted.get("workerGroupSpecs") or []) < groups:
        return False
    return _annotations(cluster).get(names.HASH_ANNOTATION) == spec_hash(wanted, groups)


def build_cluster(
    service: dict[str, Any], cluster_name: str, options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """A serving RayCluster: the RayService's labels and annotations, KubeRay's origin labels, the
    spec hash and number of worker groups, and a controller reference to the RayService."""
    meta = service["metadata"]
    cluster_spec = copy.deepcopy(names.spec(service)["rayClusterConfig"])
    annotations = dict(meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    annotations[names.HASH_ANNOTATION] = spec_hash(cluster_spec)
    annotations[names.NUM_WORKER_GROUPS_ANNOTATION] = str(len(cluster_spec.get("workerGroupSpecs") or []))
    annotations[names.KUBERAY_VERSION_ANNOTATION] = options.kuberay_version
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {
            "name": cluster_name,
            "namespace": names.namespace(service),
            "labels": {**(meta.get("labels") or {}), **names.owned_labels(service)},
            "annotations": annotations,
            "ownerReferences": [owner_reference(service)],
        },
        "spec": cluster_spec,
    }


def build_head_service_for(
    service: dict[str, Any], cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """`<rayservice>-head-svc`: the cluster's own head Service, renamed, selecting the serving
    cluster's head, labelled as the RayService's (no ray.io/cluster: it outlives clusters)."""
    svc = build_head_service(cluster, options)
    svc["metadata"]["name"] = names.head_service_name(service)
    svc["metadata"]["namespace"] = names.namespace(service)
    svc["metadata"]["labels"] = {
        **names.owned_labels(service),
        names.NODE_TYPE_LABEL: "head",
        names.IDENTIFIER_LABEL: f"{names.name(service)}-head",
    }
    svc["metadata"]["ownerReferences"] = [owner_reference(service)]
    return svc


def build_serve_service_for(service: dict[str, Any], cluster: dict[str, Any]) -> dict[str, Any]:
    """`<rayservice>-serve-svc` (or the user's serveService): the serving cluster's pods labelled
    ray.io/serve=true, on the head's `serve` port.

    Raises ValueError when neither the head container nor serveService names a `serve` port, as
    KubeRay refuses then."""
    name = names.name(service)
    selector = {names.CLUSTER_LABEL: names.name(cluster), names.SERVE_LABEL: "true"}
    labels = {**names.owned_labels(service), names.SERVE_LABEL: f"{name}-serve"}
    head_ports = service_ports(cluster)
    ports = (
        [{"name": names.SERVE_PORT_NAME, "port": head_ports[names.SERVE_PORT_NAME]}]
        if names.SERVE_PORT_NAME in head_ports
        else []
    )
    user = names.spec(service).get("serveService")
    service_type = names.spec(service)["rayClusterConfig"].get("headGroupSpec", {}).get("serviceType")
    if user is not None:
        svc = copy.deepcopy(user)
        meta = svc.setdefault("metadata", {})
        spec = svc.setdefault("spec", {})
        if not ports:
            ports = [
                {"name": p["name"], "port": p["port"]}
                for p in spec.get("ports") or []
                if p.get("name") == names.SERVE_PORT_NAME
            ][:1]
        spec["ports"] = ports
        spec["selector"] = selector
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
        meta["annotations"] = meta.get("annotations") or {}
        meta["name"] = names.serve_service_name(service)
        if not spec.get("type") and service_type:
            spec["type"] = service_type
        svc.pop("status", None)
    else:
        svc = {"metadata": {"name": names.serve_service_name(service), "labels": labels}, "spec": {}}
        svc["spec"] = {"selector": selector, "ports": ports}
        if service_type:
            svc["spec"]["type"] = service_type
    if not ports:
        raise ValueError(
            "Please specify the port named 'serve' in the Ray head container; "
            "otherwise, the Kubernetes service for Ray Serve will not be created."
        )
    svc["apiVersion"], svc["kind"] = "v1", "Service"
    svc["metadata"]["namespace"] = names.namespace(service)
    svc["metadata"]["ownerReferences"] = [owner_reference(service)]
    return svc


def selected_cluster(svc: dict[str, Any] | None) -> str:
    """The cluster a head or serve Service points at ("" for none)."""
    if svc is None:
        return ""
    return str(((svc.get("spec") or {}).get("selector") or {}).get(names.CLUSTER_LABEL) or "")
