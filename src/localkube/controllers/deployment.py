"""The Deployment controller's decisions (pure), after kube-controller-manager's deployment/ code.

A Deployment owns one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`; the
new one is scaled up and the old ones down, within maxSurge/maxUnavailable (RollingUpdate) or all
old pods first (Recreate). One sync computes one step; the next ReplicaSet or pod event brings the
next step, so a rollout advances only as pods really become available.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time, parse_time
from localkube.controllers import podutil

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DEFAULT_REVISION_HISTORY = 10
DEFAULT_PROGRESS_DEADLINE = 600
# rand.SafeEncodeString's alphabet: no vowels (no words), no look-alikes (0/o, 1/l).
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class DeploymentPlan:
    create: dict[str, Any] | None = None  # a new ReplicaSet
    scale: tuple[tuple[str, int], ...] = ()  # (ReplicaSet name, replicas)
    delete: tuple[str, ...] = ()  # old ReplicaSets beyond revisionHistoryLimit
    revision: str | None = None  # the Deployment's revision annotation, when it changes
    status: dict[str, Any] = field(default_factory=dict)
    requeue_after: timedelta | None = None


# ------------------------------------------------------------------------------------ hashing


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """FNV-32a of the template (canonical JSON here, Go's deep-print there) and the collision count,
    printed in decimal and made safe: the `pod-template-hash` label and the ReplicaSet name suffix."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little", signed=False)
    return safe_encode(str(_fnv32a(data)))


def without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = copy.deepcopy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:
            t["metadata"].pop("labels")
    if "metadata" in t and not t["metadata"]:
        t.pop("metadata")
    return t


