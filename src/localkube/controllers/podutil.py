"""Facts about pods and owners that both controllers read (pure)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from kubeschema.timestamps import parse_time


def now_utc() -> datetime:
    return datetime.now(UTC)


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    m: dict[str, Any] = obj.get("metadata") or {}
    return m


def controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def is_controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == meta(owner).get("uid")


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """The reference a controller puts on what it creates: GC deletes them with it."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta(owner)["name"],
        "uid": meta(owner)["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_terminating(obj: dict[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def is_active(pod: dict[str, Any]) -> bool:
    """Counted toward a ReplicaSet's replicas: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def available_in(pod: dict[str, Any], min_ready_seconds: int, now: datetime) -> timedelta | None:
    """None: not ready. Zero: available now. Positive: becomes available after that long."""
    cond = ready_condition(pod)
    if cond is None or cond.get("status") != "True":
        return None
    if min_ready_seconds <= 0:
        return timedelta(0)
    since = parse_time(cond.get("lastTransitionTime"))
    if since is None:
        return timedelta(0)
    remaining = since + timedelta(seconds=min_ready_seconds) - now
    return max(remaining, timedelta(0))


def is_available(pod: dict[str, Any], min_ready_seconds: int, now: datetime) -> bool:
    return available_in(pod, min_ready_seconds, now) == timedelta(0)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """metav1.LabelSelector semantics; an empty selector matches everything, a missing one nothing."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def claims(
    owner: dict[str, Any], candidates: list[dict[str, Any]], selector: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ClaimPods / ClaimReplicaSets: (orphans to adopt, owned ones to release).

    An orphan (no controller) that the selector matches is adopted; something we control that the
    selector no longer matches is released. Nothing is adopted by an owner being deleted.
    """
    adopt: list[dict[str, Any]] = []
    release: list[dict[str, Any]] = []
    if not selector:  # apps/v1 requires one; without it, claim nothing and release nothing
        return adopt, release
    for obj in candidates:
        matches = selector_matches(selector, meta(obj).get("labels") or {})
        ref = controller_ref(obj)
        if ref is None:
            if matches and not is_terminating(owner) and not is_terminating(obj):
                adopt.append(obj)
        elif ref.get("uid") == meta(owner).get("uid") and not matches and not is_terminating(obj):
            release.append(obj)
    return adopt, release


def adoption_patch(owner: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """Merge patch adding `owner` as controller; the uid pins the patch to this object."""
    refs = [r for r in meta(obj).get("ownerReferences") or [] if r.get("uid") != meta(owner).get("uid")]
    return {"metadata": {"uid": meta(obj).get("uid"), "ownerReferences": [*refs, owner_reference(owner)]}}


def release_patch(owner: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    refs = [r for r in meta(obj).get("ownerReferences") or [] if r.get("uid") != meta(owner).get("uid")]
    return {"metadata": {"uid": meta(obj).get("uid"), "ownerReferences": refs or None}}


_KEPT_POD_META = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "labels",
    "ownerReferences",
    "deletionTimestamp",
    "creationTimestamp",
    "finalizers",
)


def _container_summary(c: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.get("name"), "restartCount": c.get("restartCount", 0)}
    terminated = (c.get("state") or {}).get("terminated")
    if terminated:
        # the Job controller matches exit codes (podFailurePolicy) and times its back-off from them
        out["state"] = {
            "terminated": {k: terminated[k] for k in ("exitCode", "finishedAt") if k in terminated}
        }
    return out


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    """What the workload controllers read of a pod: ownership, phase, conditions, restarts, exit
    codes, node.

    The controllers watch every pod in the cluster; holding whole pods would double the memory
    of a localkube with many pods.
    """
    m = meta(pod)
    status = pod.get("status") or {}
    return {
        "metadata": {k: m[k] for k in _KEPT_POD_META if k in m},
        "spec": {"nodeName": (pod.get("spec") or {}).get("nodeName")},
        "status": {
            "phase": status.get("phase"),
            "conditions": [
                {k: c[k] for k in ("type", "status", "lastTransitionTime") if k in c}
                for c in status.get("conditions") or []
            ],
            "containerStatuses": [_container_summary(c) for c in status.get("containerStatuses") or []],
            "initContainerStatuses": [
                _container_summary(c) for c in status.get("initContainerStatuses") or []
            ],
        },
    }


def pod_from_template(owner: dict[str, Any]) -> dict[str, Any]:
    """A pod from a workload's pod template, controlled by it: named `<owner>-<random>` by the API
    server."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    tmeta = template.get("metadata") or {}
    metadata: dict[str, Any] = {
        "generateName": f"{meta(owner)['name']}-",
        "namespace": meta(owner).get("namespace"),
        "labels": dict(tmeta.get("labels") or {}),
        "ownerReferences": [owner_reference(owner)],
    }
    if tmeta.get("annotations"):
        metadata["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        metadata["finalizers"] = list(tmeta["finalizers"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}
