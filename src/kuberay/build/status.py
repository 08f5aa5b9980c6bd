"""The RayCluster status KubeRay would write, computed from the cluster, its pods and services.

Pure: the current time comes in as `now`, and timestamps (condition lastTransitionTime,
lastUpdateTime, stateTransitionTimes) only move when what they stamp changed, so the same inputs
give the same status and a steady cluster needs no status write.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kuberay.build import naming
from kuberay.build.command import is_gpu_resource_key
from kuberay.build.naming import HEAD, WORKER
from kuberay.build.scaling import MAX_INT32, desired_worker_pods, num_of_hosts
from kubeschema.quantity import Quantity, QuantityError, parse_quantity

HEAD_POD_READY = "HeadPodReady"
PROVISIONED = "RayClusterProvisioned"
REPLICA_FAILURE = "ReplicaFailure"
SUSPENDING = "RayClusterSuspending"
SUSPENDED = "RayClusterSuspended"

# Reasons for ReplicaFailure, as KubeRay names them.
FAILED_CREATE_HEAD_POD = "FailedCreateHeadPod"
FAILED_DELETE_HEAD_POD = "FailedDeleteHeadPod"
FAILED_CREATE_WORKER_POD = "FailedCreateWorkerPod"
FAILED_DELETE_WORKER_POD = "FailedDeleteWorkerPod"
FAILED_DELETE_ALL_PODS = "FailedDeleteAllPods"


@dataclass(frozen=True)
class ReconcileError:
    """What went wrong in this reconcile; `reason` is one of the FAILED_* reasons above (or None
    for errors that are not replica failures)."""

    message: str
    reason: str | None = None


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = obj.get("metadata", {}).get("labels") or {}
    return labels


def _is_running(pod: dict[str, Any]) -> bool:
    return pod.get("status", {}).get("phase") == "Running"


def _ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for cond in pod.get("status", {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return None


def _is_running_and_ready(pod: dict[str, Any]) -> bool:
    cond = _ready_condition(pod)
    return _is_running(pod) and cond is not None and cond.get("status") == "True"


def _all_pods_running(pods: list[dict[str, Any]]) -> bool:
    """KubeRay's CheckAllPodsRunning: some pods, all Running, none with Ready != True."""
    if not pods:
        return False
    for pod in pods:
        if not _is_running(pod):
            return False
        cond = _ready_condition(pod)
        if cond is not None and cond.get("status") != "True":
            return False
    return True


def _pod_resources(pod_spec: dict[str, Any]) -> dict[str, Quantity]:
    """Requests per container, limits filling in what is not requested, summed over containers."""
    total: dict[str, Quantity] = {}
    for container in pod_spec.get("containers") or []:
        resources = container.get("resources") or {}
        merged = dict(resources.get("requests") or {})
        for name, value in (resources.get("limits") or {}).items():
            merged.setdefault(name, value)
        for name, value in merged.items():
            try:
                q = parse_quantity(value)
            except QuantityError:
                continue
            total[name] = total[name] + q if name in total else q
    return total


def desired_resources(cluster: dict[str, Any]) -> dict[str, Quantity]:
    """KubeRay's CalculateDesiredResources: head + each unsuspended group x replicas x hosts."""
    head_spec = cluster["spec"]["headGroupSpec"]["template"].get("spec") or {}
    total = _pod_resources(head_spec)
    for group in naming.worker_groups(cluster):
        if group.get("suspend"):
            continue
        count = int(group.get("replicas") or 0) * num_of_hosts(group)
        for name, q in _pod_resources(group["template"].get("spec") or {}).items():
            total[name] = total[name] + q * count if name in total else q * count
    return total


def _sum(quantities: Iterable[Quantity]) -> Quantity:
    total: Quantity | None = None
    for q in quantities:
        total = q if total is None else total + q
    return total if total is not None else parse_quantity(0)