def same_template(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """EqualIgnoreHash: equal but for the pod-template-hash label."""
    return without_hash(a) == without_hash(b)


# ------------------------------------------------------------------------------ small readers


def spec_replicas(obj: dict[str, Any]) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def status_int(obj: dict[str, Any], key: str) -> int:
    return int((obj.get("status") or {}).get(key) or 0)


def revision_of(obj: dict[str, Any]) -> int:
    try:
        return int((podutil.meta(obj).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _created(obj: dict[str, Any]) -> tuple[str, str]:
    return (str(podutil.meta(obj).get("creationTimestamp") or ""), str(podutil.meta(obj).get("name")))


def scaled_value(value: int | str | None, total: int, round_up: bool, default: str) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int, or a percentage of `total`."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        pct = int(text[:-1])
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def fenceposts(deployment: dict[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable); both zero would stall a rollout, so unavailable becomes 1."""
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    desired = spec_replicas(deployment)
    surge = scaled_value(rolling.get("maxSurge"), desired, True, "25%")
    unavailable = scaled_value(rolling.get("maxUnavailable"), desired, False, "25%")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(deployment: dict[str, Any]) -> int:
    strategy = ((deployment.get("spec") or {}).get("strategy") or {}).get("type")
    desired = spec_replicas(deployment)
    if strategy == "Recreate" or desired == 0:
        return 0
    return min(fenceposts(deployment)[1], desired)


# ------------------------------------------------------------------------------ ReplicaSets


def new_replicaset(deployment: dict[str, Any], pod_hash: str, replicas: int, revision: int) -> dict[str, Any]:
    """The ReplicaSet for the Deployment's current template, as getNewReplicaSet makes it."""
    dmeta = podutil.meta(deployment)
    spec = deployment.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    template.setdefault("metadata", {})
    template["metadata"]["labels"] = {**(template["metadata"].get("labels") or {}), HASH_LABEL: pod_hash}
    selector = copy.deepcopy(spec.get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
    rs_spec: dict[str, Any] = {"replicas": replicas, "selector": selector, "template": template}
    if spec.get("minReadySeconds"):
        rs_spec["minReadySeconds"] = spec["minReadySeconds"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{dmeta['name']}-{pod_hash}",
            "namespace": dmeta.get("namespace"),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {REVISION: str(revision)},
            "ownerReferences": [podutil.owner_reference(deployment)],
        },
        "spec": rs_spec,
    }


def split(
    deployment: dict[str, Any], replicasets: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the ReplicaSet running the current template, the others), among those it controls."""
    owned = sorted((rs for rs in replicasets if podutil.is_controlled_by(rs, deployment)), key=_created)
    template = (deployment.get("spec") or {}).get("template") or {}
    new = next(
        (rs for rs in owned if same_template((rs.get("spec") or {}).get("template") or {}, template)), None
    )
    return new, [rs for rs in owned if rs is not new]


def new_rs_replicas(deployment: dict[str, Any], all_rs: list[dict[str, Any]], new_current: int) -> int:
    """NewRSNewReplicas for RollingUpdate: grow the new ReplicaSet up to desired + maxSurge pods."""
    desired = spec_replicas(deployment)
    surge, _ = fenceposts(deployment)
    current_total = sum(spec_replicas(rs) for rs in all_rs)
    max_total = desired + surge
    if current_total >= max_total:
        return new_current
    return new_current + min(max_total - current_total, max(desired - new_current, 0))


def scale_down_old(
    deployment: dict[str, Any], new: dict[str, Any] | None, old: list[dict[str, Any]]
) -> list[tuple[str, int]]:
    """reconcileOldReplicaSets: shrink old ReplicaSets without going below minAvailable."""
    old_total = sum(spec_replicas(rs) for rs in old)
    if old_total == 0:
        return []
    all_rs = [*old, *([new] if new else [])]
    all_total = sum(spec_replicas(rs) for rs in all_rs)
    desired = spec_replicas(deployment)
    min_available = desired - max_unavailable(deployment)
    new_unavailable = (spec_replicas(new) - status_int(new, "availableReplicas")) if new else 0
    max_scaled_down = all_total - min_available - new_unavailable
    if max_scaled_down <= 0:
        return []
    targets: dict[str, int] = {podutil.meta(rs)["name"]: spec_replicas(rs) for rs in old}
    # First the old pods that are not available anyway: removing them costs no availability.
    cleaned = 0
    for rs in sorted(old, key=_created):
        if cleaned >= max_scaled_down:
            break
        name = podutil.meta(rs)["name"]
        unhealthy = targets[name] - status_int(rs, "availableReplicas")
        if targets[name] == 0 or unhealthy <= 0:
            continue
        cut = min(unhealthy, max_scaled_down - cleaned)
        targets[name] -= cut
        cleaned += cut
    # Then available ones, oldest ReplicaSet first, keeping minAvailable.
    available = sum(status_int(rs, "availableReplicas") for rs in all_rs)
    remaining = available - min_available - cleaned
    if remaining > 0:
        for rs in sorted(old, key=_created):
            name = podutil.meta(rs)["name"]
            if remaining <= 0:
                break
            cut = min(targets[name], remaining)
            targets[name] -= cut
            remaining -= cut
    return [
        (podutil.meta(rs)["name"], targets[podutil.meta(rs)["name"]])
        for rs in old
        if targets[podutil.meta(rs)["name"]] != spec_replicas(rs)
    ]


def history_to_delete(deployment: dict[str, Any], old: list[dict[str, Any]]) -> list[str]:
    """Drained old ReplicaSets beyond revisionHistoryLimit, oldest first."""
    limit = (deployment.get("spec") or {}).get("revisionHistoryLimit")
    limit = DEFAULT_REVISION_HISTORY if limit is None else int(limit)
    drained = [
        rs
        for rs in old
        if spec_replicas(rs) == 0 and status_int(rs, "replicas") == 0 and not podutil.is_terminating(rs)
    ]
    excess = len(drained) - limit
    if excess <= 0:
        return []
    drained.sort(key=lambda rs: (revision_of(rs), _created(rs)))
    return [podutil.meta(rs)["name"] for rs in drained[:excess]]


# ------------------------------------------------------------------------------------ status


def _condition(ctype: str, status: str, reason: str, message: str, stamp: str) -> dict[str, Any]:
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
    }


def set_condition(
    conditions: list[dict[str, Any]], new: dict[str, Any], touch: bool = False
) -> list[dict[str, Any]]:
    """SetDeploymentCondition: a condition with unchanged status and reason is kept as it was
    (unless `touch`, which only moves lastUpdateTime); a changed reason keeps lastTransitionTime."""
    out = [dict(c) for c in conditions]
    for i, old in enumerate(out):
        if old.get("type") != new["type"]:
            continue
        if old.get("status") == new["status"] and old.get("reason") == new["reason"]:
            if touch or old.get("message") != new["message"]:
                out[i] = {**old, "message": new["message"], "lastUpdateTime": new["lastUpdateTime"]}
            return out
        if old.get("status") == new["status"]:
            new = {**new, "lastTransitionTime": old.get("lastTransitionTime", new["lastTransitionTime"])}
        out[i] = new
        return out
    out.append(new)
    return out


def find_condition(conditions: list[dict[str, Any]], ctype: str) -> dict[str, Any] | None:
    return next((c for c in conditions if c.get("type") == ctype), None)


def compute_status(
    deployment: dict[str, Any],
    new: dict[str, Any] | None,
    all_rs: list[dict[str, Any]],
    now: datetime,
    event: str | None = None,
) -> dict[str, Any]:
    """calculateStatus plus the Available and Progressing conditions.

    `event`: "created" when this sync creates the new ReplicaSet, "found" when it first adopts an
    existing one as new; otherwise progress is judged from the counts.
    """
    old_status = deployment.get("status") or {}
    desired = spec_replicas(deployment)
    available = sum(status_int(rs, "availableReplicas") for rs in all_rs)
    total = sum(spec_replicas(rs) for rs in all_rs)
    status: dict[str, Any] = {
        "observedGeneration": podutil.meta(deployment).get("generation", 0),
        "replicas": sum(status_int(rs, "replicas") for rs in all_rs),
        "updatedReplicas": status_int(new, "replicas") if new else 0,
        "readyReplicas": sum(status_int(rs, "readyReplicas") for rs in all_rs),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    if old_status.get("collisionCount") is not None:
        status["collisionCount"] = old_status["collisionCount"]
    stamp = format_time(now)
    conditions: list[dict[str, Any]] = list(old_status.get("conditions") or [])
    if available >= desired - max_unavailable(deployment):
        avail = _condition(
            "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", stamp
        )
    else:
        avail = _condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            stamp,
        )
    conditions = set_condition(conditions, avail)
    conditions = _progressing(deployment, new, status, old_status, conditions, now, event)
    status["conditions"] = conditions
    # Kubernetes omits zero counts (omitempty) except observedGeneration.
    return {k: v for k, v in status.items() if v or k in ("observedGeneration", "conditions")}


def _progressing(
    deployment: dict[str, Any],
    new: dict[str, Any] | None,
    status: dict[str, Any],
    old_status: dict[str, Any],
    conditions: list[dict[str, Any]],
    now: datetime,
    event: str | None,
) -> list[dict[str, Any]]:
    spec = deployment.get("spec") or {}
    deadline = spec.get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)
    if deadline is None or new is None:
        return conditions
    stamp = format_time(now)
    name = podutil.meta(new)["name"]
    desired = spec_replicas(deployment)
    complete = (
        status["updatedReplicas"] == desired
        and status["replicas"] == desired
        and status["availableReplicas"] == desired
    )
    if event == "created":
        return set_condition(
            conditions,
            _condition(
                "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{name}"', stamp
            ),
        )
    if complete:
        return set_condition(
            conditions,
            _condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{name}" has successfully progressed.',
                stamp,
            ),
        )
    current = find_condition(conditions, "Progressing")
    if event == "found" and current is None:
        return set_condition(
            conditions,
            _condition("Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{name}"', stamp),
        )
    counts = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas")
    progressed = any(int(old_status.get(k) or 0) != int(status.get(k) or 0) for k in counts)
    if progressed or current is None:
        return set_condition(
            conditions,
            _condition(
                "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.', stamp
            ),
            touch=True,
        )
    last = parse_time(current.get("lastUpdateTime"))
    if current.get("status") == "True" and last is not None and now - last > timedelta(seconds=int(deadline)):
        return set_condition(
            conditions,
            _condition(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{name}" has timed out progressing.',
                stamp,
            ),
        )
    return conditions


def _deadline_wait(deployment: dict[str, Any], status: dict[str, Any], now: datetime) -> timedelta | None:
    """When the progress deadline would pass, so a stalled rollout is marked without an event."""
    deadline = (deployment.get("spec") or {}).get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)
    current = find_condition(status.get("conditions") or [], "Progressing")
    if (
        deadline is None
        or current is None
        or current.get("reason") in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded")
    ):
        return None
    last = parse_time(current.get("lastUpdateTime"))
    if last is None:
        return None
    return max(last + timedelta(seconds=int(deadline) + 1) - now, timedelta(seconds=1))


# ------------------------------------------------------------------------------------- plan


def _old_pods_running(old: list[dict[str, Any]], pods: list[dict[str, Any]]) -> bool:
    """Recreate waits until no old pod runs, terminating ones included."""
    return any(
        podutil.is_controlled_by(p, rs)
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        for rs in old
        for p in pods
    )


def _rollout(
    deployment: dict[str, Any],
    new: dict[str, Any] | None,
    old: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    max_revision: int,
) -> tuple[dict[str, Any] | None, list[tuple[str, int]]]:
    """The next step: (a ReplicaSet to create, ReplicaSets to scale)."""
    spec = deployment.get("spec") or {}
    desired = spec_replicas(deployment)
    all_rs = [*old, *([new] if new else [])]
    pod_hash = template_hash(
        spec.get("template") or {}, (deployment.get("status") or {}).get("collisionCount")
    )
    if spec.get("paused"):
        # No rollout while paused; a lone ReplicaSet still follows `replicas`.
        if new is not None and not any(spec_replicas(rs) for rs in old) and spec_replicas(new) != desired:
            return None, [(podutil.meta(new)["name"], desired)]
        return None, []
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        drain = [(podutil.meta(rs)["name"], 0) for rs in old if spec_replicas(rs) > 0]
        if drain:
            return None, drain
        if _old_pods_running(old, pods):
            return None, []
        if new is None:
            return new_replicaset(deployment, pod_hash, desired, max_revision + 1), []
        if spec_replicas(new) != desired:
            return None, [(podutil.meta(new)["name"], desired)]
        return None, []
    if new is None:
        return new_replicaset(
            deployment, pod_hash, new_rs_replicas(deployment, all_rs, 0), max_revision + 1
        ), []
    current = spec_replicas(new)
    target = desired if current > desired else new_rs_replicas(deployment, all_rs, current)
    if target != current:
        return None, [(podutil.meta(new)["name"], target)]
    return None, scale_down_old(deployment, new, old)


def plan(
    deployment: dict[str, Any], replicasets: list[dict[str, Any]], pods: list[dict[str, Any]], now: datetime
) -> DeploymentPlan:
    """One sync: the next step of the rollout and the status that the current state shows."""
    if podutil.is_terminating(deployment):
        return DeploymentPlan()
    new, old = split(deployment, replicasets)
    all_rs = [*old, *([new] if new else [])]
    max_revision = max((revision_of(rs) for rs in old), default=0)
    create, scale = _rollout(deployment, new, old, pods, max_revision)
    event: str | None = None
    revision: str | None = None
    annotated = (podutil.meta(deployment).get("annotations") or {}).get(REVISION)
    if create is not None:
        event = "created"
        revision = str(max_revision + 1)
    elif new is not None:
        # A rollback to an older template makes that ReplicaSet the newest revision again.
        current = revision_of(new) if revision_of(new) > max_revision else max_revision + 1
        if annotated != str(current):
            revision = str(current)
        if find_condition((deployment.get("status") or {}).get("conditions") or [], "Progressing") is None:
            event = "found"
    status = compute_status(deployment, new if create is None else create, all_rs, now, event)
    delete = history_to_delete(deployment, old) if new is not None and not scale else []
    return DeploymentPlan(
        create=create,
        scale=tuple(scale),
        delete=tuple(delete),
        revision=revision,
        status=status,
        requeue_after=_deadline_wait(deployment, status, now),
    )
