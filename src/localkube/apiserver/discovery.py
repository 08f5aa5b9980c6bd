"""Discovery documents (legacy and aggregated v2), computed from the kinds registry. Pure."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from localkube.apiserver.kinds import SUBRESOURCES, Registry, ResourceInfo

KUBE_VERSION = ("1", "37", "v1.37.2")
AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version_info() -> dict[str, str]:
    major, minor, git = KUBE_VERSION
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
        "gitVersion": git,
        "gitCommit": "localkube",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _hash(info: ResourceInfo) -> str:
    """kube-apiserver's storageVersionHash: the first 8 bytes of the SHA-256 of the stored
    group/version/kind, in base64, the same for every served version of a kind (events.k8s.io
    Events hash as core's, where they are stored; a custom resource as its storage version)."""
    group = info.group if info.storage_group is None else info.storage_group
    version = info.storage_version or info.version
    digest = hashlib.sha256(f"{group}/{version}/{info.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _sub_kind(info: ResourceInfo, sub: str) -> tuple[str, str, str]:
    group, version, kind = SUBRESOURCES[sub][:3]
    if not kind:
        return info.group, info.version, info.kind
    return group, version, kind.format(kind=info.kind)


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(registry: Registry, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in registry.versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(registry: Registry) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(registry, g) for g in registry.groups() if registry.versions(g)],
    }


def api_group(registry: Registry, group: str) -> dict[str, Any] | None:
    if not registry.versions(group):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(registry, group)}


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = registry.resources(group, version)
    if not infos:
        return None
    resources: list[dict[str, Any]] = []
    for info in infos:
        entry: dict[str, Any] = {
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": list(info.verbs),
        }
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        if "get" in info.verbs and not info.route:  # reviews, bindings, componentstatuses: not stored
            entry["storageVersionHash"] = _hash(info)
        resources.append(entry)
        for sub in info.subresources:
            g, v, k = _sub_kind(info, sub)
            sub_entry: dict[str, Any] = {
                "name": f"{info.plural}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": k,
                "verbs": list(SUBRESOURCES[sub][3]),
            }
            if (g, v) != (info.group, info.version):
                sub_entry["group"], sub_entry["version"] = g, v
            resources.append(sub_entry)
    gv = f"{group}/{version}" if group else version
    if not group:  # kube-apiserver's legacy /api/v1 list carries no apiVersion
        return {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _response_kind(info: ResourceInfo, group: str, version: str, kind: str) -> dict[str, str]:
    """kube-apiserver leaves group and version empty when they are the resource's own (built-in
    kinds), and names them otherwise (a Deployment's scale is autoscaling/v1 Scale)."""
    if not info.custom and (group, version) == (info.group, info.version):
        group = version = ""
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(info: ResourceInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": info.plural,
        "responseKind": _response_kind(info, info.group, info.version, info.kind),
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    subs = []
    for sub in info.subresources:
        g, v, k = _sub_kind(info, sub)
        subs.append(
            {
                "subresource": sub,
                "responseKind": _response_kind(info, g, v, k),
                "verbs": list(SUBRESOURCES[sub][3]),
            }
        )
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(registry: Registry, core: bool) -> dict[str, Any]:
    """apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core) or /apis (all named groups)."""
    groups = [""] if core else [g for g in registry.groups() if registry.versions(g)]
    items = []
    for group in groups:
        versions = [
            {
                "version": v,
                "freshness": "Current",
                "resources": [_aggregated_resource(i) for i in registry.resources(group, v)],
            }
            for v in registry.versions(group)
        ]
        # kube-apiserver names each group (the core group's metadata is empty)
        items.append({"metadata": {"name": group} if group else {}, "versions": versions})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
