"""plan_workers / plan_head: which pods to delete and create, as KubeRay's reconcilePods decides."""

from __future__ import annotations

from typing import Any

from kuberay.build import build_head_pod, build_worker_pod
from kuberay.build.scaling import PodCreation, needs_recreate, plan_head, plan_workers


def pod(
    cluster: dict[str, Any], name: str, group: str | None = None, phase: str = "Running", **kw: Any
) -> dict[str, Any]:
    """A pod as the API server would list it: built by us, named, with a status."""
    p = build_head_pod(cluster) if group is None else build_worker_pod(cluster, group, **kw)
    p["metadata"]["name"] = name
    p["metadata"]["creationTimestamp"] = f"2026-01-01T00:00:{len(name):02d}Z"
    p["status"] = {"phase": phase}
    return p


def sample(load: Any, replicas: int, **group: Any) -> dict[str, Any]:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0].update(replicas=replicas, **group)
    return cluster


def workers(cluster: dict[str, Any], n: int) -> list[dict[str, Any]]:
    return [pod(cluster, f"w-{i}", "workergroup", replica_index=i) for i in range(n)]


def test_fresh_cluster_creates_replicas_with_distinct_indices(load: Any) -> None:
    cluster = sample(load, 3)
    plan = plan_workers(cluster, [])
    assert plan.create == [
        PodCreation("workergroup", 0),
        PodCreation("workergroup", 1),
        PodCreation("workergroup", 2),
    ]
    assert plan.delete == []
    assert plan.desired == {"workergroup": 3}


def test_steady_state_is_a_noop(load: Any) -> None:
    cluster = sample(load, 2)
    assert plan_workers(cluster, [pod(cluster, "h"), *workers(cluster, 2)]).is_noop()


def test_scale_up_fills_the_free_indices(load: Any) -> None:
    cluster = sample(load, 4)
    existing = [
        pod(cluster, "a", "workergroup", replica_index=0),
        pod(cluster, "b", "workergroup", replica_index=2),
    ]
    plan = plan_workers(cluster, existing)
    assert [c.replica_index for c in plan.create] == [1, 3]


def test_scale_down_without_autoscaler_deletes_extra_pods_pending_first(load: Any) -> None:
    cluster = sample(load, 1)
    existing = [
        pod(cluster, "w-run-1", "workergroup"),
        pod(cluster, "w-pending", "workergroup", phase="Pending"),
        pod(cluster, "w-run-22", "workergroup"),
    ]
    plan = plan_workers(cluster, existing)
    assert [d.name for d in plan.delete] == ["w-pending", "w-run-22"]
    assert plan.create == []


