"""The operator against localkube's API: what a KubeRay user sees with kubectl."""

from __future__ import annotations

import time
from typing import Any

import kubernetes
import pytest

from support.kuberay import Kube, load_sample, sample_cluster
from support.operator import OperatorProcess
from support.waiting import wait_for

# the longest the garbage collector of a real control plane takes to cascade from a new CRD type
GC_TIMEOUT = 90.0


def names(pods: list[Any]) -> set[str]:
    return {p.metadata.name for p in pods}


def test_sample_becomes_head_workers_service_and_ready_status(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=2))
    wait_for("head and 2 workers", lambda: len(kube.pods("raycluster-kuberay")) == 3)
    head = kube.pods("raycluster-kuberay", "head")
    assert len(head) == 1
    labels = head[0].metadata.labels
    assert labels["ray.io/is-ray-node"] == "yes" and labels["ray.io/group"] == "headgroup"
    owner = head[0].metadata.owner_references[0]
    assert owner.kind == "RayCluster" and owner.controller is True
    svc = kube.core.read_namespaced_service("raycluster-kuberay-head-svc", "default")
    assert {p.port for p in svc.spec.ports} >= {6379, 8265, 10001}

    kube.run_all("raycluster-kuberay")
    status = wait_for(
        "state ready",
        lambda: (s := kube.cluster("raycluster-kuberay").get("status", {})).get("state") == "ready" and s,
    )
    assert status["desiredWorkerReplicas"] == 2
    assert status["readyWorkerReplicas"] == 2
    assert status["head"]["podIP"]
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions["HeadPodReady"] == "True"
    assert conditions["RayClusterProvisioned"] == "True"
    reasons = {e.reason for e in kube.events("raycluster-kuberay")}
    assert {"CreatedHeadPod", "CreatedWorkerPod", "CreatedService"} <= reasons


def test_steady_state_makes_no_writes(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("pods", lambda: len(kube.pods("raycluster-kuberay")) == 2)
    kube.run_all("raycluster-kuberay")
    wait_for("ready", lambda: kube.cluster("raycluster-kuberay").get("status", {}).get("state") == "ready")
    before = wait_for("writes to settle", lambda: _settled(operator))
    time.sleep(3)
    assert operator.writes() == before


def _settled(op: OperatorProcess) -> float | None:
    first = op.writes()
    time.sleep(1)
    return first if op.writes() == first else None


def _versions_since(kube: Kube, name: str, since: str) -> list[dict[str, Any]]:
    """The cluster's versions written after resourceVersion `since` (a watch replays them)."""
    stream = kubernetes.watch.Watch().stream(
        kube.custom.list_namespaced_custom_object,
        "ray.io",
        "v1",
        kube.ns,
        "rayclusters",
        field_selector=f"metadata.name={name}",
        resource_version=since,
        timeout_seconds=1,
    )
    return [ev["object"] for ev in stream if ev["type"] == "MODIFIED"]


def test_pods_starting_together_make_one_status_write(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=3))
    wait_for("head and 3 workers", lambda: len(kube.pods("raycluster-kuberay")) == 4)
    wait_for("writes to settle", lambda: _settled(operator))
    since = kube.cluster("raycluster-kuberay")["metadata"]["resourceVersion"]
    kube.run_all("raycluster-kuberay")  # the four pods become ready one after another
    wait_for("ready", lambda: kube.cluster("raycluster-kuberay").get("status", {}).get("state") == "ready")
    time.sleep(2)  # for a write that would come late
    versions = _versions_since(kube, "raycluster-kuberay", since)
    # One write per pod before status changes were held back; the state's change is written at
    # once and takes the held-back counts with it.
    assert len(versions) <= 2, [v["status"] for v in versions]
    status = versions[-1]["status"]
    assert status["state"] == "ready" and status["readyWorkerReplicas"] == 3
    assert {c["type"]: c["status"] for c in status["conditions"]}["HeadPodReady"] == "True"


def test_a_held_back_status_change_is_written_without_another_event(
    operator: OperatorProcess, kube: Kube
) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("head and a worker", lambda: len(kube.pods("raycluster-kuberay")) == 2)
    wait_for("writes to settle", lambda: _settled(operator))
    kube.run_pod(kube.pods("raycluster-kuberay", "head")[0], "10.244.1.2")  # the worker stays pending

    def head_ready() -> bool:
        conditions = kube.cluster("raycluster-kuberay")["status"]["conditions"]
        return {c["type"]: c["status"] for c in conditions}["HeadPodReady"] == "True"

    wait_for("HeadPodReady True", head_ready, timeout=10)
    assert kube.cluster("raycluster-kuberay")["status"]["head"]["podIP"] == "10.244.1.2"


