"""The APIService objects kube-aggregator creates at start for every built-in group/version
(`kubectl get apiservices`): all served locally, so all Available (pure)."""

from __future__ import annotations

from typing import Any

from localkube.apiserver.kinds import Registry

# (group priority minimum, version priority), as kube-aggregator ranks the built-in groups
_PRIORITIES: dict[str, tuple[int, int]] = {
    "/v1": (18000, 1),
    "apps/v1": (17800, 15),
    "events.k8s.io/v1": (17750, 15),
    "authentication.k8s.io/v1": (17700, 15),
    "authorization.k8s.io/v1": (17600, 15),
    "autoscaling/v2": (17500, 30),
    "batch/v1": (17400, 15),
    "certificates.k8s.io/v1": (17300, 15),
    "networking.k8s.io/v1": (17200, 15),
    "policy/v1": (17100, 15),
    "rbac.authorization.k8s.io/v1": (17000, 15),
    "storage.k8s.io/v1": (16800, 15),
    "apiextensions.k8s.io/v1": (16700, 15),
    "admissionregistration.k8s.io/v1": (16700, 15),
    "scheduling.k8s.io/v1": (16600, 15),
    "coordination.k8s.io/v1": (16500, 15),
    "node.k8s.io/v1": (16300, 15),
    "discovery.k8s.io/v1": (16200, 15),
    "flowcontrol.apiserver.k8s.io/v1": (16100, 21),
    "apiregistration.k8s.io/v1": (18000, 15),
    "resource.k8s.io/v1": (15900, 15),
}


def local_apiservices(registry: Registry, now: str) -> list[dict[str, Any]]:
    """One APIService per built-in group/version, named `<version>.<group>` ("v1." for core)."""
    seen: list[tuple[str, str]] = []
    for info in registry.all():
        if not info.custom and (info.group, info.version) not in seen:
            seen.append((info.group, info.version))
    out = []
    for group, version in seen:
        group_priority, version_priority = _PRIORITIES.get(f"{group}/{version}", (1000, 15))
        out.append(
            {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {
                    "name": f"{version}.{group}",
                    "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"},
                },
                "spec": {
                    "group": group,
                    "version": version,
                    "groupPriorityMinimum": group_priority,
                    "versionPriority": version_priority,
                },
                "status": {
                    "conditions": [
                        {
                            "type": "Available",
                            "status": "True",
                            "lastTransitionTime": now,
                            "reason": "Local",
                            "message": "Local APIServices are always available",
                        }
                    ]
                },
            }
        )
    return out