def test_scale_down_with_autoscaler_waits_for_workers_to_delete(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 1
    existing = [pod(cluster, f"w-{i}", "small-group") for i in range(3)]
    assert plan_workers(cluster, existing).is_noop()


def test_workers_to_delete_go_first_even_with_autoscaler(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    group = cluster["spec"]["workerGroupSpecs"][0]
    group["replicas"] = 1
    group["scaleStrategy"] = {"workersToDelete": ["w-0", "w-2", "gone-already"]}
    existing = [pod(cluster, f"w-{i}", "small-group") for i in range(3)]
    plan = plan_workers(cluster, existing)
    assert [d.name for d in plan.delete] == ["w-0", "w-2"]
    assert all("workersToDelete" in d.reason for d in plan.delete)
    assert plan.create == []


def test_workers_to_delete_then_replace_up_to_replicas(load: Any) -> None:
    cluster = sample(load, 2, scaleStrategy={"workersToDelete": ["w-0"]})
    plan = plan_workers(cluster, workers(cluster, 2))
    assert [d.name for d in plan.delete] == ["w-0"]
    assert [c.replica_index for c in plan.create] == [0]


def test_replicas_are_clamped_to_min_and_max(load: Any) -> None:
    assert len(plan_workers(sample(load, 9, minReplicas=1, maxReplicas=5), []).create) == 5
    assert len(plan_workers(sample(load, 0, minReplicas=2, maxReplicas=5), []).create) == 2
    assert plan_workers(sample(load, 9, minReplicas=1, maxReplicas=5), []).desired == {"workergroup": 5}


def test_suspended_cluster_deletes_every_worker_and_the_head(load: Any) -> None:
    cluster = sample(load, 2)
    cluster["spec"]["suspend"] = True
    pods = [pod(cluster, "h"), *workers(cluster, 2)]
    plan = plan_workers(cluster, pods)
    assert sorted(d.name for d in plan.delete) == ["w-0", "w-1"]
    assert plan.create == []
    assert [d.name for d in plan_head(cluster, pods).delete] == ["h"]
    assert not plan_head(cluster, []).create


def test_suspended_group_deletes_only_its_pods(load: Any) -> None:
    cluster = sample(load, 2, suspend=True)
    plan = plan_workers(cluster, workers(cluster, 2))
    assert sorted(d.name for d in plan.delete) == ["w-0", "w-1"]
    assert plan.desired == {"workergroup": 0}


def test_terminated_pods_are_replaced_next_round(load: Any) -> None:
    cluster = sample(load, 2)
    existing = [pod(cluster, "w-0", "workergroup"), pod(cluster, "w-1", "workergroup", phase="Failed")]
    plan = plan_workers(cluster, existing)
    assert [d.name for d in plan.delete] == ["w-1"]
    assert plan.create == [] and plan.deferred == ["workergroup"]
    assert len(plan_workers(cluster, existing[:1]).create) == 1


def test_terminating_pods_count_but_are_not_deleted_twice(load: Any) -> None:
    cluster = sample(load, 1)
    existing = workers(cluster, 2)
    existing[1]["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    # One live pod is what is wanted; the terminating one neither needs deleting nor replacing.
    assert plan_workers(cluster, existing).is_noop()
    # Scaling up waits for the terminating pod to be gone rather than overshooting.
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 2
    assert plan_workers(cluster, existing).is_noop()
    assert [c.replica_index for c in plan_workers(cluster, existing[:1]).create] == [1]


def test_multi_host_groups_create_whole_replicas(load: Any) -> None:
    cluster = sample(load, 2, numOfHosts=2)
    suffixes = iter(["aaaaa", "bbbbb"])
    plan = plan_workers(cluster, [], new_suffix=lambda: next(suffixes))
    assert plan.create == [
        PodCreation("workergroup", 0, "workergroup-aaaaa", 0),
        PodCreation("workergroup", 0, "workergroup-aaaaa", 1),
        PodCreation("workergroup", 1, "workergroup-bbbbb", 0),
        PodCreation("workergroup", 1, "workergroup-bbbbb", 1),
    ]
    assert plan.desired == {"workergroup": 4}


def _replica(cluster: dict[str, Any], replica: str, index: int, hosts: int) -> list[dict[str, Any]]:
    return [
        pod(
            cluster, f"{replica}-h{h}", "workergroup", replica_index=index, replica_name=replica, host_index=h
        )
        for h in range(hosts)
    ]


def test_multi_host_workers_to_delete_removes_the_whole_replica(load: Any) -> None:
    cluster = sample(load, 1, numOfHosts=2, scaleStrategy={"workersToDelete": ["r1-h1"]})
    existing = _replica(cluster, "r0", 0, 2) + _replica(cluster, "r1", 1, 2)
    plan = plan_workers(cluster, existing)
    assert sorted(d.name for d in plan.delete) == ["r1-h0", "r1-h1"]
    assert plan.create == []


def test_multi_host_incomplete_replica_is_removed(load: Any) -> None:
    cluster = sample(load, 1, numOfHosts=2)
    plan = plan_workers(cluster, _replica(cluster, "r0", 0, 2)[:1])
    assert [d.name for d in plan.delete] == ["r0-h0"]
    assert plan.create == []


def test_multi_host_scale_down_without_autoscaler(load: Any) -> None:
    cluster = sample(load, 1, numOfHosts=2)
    plan = plan_workers(cluster, _replica(cluster, "r0", 0, 2) + _replica(cluster, "r1", 1, 2))
    assert sorted(d.name for d in plan.delete) == ["r0-h0", "r0-h1"]


def test_pods_of_removed_groups_are_deleted(load: Any) -> None:
    cluster = sample(load, 1)
    stray = pod(cluster, "old", "workergroup")
    stray["metadata"]["labels"]["ray.io/group"] = "retired"
    plan = plan_workers(cluster, [*workers(cluster, 1), stray])
    assert [d.name for d in plan.delete] == ["old"]


def test_other_clusters_pods_are_ignored(load: Any) -> None:
    cluster = sample(load, 1)
    other = pod(cluster, "x", "workergroup")
    other["metadata"]["labels"]["ray.io/cluster"] = "someone-else"
    assert len(plan_workers(cluster, [other]).create) == 1


def test_head_plan(load: Any) -> None:
    cluster = sample(load, 0)
    assert plan_head(cluster, []).create
    assert not plan_head(cluster, [pod(cluster, "h")]).create
    failed = plan_head(cluster, [pod(cluster, "h", phase="Failed")])
    assert [d.name for d in failed.delete] == ["h"] and "terminal state" in failed.delete[0].reason
    two = plan_head(cluster, [pod(cluster, "h1"), pod(cluster, "h2")])
    assert two.error is not None and "Please delete extra head pods" in two.error


def test_head_with_dead_ray_container_and_never_restart_is_replaced(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler-v2.yaml")
    head = pod(cluster, "h")
    head["status"]["containerStatuses"] = [{"name": "ray-head", "state": {"terminated": {"exitCode": 1}}}]
    assert plan_head(cluster, [head]).delete
    cluster_v1 = load("ray-cluster.autoscaler.yaml")
    head_v1 = pod(cluster_v1, "h")
    head_v1["status"]["containerStatuses"] = [{"name": "ray-head", "state": {"terminated": {"exitCode": 1}}}]
    assert not plan_head(cluster_v1, [head_v1]).delete  # restartPolicy Always: the kubelet restarts it


def test_recreate_upgrade_strategy_reacts_to_spec_changes_not_scaling(load: Any) -> None:
    cluster = sample(load, 1)
    cluster["spec"]["upgradeStrategy"] = {"type": "Recreate"}
    pods = [pod(cluster, "h"), *workers(cluster, 1)]
    assert not needs_recreate(cluster, pods)
    # The autoscaler's edits do not count as a new spec.
    cluster["spec"]["workerGroupSpecs"][0].update(replicas=3, scaleStrategy={"workersToDelete": ["w-0"]})
    assert not needs_recreate(cluster, pods)
    cluster["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["image"] = (
        "rayproject/ray:2.53.0"
    )
    assert needs_recreate(cluster, pods)
    # Without the Recreate strategy, a spec change leaves running pods alone.
    cluster["spec"]["upgradeStrategy"] = {"type": "None"}
    assert not needs_recreate(cluster, pods)


def test_recreate_skips_pods_from_another_operator_version(load: Any) -> None:
    cluster = sample(load, 1)
    cluster["spec"]["upgradeStrategy"] = {"type": "Recreate"}
    head = pod(cluster, "h")
    cluster["spec"]["rayVersion"] = "2.53.0"
    assert needs_recreate(cluster, [head])
    assert not needs_recreate(cluster, [head], kuberay_version="v1.6.0")