def test_scale_up_and_down_without_autoscaler(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("1 worker", lambda: len(kube.pods("raycluster-kuberay", "worker")) == 1)
    kube.patch_cluster(
        "raycluster-kuberay", {"spec": {"workerGroupSpecs": [{**_group(kube), "replicas": 4}]}}
    )
    wait_for("4 workers", lambda: len(kube.pods("raycluster-kuberay", "worker")) == 4)
    kube.patch_cluster(
        "raycluster-kuberay", {"spec": {"workerGroupSpecs": [{**_group(kube), "replicas": 2}]}}
    )
    wait_for("2 workers", lambda: len(kube.pods("raycluster-kuberay", "worker")) == 2)


def test_replicas_are_clamped_to_min_and_max(operator: OperatorProcess, kube: Kube) -> None:
    cluster = sample_cluster(replicas=7)
    cluster["spec"]["workerGroupSpecs"][0]["maxReplicas"] = 3
    kube.create(cluster)
    wait_for("3 workers", lambda: len(kube.pods("raycluster-kuberay", "worker")) == 3)
    time.sleep(1.5)
    assert len(kube.pods("raycluster-kuberay", "worker")) == 3


def _group(kube: Kube) -> dict[str, Any]:
    group: dict[str, Any] = kube.cluster("raycluster-kuberay")["spec"]["workerGroupSpecs"][0]
    return group


def test_workers_to_delete_removes_exactly_those_pods(operator: OperatorProcess, kube: Kube) -> None:
    # With in-tree autoscaling, only workersToDelete removes pods (KubeRay never picks at random).
    kube.create(sample_cluster(replicas=3, enableInTreeAutoscaling=True))
    workers = wait_for(
        "3 workers", lambda: (w := kube.pods("raycluster-kuberay", "worker")) and len(w) == 3 and w
    )
    victim = sorted(names(workers))[1]
    group = _group(kube)
    group.update(replicas=2, scaleStrategy={"workersToDelete": [victim]})
    kube.patch_cluster("raycluster-kuberay", {"spec": {"workerGroupSpecs": [group]}})
    left = wait_for(
        "victim gone", lambda: victim not in (n := names(kube.pods("raycluster-kuberay", "worker"))) and n
    )
    assert left == names(workers) - {victim}
    # the operator posts the Event after its delete was answered: it may land after the pod is gone
    wait_for(
        "the DeletedWorkerPod event naming the victim",
        lambda: any(
            e.reason == "DeletedWorkerPod" and victim in e.message for e in kube.events("raycluster-kuberay")
        ),
    )


def test_autoscaler_lowering_replicas_alone_deletes_nothing(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=2, enableInTreeAutoscaling=True))
    workers = wait_for(
        "2 workers", lambda: (w := kube.pods("raycluster-kuberay", "worker")) and len(w) == 2 and w
    )
    kube.patch_cluster(
        "raycluster-kuberay", {"spec": {"workerGroupSpecs": [{**_group(kube), "replicas": 1}]}}
    )
    time.sleep(2)
    assert names(kube.pods("raycluster-kuberay", "worker")) == names(workers)


def test_autoscaling_adds_sidecar_and_rbac_owned_by_the_cluster(
    operator: OperatorProcess, kube: Kube
) -> None:
    docs = load_sample("ray-cluster.autoscaler.yaml")
    for doc in reversed(docs):  # the ConfigMap first
        kube.create(doc)
    head = wait_for("head pod", lambda: kube.pods("raycluster-autoscaler", "head"))[0]
    containers = {c.name: c for c in head.spec.containers}
    assert "autoscaler" in containers
    assert any(
        "kuberay-autoscaler" in " ".join(c.args or []) + " ".join(c.command or [])
        for c in head.spec.containers
    )
    sa = wait_for(
        "service account",
        lambda: _maybe(lambda: kube.core.read_namespaced_service_account("raycluster-autoscaler", "default")),
    )
    role = kube.rbac.read_namespaced_role("raycluster-autoscaler", "default")
    kube.rbac.read_namespaced_role_binding("raycluster-autoscaler", "default")
    assert sa.metadata.owner_references[0].kind == "RayCluster"
    rules = {(tuple(r.api_groups), tuple(r.resources)): set(r.verbs) for r in role.rules}
    assert rules[(("ray.io",), ("rayclusters",))] >= {"get", "patch"}
    assert head.spec.service_account_name == "raycluster-autoscaler"


