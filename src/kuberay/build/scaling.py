"""Which Ray pods to delete and which to create, following KubeRay's reconcilePods (pure).

Per worker group, in KubeRay's order: a suspended cluster or group loses all its pods; pods that
cannot recover (Failed/Succeeded, or Ray container dead with restartPolicy Never) are deleted and
nothing is created for the group this round; pods named in `scaleStrategy.workersToDelete` are
deleted; then the remaining pods are compared with `replicas` clamped to
[minReplicas, maxReplicas] (times numOfHosts). Missing pods are created. Extra pods are deleted
only without in-tree autoscaling: with it, Ray's autoscaler is the only one that picks victims
(through workersToDelete). Multi-host groups (numOfHosts > 1) are created and deleted a whole
replica at a time.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kuberay.build import naming
from kuberay.build.naming import HEAD, WORKER

MAX_INT32 = 2**31 - 1


@dataclass(frozen=True)
class PodDeletion:
    name: str
    group: str  # worker group name, or "headgroup" for the head
    reason: str
    # The incarnation the plan saw: the delete is made conditional on it, so a same-named
    # newer pod is never removed by a stale plan.
    uid: str = ""

    @property
    def is_head(self) -> bool:
        return self.group == naming.HEAD_GROUP_LABEL_VALUE


def _deletion(pod: dict[str, Any], group: str, reason: str) -> PodDeletion:
    return PodDeletion(_name(pod), group, reason, str(pod["metadata"].get("uid") or ""))


@dataclass(frozen=True)
class PodCreation:
    """One worker pod to build with `build_worker_pod(cluster, group, replica_index=...,
    replica_name=..., host_index=...)`."""

    group: str
    replica_index: int
    replica_name: str | None = None
    host_index: int = 0


@dataclass(frozen=True)
class WorkerPlan:
    delete: list[PodDeletion] = field(default_factory=list)
    create: list[PodCreation] = field(default_factory=list)
    # Desired worker pods per group (replicas clamped, times numOfHosts; 0 when suspended).
    desired: dict[str, int] = field(default_factory=dict)
    # Groups whose creations wait for the next round because unhealthy pods were just deleted.
    deferred: list[str] = field(default_factory=list)

    def is_noop(self) -> bool:
        return not self.delete and not self.create


@dataclass(frozen=True)
class HeadPlan:
    create: bool = False
    delete: list[PodDeletion] = field(default_factory=list)
    # Set when the head cannot be reconciled (several head pods): a message naming the fix.
    error: str | None = None


def desired_worker_pods(group: dict[str, Any]) -> int:
    """KubeRay's GetWorkerGroupDesiredReplicas: replicas clamped to [min, max], times numOfHosts."""
    if group.get("suspend"):
        return 0
    low = int(group.get("minReplicas") or 0)
    high = group.get("maxReplicas")
    high = MAX_INT32 if high is None else int(high)
    replicas = group.get("replicas")
    if replicas is None or int(replicas) < low:
        target = low
    elif int(replicas) > high:
        target = high
    else:
        target = int(replicas)
    return target * num_of_hosts(group)


def num_of_hosts(group: dict[str, Any]) -> int:
    # A CRD installed without numOfHosts leaves it 0; KubeRay treats that as 1.
    return max(1, int(group.get("numOfHosts") or 1))


def _name(pod: dict[str, Any]) -> str:
    return str(pod["metadata"].get("name", ""))


