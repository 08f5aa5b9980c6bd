"""The taints Kubernetes keeps on a Node from its conditions: the NodeTaint admission plugin gives a
new Node `node.kubernetes.io/not-ready:NoSchedule`, and the node lifecycle controller's NoSchedule
pass keeps one taint per bad condition (Ready False or Unknown, a pressure True) and
`node.kubernetes.io/unschedulable` while the node is cordoned, removing the rest. So a pod is
not scheduled onto a node before it is Ready, and `kubectl cordon` shows as a taint. Pure."""

from __future__ import annotations

from typing import Any

from localkube.apiserver.shapes import as_dict, as_list

Obj = dict[str, Any]

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NO_SCHEDULE = "NoSchedule"

# condition type -> {status: taint key} (nodeConditionToTaintKeyStatusMap)
_CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_MANAGED_KEYS = {UNSCHEDULABLE, *(k for by_status in _CONDITION_TAINTS.values() for k in by_status.values())}


def admit(node: Obj) -> None:
    """NodeTaint admission: a new Node is not ready until its conditions say so."""
    spec = node.get("spec")
    if not isinstance(spec, dict):
        spec = node["spec"] = {}
    taints = spec.get("taints")
    if not isinstance(taints, list):
        taints = spec["taints"] = []
    if not any(
        isinstance(t, dict) and t.get("key") == NOT_READY and t.get("effect") == NO_SCHEDULE for t in taints
    ):
        taints.append({"key": NOT_READY, "effect": NO_SCHEDULE})


def _wanted(node: Obj) -> list[Obj]:
    out = []
    for condition in as_list(as_dict(node.get("status")).get("conditions")):
        if isinstance(condition, dict):
            key = _CONDITION_TAINTS.get(str(condition.get("type")), {}).get(str(condition.get("status")))
            if key:
                out.append({"key": key, "effect": NO_SCHEDULE})
    if as_dict(node.get("spec")).get("unschedulable"):
        out.append({"key": UNSCHEDULABLE, "effect": NO_SCHEDULE})
    return out


def _managed(taint: Any) -> bool:
    return (
        isinstance(taint, dict) and taint.get("effect") == NO_SCHEDULE and taint.get("key") in _MANAGED_KEYS
    )


def _same(a: Obj, b: Obj) -> bool:
    return a.get("key") == b.get("key") and a.get("effect") == b.get("effect")


def no_schedule_pass(node: Obj) -> list[Any] | None:
    """The node's taints after the lifecycle controller's NoSchedule pass, or None when it changes
    nothing. Taints it does not manage (a user's, NoExecute ones) are kept in place."""
    current = as_list(as_dict(node.get("spec")).get("taints"))
    wanted = _wanted(node)
    kept = [t for t in current if not _managed(t) or any(_same(t, w) for w in wanted)]
    added = [w for w in wanted if not any(_managed(t) and _same(t, w) for t in current)]
    if not added and len(kept) == len(current):
        return None
    return kept + added


def tolerates(tolerations: list[Any], taint: Obj) -> bool:
    """Whether a pod with these tolerations tolerates the taint (Toleration.ToleratesTaint)."""
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("key") and t.get("key") != taint.get("key"):
            continue
        operator = t.get("operator") or "Equal"
        if operator == "Exists" or (
            operator == "Equal" and (t.get("value") or "") == (taint.get("value") or "")
        ):
            return True
    return False