def _maybe(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def test_suspend_deletes_all_pods_and_resume_brings_them_back(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=2))
    wait_for("3 pods", lambda: len(kube.pods("raycluster-kuberay")) == 3)
    kube.patch_cluster("raycluster-kuberay", {"spec": {"suspend": True}})
    wait_for("no pods", lambda: not kube.pods("raycluster-kuberay"))
    wait_for(
        "Suspended condition",
        lambda: any(
            c["type"] == "RayClusterSuspended" and c["status"] == "True"
            for c in kube.cluster("raycluster-kuberay").get("status", {}).get("conditions", [])
        ),
    )
    kube.patch_cluster("raycluster-kuberay", {"spec": {"suspend": False}})
    wait_for("3 pods again", lambda: len(kube.pods("raycluster-kuberay")) == 3)


def test_lost_head_pod_is_recreated(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    old = wait_for("head", lambda: kube.pods("raycluster-kuberay", "head"))[0].metadata.name
    kube.core.delete_namespaced_pod(old, "default")
    new = wait_for(
        "a new head", lambda: [p for p in kube.pods("raycluster-kuberay", "head") if p.metadata.name != old]
    )
    assert len(new) == 1


def test_failed_worker_is_replaced(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    worker = wait_for("worker", lambda: kube.pods("raycluster-kuberay", "worker"))[0]
    kube.core.patch_namespaced_pod_status(worker.metadata.name, "default", {"status": {"phase": "Failed"}})
    wait_for(
        "a replacement worker",
        lambda: names(kube.pods("raycluster-kuberay", "worker")) - {worker.metadata.name},
    )


def test_deleting_the_cluster_removes_everything_it_made(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=2))
    wait_for("3 pods", lambda: len(kube.pods("raycluster-kuberay")) == 3)
    kube.delete_cluster("raycluster-kuberay")
    # Kubernetes' garbage collector removes the children. On a real control plane it learns of a
    # CRD made moments ago only at its next discovery sync (every 30 s) and retries the owner with
    # backoff until then, so the cascade can take more than half a minute there.
    wait_for("pods gone", lambda: not kube.pods("raycluster-kuberay", live_only=False), timeout=GC_TIMEOUT)
    wait_for(
        "service gone",
        lambda: (
            "raycluster-kuberay-head-svc"
            not in {s.metadata.name for s in kube.core.list_namespaced_service("default").items}
        ),
        timeout=GC_TIMEOUT,
    )


def test_bad_spec_gets_warning_and_failed_status_while_others_keep_working(
    operator: OperatorProcess, kube: Kube
) -> None:
    bad = sample_cluster(name="bad", replicas=1)
    bad["spec"]["workerGroupSpecs"][0].update(minReplicas=5, maxReplicas=2)
    kube.create(bad)
    kube.create(sample_cluster(name="good", replicas=1))
    wait_for("the good cluster's pods", lambda: len(kube.pods("good")) == 2)
    status = wait_for(
        "failed status", lambda: (s := kube.cluster("bad").get("status", {})).get("state") == "failed" and s
    )
    assert "spec.workerGroupSpecs[0]" in status["reason"]
    warnings = [e for e in kube.events("bad") if e.type == "Warning"]
    assert warnings and all(e.reason == "InvalidRayClusterSpec" for e in warnings)
    assert "minReplicas" in warnings[0].message
    assert not kube.pods("bad")
    # Fixing the spec is all it takes.
    group = kube.cluster("bad")["spec"]["workerGroupSpecs"][0]
    group.update(minReplicas=0, maxReplicas=2)
    kube.patch_cluster("bad", {"spec": {"workerGroupSpecs": [group]}})
    wait_for("pods once fixed", lambda: len(kube.pods("bad")) == 2)


def test_restart_in_the_middle_of_a_scale_up_makes_no_extra_pods(
    operator: OperatorProcess, kube: Kube
) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("first worker", lambda: len(kube.pods("raycluster-kuberay", "worker")) == 1)
    kube.patch_cluster(
        "raycluster-kuberay", {"spec": {"workerGroupSpecs": [{**_group(kube), "replicas": 8}]}}
    )
    wait_for("scale-up under way", lambda: len(kube.pods("raycluster-kuberay", "worker")) >= 2, interval=0.01)
    operator.kill()
    operator.start()
    wait_for("8 workers", lambda: len(kube.pods("raycluster-kuberay", "worker")) >= 8)
    time.sleep(2)
    assert len(kube.pods("raycluster-kuberay", "worker")) == 8
    assert len(kube.pods("raycluster-kuberay", "head")) == 1


@pytest.mark.kuberay_crd
def test_works_when_kuberays_own_crd_is_installed(operator: OperatorProcess, kube: Kube) -> None:
    for doc in reversed(load_sample("ray-cluster.autoscaler.yaml")):
        kube.create(doc)
    wait_for("head pod", lambda: kube.pods("raycluster-autoscaler", "head"))
    kube.run_all("raycluster-autoscaler")
    wait_for("ready", lambda: kube.cluster("raycluster-autoscaler").get("status", {}).get("state") == "ready")
