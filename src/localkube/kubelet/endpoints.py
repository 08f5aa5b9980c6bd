"""Endpoints of a Service from its selected pods (pure), as the endpoints controller computes them."""

from __future__ import annotations

from typing import Any


def selects(selector: dict[str, str], pod: dict[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def pod_ready(pod: dict[str, Any]) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def resolve_target_port(port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """A service port's targetPort on a pod: a number, or a container port's name."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for cp in c.get("ports") or []:
            if cp.get("name") == target and (cp.get("protocol") or "TCP") == (port.get("protocol") or "TCP"):
                return int(cp["containerPort"])
    return None


def _address(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    addr: dict[str, Any] = {
        "ip": (pod.get("status") or {}).get("podIP"),
        "nodeName": spec.get("nodeName"),
        "targetRef": {
            "kind": "Pod",
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
        },
    }
    if spec.get("hostname"):
        addr["hostname"] = spec["hostname"]
    return addr


def compute_subsets(service: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Subsets grouped by resolved port set; unready pods under notReadyAddresses (unless the
    service publishes not-ready addresses)."""
    spec = service.get("spec") or {}
    selector = spec.get("selector") or {}
    publish_unready = bool(spec.get("publishNotReadyAddresses"))
    ns = (service.get("metadata") or {}).get("namespace")
    groups: dict[tuple[tuple[str, int, str], ...], dict[str, list[dict[str, Any]]]] = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("namespace") != ns or not selects(selector, pod):
            continue
        if meta.get("deletionTimestamp") or not (pod.get("status") or {}).get("podIP"):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        ports = []
        for p in spec.get("ports") or []:
            target = resolve_target_port(p, pod)
            if target is not None:
                ports.append((p.get("name") or "", target, p.get("protocol") or "TCP"))
        key = tuple(ports)
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": []})
        ready = publish_unready or pod_ready(pod)
        group["addresses" if ready else "notReadyAddresses"].append(_address(pod))
    subsets = []
    for key in sorted(groups):
        group = groups[key]
        subset: dict[str, Any] = {}
        for field in ("addresses", "notReadyAddresses"):
            if group[field]:
                subset[field] = sorted(group[field], key=lambda a: a["ip"])
        if key:
            subset["ports"] = [{"name": n, "port": t, "protocol": pr} if n else {"port": t, "protocol": pr}
                               for n, t, pr in key]  # fmt: skip
        subsets.append(subset)
    return subsets


def same_subsets(a: list[dict[str, Any]] | None, b: list[dict[str, Any]] | None) -> bool:
    def norm(subsets: list[dict[str, Any]] | None) -> list[Any]:
        out = []
        for s in subsets or []:
            out.append(
                (
                    sorted(
                        (x.get("ip"), (x.get("targetRef") or {}).get("uid")) for x in s.get("addresses") or []
                    ),
                    sorted(
                        (x.get("ip"), (x.get("targetRef") or {}).get("uid"))
                        for x in s.get("notReadyAddresses") or []
                    ),
                    sorted(
                        (p.get("name") or "", p.get("port"), p.get("protocol") or "TCP")
                        for p in s.get("ports") or []
                    ),
                )
            )
        return sorted(out, key=repr)

    return norm(a) == norm(b)


SLICE_MANAGER = "endpointslice-controller.k8s.io"


def compute_slices(service: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """EndpointSlices (discovery.k8s.io/v1) for the service: one per distinct resolved port set,
    named `<service>-<n>`, owned by the service so they go when it goes."""
    meta = service.get("metadata") or {}
    name = meta["name"]
    slices = []
    for i, subset in enumerate(compute_subsets(service, pods) or [{}]):
        eps = []
        for field, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.get(field) or []:
                ep: dict[str, Any] = {
                    "addresses": [a["ip"]],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False},
                    "targetRef": a["targetRef"],
                }
                if a.get("nodeName"):
                    ep["nodeName"] = a["nodeName"]
                if a.get("hostname"):
                    ep["hostname"] = a["hostname"]
                eps.append(ep)
        slices.append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-{i}",
                    "namespace": meta.get("namespace"),
                    "labels": {
                        "kubernetes.io/service-name": name,
                        "endpointslice.kubernetes.io/managed-by": SLICE_MANAGER,
                    },
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Service",
                            "name": name,
                            "uid": meta.get("uid"),
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "addressType": "IPv4",
                "endpoints": eps,
                "ports": [
                    {"name": p.get("name", ""), "port": p["port"], "protocol": p["protocol"]}
                    for p in subset.get("ports") or []
                ],
            }
        )
    return slices


def same_slice(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(s: dict[str, Any]) -> Any:
        return (
            sorted(
                (tuple(e.get("addresses") or []), bool((e.get("conditions") or {}).get("ready")))
                for e in s.get("endpoints") or []
            ),
            sorted(
                (p.get("name") or "", p.get("port"), p.get("protocol") or "TCP") for p in s.get("ports") or []
            ),
        )

    return bool(norm(a) == norm(b))