def _set_condition(
    conditions: list[dict[str, Any]],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: str,
) -> None:
    """meta.SetStatusCondition: lastTransitionTime moves only when status changes."""
    for cond in conditions:
        if cond["type"] == type_:
            if cond.get("status") != status:
                cond["lastTransitionTime"] = now
            cond.update(status=status, reason=reason, message=message)
            return
    conditions.append(
        {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": now}
    )


def _condition_true(conditions: list[dict[str, Any]], type_: str) -> bool:
    return any(c["type"] == type_ and c.get("status") == "True" for c in conditions)


def _suspend_status(conditions: list[dict[str, Any]]) -> str:
    for cond in conditions:
        if cond["type"] in (SUSPENDING, SUSPENDED) and cond.get("status") == "True":
            return str(cond["type"])
    return ""


def _head_ready_condition(head: dict[str, Any]) -> tuple[str, str, str]:
    """KubeRay's FindHeadPodReadyCondition -> (status, reason, message)."""
    status, reason, message = "False", "Unknown", ""
    cond = _ready_condition(head)
    if cond is None:
        return status, reason, message
    status = str(cond.get("status", "False"))
    message = str(cond.get("message") or "")
    reason = str(cond.get("reason") or "")
    if status == "True" and not reason:
        reason = "HeadPodRunningAndReady"
    if not reason:
        reason = "Unknown"
    if reason == "ContainersNotReady":
        for cs in head.get("status", {}).get("containerStatuses") or []:
            state = cs.get("state") or {}
            detail = state.get("waiting") or state.get("terminated")
            if detail:
                message = (
                    message + "; " if message else ""
                ) + f"{cs.get('name')}: {detail.get('message', '')}"
                reason = str(detail.get("reason") or reason)
                break
    return status, reason, message


def _endpoints(service: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for port in service.get("spec", {}).get("ports") or []:
        name = port.get("name")
        if not name:
            continue
        if port.get("nodePort"):
            out[name] = str(port["nodePort"])
        elif port.get("targetPort") not in (None, 0, ""):
            out[name] = str(port["targetPort"])
        elif port.get("port"):
            # The API server defaults targetPort to port; a bare object means the same.
            out[name] = str(port["port"])
    return out


def _head_service(cluster: dict[str, Any], services: list[dict[str, Any]]) -> dict[str, Any] | None:
    name = naming.cluster_name(cluster)
    matches = [
        s
        for s in services
        if _labels(s).get(naming.CLUSTER_LABEL) == name and _labels(s).get(naming.NODE_TYPE_LABEL) == HEAD
    ]
    return matches[0] if len(matches) == 1 else None


def compute_status(
    cluster: dict[str, Any],
    pods: list[dict[str, Any]],
    services: list[dict[str, Any]],
    *,
    now: str,
    error: ReconcileError | None = None,
    problems: Sequence[object] | None = None,
) -> dict[str, Any]:
    """The new `status` of `cluster` (KubeRay's calculateStatus).

    `pods`/`services` may include other clusters' objects; only this cluster's are used.
    `now` is an RFC 3339 timestamp. `problems` (validation Problems or messages) make the state
    `failed` with their text, naming field and fix, as the reason.
    """
    name = naming.cluster_name(cluster)
    old: dict[str, Any] = copy.deepcopy(cluster.get("status") or {})
    pods = [p for p in pods if _labels(p).get(naming.CLUSTER_LABEL) == name]
    heads = [p for p in pods if _labels(p).get(naming.NODE_TYPE_LABEL) == HEAD]
    head = heads[0] if heads else None
    service = _head_service(cluster, services)
    groups = naming.worker_groups(cluster)
    desired = sum(desired_worker_pods(g) for g in groups)

    conditions = _conditions(old.get("conditions") or [], cluster, pods, head, error, now)
    state, reason = _state(old, cluster, pods, desired, error, problems)
    status: dict[str, Any] = {}
    if state:
        status["state"] = state
    status.update(_desired_resources_status(cluster))
    endpoints = _endpoints_status(old, service)
    if endpoints:
        status["endpoints"] = endpoints
    head_info = _head_info(head, service)
    if head_info:
        status["head"] = head_info
    if reason:
        status["reason"] = reason
    if conditions:
        status["conditions"] = conditions
    status.update(_replica_counts(cluster, pods, desired))
    return _stamped(old, status, now)


def _conditions(
    old: list[dict[str, Any]],
    cluster: dict[str, Any],
    pods: list[dict[str, Any]],
    head: dict[str, Any] | None,
    error: ReconcileError | None,
    now: str,
) -> list[dict[str, Any]]:
    """ReplicaFailure, HeadPodReady, RayClusterProvisioned and the suspend pair, in that order."""
    conditions = copy.deepcopy(old)
    if error is not None and error.reason:
        _set_condition(conditions, REPLICA_FAILURE, "True", error.reason, error.message, now)
    elif error is None:
        conditions = [c for c in conditions if c["type"] != REPLICA_FAILURE]

    if head is None:
        _set_condition(conditions, HEAD_POD_READY, "False", "HeadPodNotFound", "Head Pod not found", now)
    else:
        _set_condition(conditions, HEAD_POD_READY, *_head_ready_condition(head), now)

    suspend_status = _suspend_status(conditions)
    if not _condition_true(conditions, PROVISIONED) and suspend_status != SUSPENDED:
        # Provisioned flips to True once, the first time every pod is ready.
        if _all_pods_running(pods):
            _set_condition(
                conditions,
                PROVISIONED,
                "True",
                "AllPodRunningAndReadyFirstTime",
                "All Ray Pods are ready for the first time",
                now,
            )
        else:
            _set_condition(
                conditions,
                PROVISIONED,
                "False",
                "RayClusterPodsProvisioning",
                "RayCluster Pods are being provisioned for first time",
                now,
            )
    _advance_suspend(conditions, suspend_status, bool(cluster["spec"].get("suspend")), bool(pods), now)
    return conditions


def _advance_suspend(
    conditions: list[dict[str, Any]], current: str, suspend: bool, has_pods: bool, now: str
) -> None:
    """Suspending becomes Suspended once the last pod is gone; Suspended ends when suspend does."""
    if current == SUSPENDING:
        if not has_pods:
            _set_condition(
                conditions,
                PROVISIONED,
                "False",
                "RayClusterPodsProvisioning",
                "RayCluster has been suspended",
                now,
            )
            _set_condition(conditions, SUSPENDING, "False", SUSPENDING, "", now)
            _set_condition(conditions, SUSPENDED, "True", SUSPENDED, "", now)
    elif current == SUSPENDED:
        if not suspend:
            _set_condition(conditions, SUSPENDED, "False", SUSPENDED, "", now)
    else:
        _set_condition(conditions, SUSPENDED, "False", SUSPENDED, "", now)
        _set_condition(conditions, SUSPENDING, "True" if suspend else "False", SUSPENDING, "", now)


def _state(
    old: dict[str, Any],
    cluster: dict[str, Any],
    pods: list[dict[str, Any]],
    desired: int,
    error: ReconcileError | None,
    problems: Sequence[object] | None,
) -> tuple[str | None, str | None]:
    """(state, reason): ready once every desired pod runs, suspended once none is left, failed
    with the validation problems; otherwise what it was."""
    state, reason = old.get("state"), old.get("reason")
    if error is None and not problems and len(pods) == desired + 1 and _all_pods_running(pods):
        state, reason = "ready", None
    if cluster["spec"].get("suspend") and not pods:
        state = "suspended"
    if problems:
        state, reason = "failed", "; ".join(str(p) for p in problems)
    return state, reason


def _desired_resources_status(cluster: dict[str, Any]) -> dict[str, str]:
    resources = desired_resources(cluster)
    zero = parse_quantity(0)
    gpus = _sum(q for k, q in resources.items() if is_gpu_resource_key(k) and not q.is_zero())
    return {
        "desiredCPU": str(resources.get("cpu", zero)),
        "desiredMemory": str(resources.get("memory", zero)),
        "desiredGPU": str(gpus),
        "desiredTPU": str(resources.get("google.com/tpu", zero)),
    }


def _endpoints_status(old: dict[str, Any], service: dict[str, Any] | None) -> dict[str, str]:
    """The head Service's ports; kept as last seen while the Service is not in the cache."""
    known: dict[str, str] = dict(old.get("endpoints") or {})
    return {**known, **_endpoints(service)} if service is not None else known


def _head_info(head: dict[str, Any] | None, service: dict[str, Any] | None) -> dict[str, str]:
    info: dict[str, str] = {}
    if head is not None:
        if head.get("status", {}).get("podIP"):
            info["podIP"] = head["status"]["podIP"]
        info["podName"] = head["metadata"]["name"]
    if service is not None:
        cluster_ip = service.get("spec", {}).get("clusterIP")
        # A headless Service has no IP of its own: it resolves to the head pod.
        ip = (head or {}).get("status", {}).get("podIP") if cluster_ip == "None" else cluster_ip
        if ip:
            info["serviceIP"] = ip
        info["serviceName"] = service["metadata"]["name"]
    return info


def _replica_counts(cluster: dict[str, Any], pods: list[dict[str, Any]], desired: int) -> dict[str, int]:
    workers = [p for p in pods if _labels(p).get(naming.NODE_TYPE_LABEL) == WORKER]
    active = [g for g in naming.worker_groups(cluster) if not g.get("suspend")]
    minimum = sum(int(g.get("minReplicas") or 0) * num_of_hosts(g) for g in active)
    maximum = min(
        MAX_INT32,
        sum(
            (MAX_INT32 if g.get("maxReplicas") is None else int(g["maxReplicas"])) * num_of_hosts(g)
            for g in active
        ),
    )
    counts = {
        "readyWorkerReplicas": sum(1 for p in workers if _is_running_and_ready(p)),
        "availableWorkerReplicas": sum(1 for p in workers if _is_running(p)),
        "desiredWorkerReplicas": desired,
        "minWorkerReplicas": minimum,
        "maxWorkerReplicas": maximum,
        "observedGeneration": int(cluster["metadata"].get("generation") or 0),
    }
    return {k: v for k, v in counts.items() if v}  # zero is omitted, as KubeRay's omitempty does


def status_differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a status write would change anything a user can see (lastUpdateTime aside)."""

    def strip(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k != "lastUpdateTime"}

    return strip(old) != strip(new)


# Pods start one by one, and each would be a status write of its own. What changes as they do
# (ready and available counts, head addresses, HeadPodReady) may wait a moment to be written
# together; the state, its reason and every other condition are what users and the operator's
# own next pass act on (suspend is a sequence of conditions), so they never wait. Nor does what
# follows from the spec alone (a scale's desired replicas and resources): the autoscaler and
# users read it right after their own write, as KubeRay writes it at once.
_CONDITIONS_THAT_MAY_WAIT = frozenset({HEAD_POD_READY})
_FROM_THE_SPEC = (
    "desiredWorkerReplicas",
    "minWorkerReplicas",
    "maxWorkerReplicas",
    "desiredCPU",
    "desiredMemory",
    "desiredGPU",
    "desiredTPU",
)


def status_change_may_wait(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether every change from `old` to `new` is one a status write may hold back for a moment."""
    if not old or old.get("state") != new.get("state") or old.get("reason") != new.get("reason"):
        return False
    if any(old.get(k) != new.get(k) for k in _FROM_THE_SPEC):
        return False

    def lasting(s: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for c in s.get("conditions") or [] if c.get("type") not in _CONDITIONS_THAT_MAY_WAIT]

    return lasting(old) == lasting(new)


def _stamped(old: dict[str, Any], status: dict[str, Any], now: str) -> dict[str, Any]:
    """stateTransitionTimes and lastUpdateTime move only when what they stamp changed, so the same
    inputs give the same status and a steady cluster needs no write."""
    transitions = dict(old.get("stateTransitionTimes") or {})
    state = status.get("state")
    if state and state != old.get("state"):
        transitions[state] = now
    if transitions:
        status["stateTransitionTimes"] = transitions
    unchanged = {k: v for k, v in old.items() if k != "lastUpdateTime"} == status
    last_update = old.get("lastUpdateTime") if unchanged else now
    if last_update:
        status["lastUpdateTime"] = last_update
    return status
