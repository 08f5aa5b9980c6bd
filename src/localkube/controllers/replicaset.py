"""The ReplicaSet controller's decisions (pure): how many pods to create, which to delete, status.

As kube-controller-manager's replica_set.go: active pods are those the ReplicaSet controls that
are neither finished nor terminating; surplus pods are deleted least-valuable first (unscheduled,
pending, not ready, ready for the shortest time, most restarts, newest).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time, parse_time
from localkube.controllers import podutil

# kube-controller-manager creates/deletes at most this many pods per sync.
BURST_REPLICAS = 500

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


@dataclass(frozen=True)
class ReplicaSetPlan:
    create: int = 0
    delete: tuple[str, ...] = ()  # pod names
    status: dict[str, Any] = field(default_factory=dict)
    requeue_after: timedelta | None = None  # a pod becomes available (minReadySeconds) then


def desired_replicas(rs: dict[str, Any]) -> int:
    replicas = (rs.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def owned_pods(rs: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pods if podutil.is_controlled_by(p, rs)]


def _deletion_rank(pod: dict[str, Any], now: datetime) -> tuple[Any, ...]:
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    ready = podutil.ready_condition(pod)
    is_ready = ready is not None and ready.get("status") == "True"
    ready_since = parse_time(ready.get("lastTransitionTime")) if (ready and is_ready) else None
    # Ready for less time goes first: sort by negative age.
    ready_for = (now - ready_since).total_seconds() if ready_since else 0.0
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
    created = parse_time(podutil.meta(pod).get("creationTimestamp"))
    created_ts = created.timestamp() if created else 0.0
    return (
        1 if spec.get("nodeName") else 0,
        _PHASE_RANK.get(str(status.get("phase")), 0),
        1 if is_ready else 0,
        ready_for,
        -restarts,
        -created_ts,
        podutil.meta(pod).get("name", ""),
    )


def pods_to_delete(pods: list[dict[str, Any]], count: int, now: datetime) -> list[dict[str, Any]]:
    """The `count` least valuable pods, as ActivePods' ordering ranks them."""
    return sorted(pods, key=lambda p: _deletion_rank(p, now))[:count]


def compute_status(
    rs: dict[str, Any], active: list[dict[str, Any]], now: datetime
) -> tuple[dict[str, Any], timedelta | None]:
    spec = rs.get("spec") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = available = 0
    wait: timedelta | None = None
    for pod in active:
        if podutil.is_ready(pod):
            ready += 1
        remaining = podutil.available_in(pod, min_ready, now)
        if remaining == timedelta(0):
            available += 1
        elif remaining is not None:
            wait = remaining if wait is None else min(wait, remaining)
    fully_labeled = sum(
        1
        for p in active
        if all((podutil.meta(p).get("labels") or {}).get(k) == v for k, v in template_labels.items())
    )
    status: dict[str, Any] = {
        "replicas": len(active),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": podutil.meta(rs).get("generation", 0),
    }
    # Kubernetes omits zero counts (omitempty) except replicas.
    status = {k: v for k, v in status.items() if v or k == "replicas"}
    conditions = (rs.get("status") or {}).get("conditions")
    if conditions:
        status["conditions"] = copy.deepcopy(conditions)
    return status, wait


def plan(rs: dict[str, Any], pods: list[dict[str, Any]], now: datetime) -> ReplicaSetPlan:
    """What one sync of `rs` does, given every pod in its namespace from the cache."""
    active = [p for p in owned_pods(rs, pods) if podutil.is_active(p)]
    diff = len(active) - desired_replicas(rs)
    status, wait = compute_status(rs, active, now)
    if podutil.is_terminating(rs):
        return ReplicaSetPlan(status=status)
    if diff < 0:
        return ReplicaSetPlan(create=min(-diff, BURST_REPLICAS), status=status, requeue_after=wait)
    if diff > 0:
        victims = pods_to_delete(active, min(diff, BURST_REPLICAS), now)
        return ReplicaSetPlan(
            delete=tuple(podutil.meta(p)["name"] for p in victims), status=status, requeue_after=wait
        )
    return ReplicaSetPlan(status=status, requeue_after=wait)


def new_pod(rs: dict[str, Any]) -> dict[str, Any]:
    """A pod from the ReplicaSet's template: named `<rs>-<random>` by the API server."""
    return podutil.pod_from_template(rs)


def with_failure(status: dict[str, Any], message: str | None, now: datetime) -> dict[str, Any]:
    """The ReplicaFailure condition: set while creating or deleting pods fails, gone once it works."""
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
    if message is not None:
        old = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        since = old.get("lastTransitionTime") if old else None
        conditions.append(
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": message,
                "lastTransitionTime": since or format_time(now),
            }
        )
    out = {k: v for k, v in status.items() if k != "conditions"}
    if conditions:
        out["conditions"] = conditions
    return out


def status_changed(rs: dict[str, Any], status: dict[str, Any]) -> bool:
    return (rs.get("status") or {}) != status
