"""Scheduling decisions for the one node (pure): does a pod fit, and the message when it does not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kubeschema.quantity import parse_quantity
from localkube.apiserver.node_taints import NO_SCHEDULE, UNSCHEDULABLE, tolerates

Resources = dict[str, Decimal]


def container_requests(container: dict[str, Any]) -> Resources:
    res = container.get("resources") or {}
    # An unset request defaults to the limit, as the API server's defaulting does.
    merged = {**(res.get("limits") or {}), **(res.get("requests") or {})}
    return {k: parse_quantity(v).value for k, v in merged.items()}


def pod_requests(pod: dict[str, Any]) -> Resources:
    """Sum of the containers' requests, at least the largest init container's, plus overhead."""
    spec = pod.get("spec") or {}
    total: Resources = {}
    for c in spec.get("containers") or []:
        for k, v in container_requests(c).items():
            total[k] = total.get(k, Decimal(0)) + v
    for c in spec.get("initContainers") or []:
        for k, v in container_requests(c).items():
            total[k] = max(total.get(k, Decimal(0)), v)
    for k, v in (spec.get("overhead") or {}).items():
        total[k] = total.get(k, Decimal(0)) + parse_quantity(v).value
    return total


def node_selector_matches(pod: dict[str, Any], node_labels: dict[str, str]) -> bool:
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    return all(node_labels.get(k) == v for k, v in selector.items())


def node_refuses(pod: dict[str, Any], node_spec: dict[str, Any]) -> str:
    """Why a cordoned or tainted node takes no new pod (NodeUnschedulable, then TaintToleration:
    NoSchedule and NoExecute taints), in kube-scheduler's words; "" when it takes it."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    if node_spec.get("unschedulable") and not tolerates(
        tolerations, {"key": UNSCHEDULABLE, "effect": NO_SCHEDULE}
    ):
        return "node(s) were unschedulable"
    for taint in node_spec.get("taints") or ():
        if (
            isinstance(taint, dict)
            and taint.get("effect") in (NO_SCHEDULE, "NoExecute")
            and not tolerates(tolerations, taint)
        ):
            return "node(s) had untolerated taint(s)"
    return ""


def unfit_reasons(
    pod: dict[str, Any],
    allocatable: dict[str, str],
    bound_pods: list[dict[str, Any]],
    node_labels: dict[str, str],
    node_spec: dict[str, Any] | None = None,
) -> list[str]:
    """Why the pod does not fit on the node, in the scheduler's wording; empty when it fits. The
    first filter that refuses it speaks, as in kube-scheduler's order."""
    refused = node_refuses(pod, node_spec or {})
    if refused:
        return [refused]
    if not node_selector_matches(pod, node_labels):
        return ["node(s) didn't match Pod's node affinity/selector"]
    reasons = []
    max_pods = int(parse_quantity(allocatable.get("pods", "110")).value)
    if len(bound_pods) + 1 > max_pods:
        reasons.append("Too many pods")
    used: Resources = {}
    for p in bound_pods:
        for k, v in pod_requests(p).items():
            used[k] = used.get(k, Decimal(0)) + v
    for name, want in sorted(pod_requests(pod).items()):
        if want == 0:
            continue
        have = parse_quantity(allocatable[name]).value if name in allocatable else Decimal(0)
        if used.get(name, Decimal(0)) + want > have:
            reasons.append(f"Insufficient {name}")
    return reasons


def unschedulable_message(reasons: list[str]) -> str:
    return "0/1 nodes are available: " + ", ".join(f"1 {r}" for r in reasons) + "."


def occupies_node(pod: dict[str, Any]) -> bool:
    """Pods that hold their requests: bound and not finished."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed")
