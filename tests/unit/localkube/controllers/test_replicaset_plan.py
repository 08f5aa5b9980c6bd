"""The ReplicaSet controller's decisions: how many pods, which ones go, what status says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time
from localkube.controllers.replicaset import new_pod, plan, pods_to_delete

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def rs(replicas: int | None = 3, *, min_ready: int = 0, generation: int = 2) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}},
        "template": {
            "metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}, "annotations": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "python"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "namespace": "ns", "uid": "rs-uid", "generation": generation},
        "spec": spec,
    }


def pod(
    name: str,
    *,
    owner: str = "rs-uid",
    phase: str = "Running",
    ready_since: datetime | None = None,
    node: str | None = "node-1",
    restarts: int = 0,
    created: datetime = NOW - timedelta(hours=1),
    terminating: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "ns",
        "labels": {"app": "web", "pod-template-hash": "abc"},
        "creationTimestamp": format_time(created),
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web-abc",
                "uid": owner,
                "controller": True,
            }
        ],
    }
    if terminating:
        meta["deletionTimestamp"] = format_time(NOW)
    status: dict[str, Any] = {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    if ready_since is not None:
        status["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": format_time(ready_since)}
        ]
    spec: dict[str, Any] = {"nodeName": node} if node else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


READY = NOW - timedelta(minutes=10)


def test_missing_pods_are_created() -> None:
    p = plan(rs(3), [pod("a", ready_since=READY)], NOW)
    assert p.create == 2 and p.delete == ()


def test_replicas_default_to_one() -> None:
    assert plan(rs(None), [], NOW).create == 1


def test_pods_of_other_owners_finished_or_terminating_do_not_count() -> None:
    pods = [
        pod("mine", ready_since=READY),
        pod("other", owner="someone-else", ready_since=READY),
        pod("done", phase="Succeeded"),
        pod("failed", phase="Failed"),
        pod("leaving", ready_since=READY, terminating=True),
    ]
    p = plan(rs(3), pods, NOW)
    assert p.create == 2
    assert p.status["replicas"] == 1


def test_surplus_pods_are_deleted_least_valuable_first() -> None:
    pods = [
        pod("old-ready", ready_since=NOW - timedelta(hours=2)),
        pod("unscheduled", phase="Pending", node=None),
        pod("pending", phase="Pending"),
        pod("not-ready"),
        pod("just-ready", ready_since=NOW - timedelta(seconds=5)),
    ]
    assert plan(rs(1), pods, NOW).delete == ("unscheduled", "pending", "not-ready", "just-ready")


def test_among_equals_more_restarts_then_newer_go_first() -> None:
    pods = [
        pod("steady", ready_since=READY),
        pod("crashy", ready_since=READY, restarts=4),
        pod("newer", ready_since=READY, created=NOW - timedelta(minutes=1)),
    ]
    assert [p["metadata"]["name"] for p in pods_to_delete(pods, 2, NOW)] == ["crashy", "newer"]


def test_status_counts_ready_and_available_and_observes_the_generation() -> None:
    pods = [pod("a", ready_since=READY), pod("b", ready_since=READY), pod("c")]
    status = plan(rs(3, generation=7), pods, NOW).status
    assert status == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 7,
    }


def test_min_ready_seconds_delays_availability_and_asks_for_a_resync_then() -> None:
    pods = [
        pod("a", ready_since=NOW - timedelta(seconds=4)),
        pod("b", ready_since=NOW - timedelta(seconds=60)),
    ]
    p = plan(rs(2, min_ready=10), pods, NOW)
    assert p.status["readyReplicas"] == 2 and p.status["availableReplicas"] == 1
    assert p.requeue_after == timedelta(seconds=6)


def test_empty_replicaset_status_has_zero_replicas_and_no_other_counts() -> None:
    assert plan(rs(0), [], NOW).status == {"replicas": 0, "observedGeneration": 2}


def test_new_pod_comes_from_the_template_and_is_controlled_by_the_replicaset() -> None:
    p = new_pod(rs(3))
    assert p["metadata"]["generateName"] == "web-abc-"
    assert p["metadata"]["labels"] == {"app": "web", "pod-template-hash": "abc"}
    assert p["metadata"]["annotations"] == {"a": "b"}
    (ref,) = p["metadata"]["ownerReferences"]
    assert ref == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-abc",
        "uid": "rs-uid",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert p["spec"] == {"containers": [{"name": "c", "image": "python"}]}


def test_a_failed_create_sets_replica_failure_until_creating_works_again() -> None:
    from localkube.controllers.replicaset import with_failure

    status = plan(rs(3), [], NOW).status
    failed = with_failure(status, 'pods "web-abc-" is forbidden: exceeded quota', NOW)
    (cond,) = failed["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ReplicaFailure", "True", "FailedCreate")
    assert cond["message"] == 'pods "web-abc-" is forbidden: exceeded quota'
    # failing again keeps the condition as it was: no status write, so no event storm
    again = with_failure(failed, 'pods "web-abc-" is forbidden: exceeded quota', NOW + timedelta(minutes=1))
    assert again == failed
    assert "conditions" not in with_failure(failed, None, NOW)