def _labels(pod: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = pod["metadata"].get("labels") or {}
    return labels


def is_terminating(pod: dict[str, Any]) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def _ray_container_terminated(pod: dict[str, Any]) -> dict[str, Any] | None:
    containers = pod.get("spec", {}).get("containers") or []
    if not containers:
        return None
    ray_name = containers[0].get("name")
    for status in pod.get("status", {}).get("containerStatuses") or []:
        if status.get("name") == ray_name:
            terminated: dict[str, Any] | None = (status.get("state") or {}).get("terminated")
            return terminated
    return None


def should_delete_pod(pod: dict[str, Any], node_type: str) -> tuple[bool, str]:
    """KubeRay's shouldDeletePod: delete only pods that will never run Ray again."""
    phase = pod.get("status", {}).get("phase", "")
    name = _name(pod)
    if phase in ("Failed", "Succeeded"):
        return True, (
            f"The {node_type} Pod {name} status is {phase} which is a terminal state. KubeRay will delete "
            "the Pod and create new Pods in the next reconciliation if necessary."
        )
    terminated = _ray_container_terminated(pod)
    restart = pod.get("spec", {}).get("restartPolicy") or "Always"
    if phase == "Running" and terminated is not None:
        if restart == "Never":
            return True, (
                f"The Pod status of the {node_type} Pod {name} is {phase}, and the Ray container "
                f"terminated status is {terminated}. The container is unable to restart due to its "
                f"restart policy {restart}, so KubeRay will delete it."
            )
        return (
            False,
            f"The Ray container of {node_type} Pod {name} restarts by itself (restartPolicy {restart}).",
        )
    return False, f"KubeRay does not need to delete the {node_type} Pod {name}. The Pod status is {phase}."


def _random_suffix() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _scale_down_order(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KubeRay deletes arbitrary extra pods; we pick deterministically and least disruptively:
    pods not yet running first, then the newest."""

    def key(pod: dict[str, Any]) -> tuple[int, str, str]:
        running = pod.get("status", {}).get("phase") == "Running"
        created = str(pod["metadata"].get("creationTimestamp", ""))
        return (1 if running else 0, _invert(created), _invert(_name(pod)))

    return sorted(pods, key=key)


def _invert(s: str) -> str:
    # Sort descending by a string inside an ascending sort key.
    return "".join(chr(0x10FFFF - ord(c)) for c in s)


def _replica_index(pod: dict[str, Any]) -> int | None:
    raw = _labels(pod).get(naming.REPLICA_INDEX_LABEL)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _next_indices(used: set[int], count: int) -> list[int]:
    out: list[int] = []
    index = 0
    while len(out) < count:
        if index not in used:
            out.append(index)
        index += 1
    return out


def _plan_single_host(
    group: dict[str, Any],
    pods: list[dict[str, Any]],
    autoscaler_picks: bool,
    delete: list[PodDeletion],
    create: list[PodCreation],
) -> bool:
    """Returns False when creations must wait (unhealthy pods were deleted this round)."""
    name = group["groupName"]
    unhealthy = []
    for pod in pods:
        bad, reason = should_delete_pod(pod, WORKER)
        if bad and not is_terminating(pod):
            unhealthy.append(pod)
            delete.append(_deletion(pod, name, reason))
    if unhealthy:
        return False
    to_delete = set((group.get("scaleStrategy") or {}).get("workersToDelete") or [])
    remaining = []
    for pod in pods:
        if _name(pod) in to_delete:
            if not is_terminating(pod):
                delete.append(_deletion(pod, name, "listed in scaleStrategy.workersToDelete"))
        else:
            remaining.append(pod)
    desired = desired_worker_pods(group)
    # Terminating pods still hold their place when scaling up (never more pods than desired), but
    # are already on their way out when scaling down.
    missing = desired - len(remaining)
    live = [p for p in remaining if not is_terminating(p)]
    if missing > 0:
        used = {i for i in map(_replica_index, remaining) if i is not None}
        create.extend(PodCreation(name, index) for index in _next_indices(used, missing))
    elif len(live) > desired and not autoscaler_picks:
        for pod in _scale_down_order(live)[: len(live) - desired]:
            delete.append(_deletion(pod, name, "more pods than the group's desired replicas"))
    return True


def _plan_multi_host(
    group: dict[str, Any],
    pods: list[dict[str, Any]],
    autoscaler_picks: bool,
    delete: list[PodDeletion],
    create: list[PodCreation],
    new_suffix: Callable[[], str],
) -> bool:
    name = group["groupName"]
    hosts = num_of_hosts(group)
    replicas: dict[str, list[dict[str, Any]]] = {}
    for pod in pods:
        replica = _labels(pod).get(naming.REPLICA_NAME_LABEL)
        if replica is not None:
            replicas.setdefault(replica, []).append(pod)

    def drop(replica: str, reason: str) -> None:
        for pod in replicas.pop(replica):
            if not is_terminating(pod):
                delete.append(_deletion(pod, name, reason))

    # A replica is all-or-nothing: partial or unhealthy replicas go entirely.
    incomplete = [r for r, members in replicas.items() if len(members) < hosts]
    for replica in sorted(incomplete):
        drop(replica, f"multi-host replica {replica} has fewer than {hosts} hosts")
    if incomplete:
        return False
    unhealthy = sorted(
        r for r, members in replicas.items() if any(should_delete_pod(p, WORKER)[0] for p in members)
    )
    for replica in unhealthy:
        drop(replica, f"multi-host replica {replica} has a pod that cannot recover")
    to_delete = set((group.get("scaleStrategy") or {}).get("workersToDelete") or [])
    named = sorted({r for r, members in replicas.items() if any(_name(p) in to_delete for p in members)})
    for replica in named:
        drop(replica, "a host of this replica is listed in scaleStrategy.workersToDelete")
    if named:
        return False  # KubeRay requeues after honouring workersToDelete
    diff = desired_worker_pods(group) // hosts - len(replicas)
    if diff > 0:
        used = {i for r in replicas.values() if (i := _replica_index(r[0])) is not None}
        for index in _next_indices(used, diff):
            replica_name = f"{name}-{new_suffix()}"
            create.extend(PodCreation(name, index, replica_name, host) for host in range(hosts))
    elif diff < 0 and not autoscaler_picks:
        for replica in sorted(replicas)[:-diff]:
            drop(replica, "more replicas than the group's desired replicas")
    return True


def plan_workers(
    cluster: dict[str, Any],
    pods: list[dict[str, Any]],
    *,
    new_suffix: Callable[[], str] = _random_suffix,
    random_pod_delete: bool = False,
) -> WorkerPlan:
    """Decide worker pod deletions and creations for `cluster`, given its current pods.

    `pods` are the cluster's pods as listed (head pods are ignored here). `new_suffix` names new
    multi-host replicas (`<group>-<suffix>`); pass a deterministic one in tests.
    `random_pod_delete` (KubeRay's ENABLE_RANDOM_POD_DELETE) lets extra pods go under autoscaling too.
    """
    cluster_label = naming.cluster_name(cluster)
    workers = [
        p
        for p in pods
        if _labels(p).get(naming.NODE_TYPE_LABEL) == WORKER
        and _labels(p).get(naming.CLUSTER_LABEL) == cluster_label
    ]
    delete: list[PodDeletion] = []
    create: list[PodCreation] = []
    desired: dict[str, int] = {}
    deferred: list[str] = []
    # With in-tree autoscaling, only Ray's autoscaler chooses which workers go (workersToDelete).
    autoscaler_picks = naming.is_autoscaling_enabled(cluster) and not random_pod_delete
    suspended = bool(cluster["spec"].get("suspend"))
    groups = naming.worker_groups(cluster)
    known = {g["groupName"] for g in groups}
    for group in groups:
        name = group["groupName"]
        members = [p for p in workers if _labels(p).get(naming.GROUP_LABEL) == name]
        if suspended or group.get("suspend"):
            desired[name] = 0
            why = "the RayCluster is suspended" if suspended else f"worker group {name} is suspended"
            delete.extend(_deletion(p, name, why) for p in members if not is_terminating(p))
            continue
        desired[name] = desired_worker_pods(group)
        if num_of_hosts(group) > 1:
            ok = _plan_multi_host(group, members, autoscaler_picks, delete, create, new_suffix)
        else:
            ok = _plan_single_host(group, members, autoscaler_picks, delete, create)
        if not ok:
            deferred.append(name)
    # Pods of a group that was removed from the spec no longer belong to the cluster's shape.
    for pod in workers:
        group_name = _labels(pod).get(naming.GROUP_LABEL, "")
        if group_name not in known and not is_terminating(pod):
            delete.append(_deletion(pod, group_name, f"worker group {group_name} is not in the spec"))
    return WorkerPlan(delete=delete, create=create, desired=desired, deferred=deferred)


def plan_head(cluster: dict[str, Any], pods: list[dict[str, Any]]) -> HeadPlan:
    """Create the head pod when missing, replace it when it cannot recover, delete it on suspend."""
    cluster_label = naming.cluster_name(cluster)
    heads = [
        p
        for p in pods
        if _labels(p).get(naming.NODE_TYPE_LABEL) == HEAD
        and _labels(p).get(naming.CLUSTER_LABEL) == cluster_label
    ]
    group = naming.HEAD_GROUP_LABEL_VALUE
    if cluster["spec"].get("suspend"):
        return HeadPlan(
            delete=[
                _deletion(p, group, "the RayCluster is suspended") for p in heads if not is_terminating(p)
            ]
        )
    if not heads:
        if _provisioned(cluster) and _head_restart_disabled(cluster):
            # RayJob's sidecar mode: a new head would start an empty cluster the job never sees.
            return HeadPlan()
        return HeadPlan(create=True)
    if len(heads) > 1:
        names = sorted(_name(p) for p in heads)
        return HeadPlan(error=f"{len(heads)} head pods found {names}. Please delete extra head pods")
    head = heads[0]
    bad, reason = should_delete_pod(head, HEAD)
    if bad and not is_terminating(head):
        return HeadPlan(delete=[_deletion(head, group, reason)])
    return HeadPlan()


def _provisioned(cluster: dict[str, Any]) -> bool:
    conditions = (cluster.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "RayClusterProvisioned" and c.get("status") == "True" for c in conditions)


def _head_restart_disabled(cluster: dict[str, Any]) -> bool:
    annotations = cluster["metadata"].get("annotations") or {}
    return annotations.get(naming.DISABLE_PROVISIONED_HEAD_RESTART_ANNOTATION) == "true"


def plan_recreate(
    cluster: dict[str, Any], pods: list[dict[str, Any]], kuberay_version: str = "nightly"
) -> list[PodDeletion]:
    """upgradeStrategy Recreate: every live pod of the cluster when its head was built from another
    spec, else nothing. Terminating pods are not looked at, so once the old pods are on their way
    out the next pass builds new ones instead of deleting again."""
    name = naming.cluster_name(cluster)
    mine = [p for p in pods if _labels(p).get(naming.CLUSTER_LABEL) == name and not is_terminating(p)]
    if not needs_recreate(cluster, mine, kuberay_version):
        return []
    reason = "the RayCluster spec changed and its upgradeStrategy is Recreate"
    return [
        _deletion(p, _labels(p).get(naming.GROUP_LABEL, ""), reason)
        for p in sorted(mine, key=lambda p: (_labels(p).get(naming.NODE_TYPE_LABEL) != HEAD, _name(p)))
    ]


def needs_recreate(
    cluster: dict[str, Any], pods: list[dict[str, Any]], kuberay_version: str = "nightly"
) -> bool:
    """upgradeStrategy Recreate: True when the head pod was built from a different spec, i.e. every
    pod should be deleted and rebuilt. A head pod from another operator version is left alone
    (KubeRay re-stamps it rather than restarting the cluster on an operator upgrade)."""
    if (cluster["spec"].get("upgradeStrategy") or {}).get("type") != "Recreate":
        return False
    name = naming.cluster_name(cluster)
    for pod in pods:
        labels = _labels(pod)
        if labels.get(naming.CLUSTER_LABEL) != name or labels.get(naming.NODE_TYPE_LABEL) != HEAD:
            continue
        annotations = pod["metadata"].get("annotations") or {}
        version = annotations.get(naming.KUBERAY_VERSION_ANNOTATION)
        if version and version != kuberay_version:
            return False
        recorded = annotations.get(naming.UPGRADE_HASH_ANNOTATION)
        return bool(recorded) and recorded != naming.spec_hash(cluster)
    return False
