"""KubeRay's defaults for a RayCluster, as pure functions.

The CRD's schema defaults (replicas 0, minReplicas 0, maxReplicas 2147483647, numOfHosts 1,
priority 0) are applied by the API server when our CRD (or KubeRay's) is installed; applying them
here too keeps the operator right when an object arrives without them, and mirrors KubeRay's
setDefaults (empty rayStartParams maps).
"""

from __future__ import annotations

import copy
from typing import Any

from kuberay.api.types import MAX_INT32

WORKER_GROUP_DEFAULTS: dict[str, Any] = {
    "replicas": 0,
    "minReplicas": 0,
    "maxReplicas": MAX_INT32,
    "numOfHosts": 1,
    "priority": 0,
}


def apply_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of the RayCluster with KubeRay's defaults filled in; the input is not modified."""
    out = copy.deepcopy(obj)
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    head = spec.get("headGroupSpec")
    if isinstance(head, dict) and head.get("rayStartParams") is None:
        head["rayStartParams"] = {}
    for group in spec.get("workerGroupSpecs") or []:
        if not isinstance(group, dict):
            continue
        for key, value in WORKER_GROUP_DEFAULTS.items():
            if group.get(key) is None:
                group[key] = value
        if group.get("rayStartParams") is None:
            group["rayStartParams"] = {}
    network_policy = spec.get("networkPolicy")
    if isinstance(network_policy, dict) and network_policy.get("mode") is None:
        network_policy["mode"] = "DenyAll"
    return out
