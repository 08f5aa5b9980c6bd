"""compute_status: the RayCluster status KubeRay reports, computed purely from what is observed."""

from __future__ import annotations

import copy
from typing import Any

from kuberay.build import build_head_pod, build_head_service, build_worker_pod
from kuberay.build.status import (
    FAILED_CREATE_WORKER_POD,
    ReconcileError,
    compute_status,
    status_change_may_wait,
)

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:01:00Z"
T2 = "2026-01-01T00:02:00Z"


def running(p: dict[str, Any], name: str, ip: str, ready: bool = True) -> dict[str, Any]:
    p["metadata"]["name"] = name
    p["status"] = {
        "phase": "Running",
        "podIP": ip,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    return p


def service(cluster: dict[str, Any]) -> dict[str, Any]:
    svc = build_head_service(cluster)
    for port in svc["spec"]["ports"]:
        port["targetPort"] = port["port"]  # what the API server defaults
    return svc


def cond(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == type_)


def test_ready_cluster_status_is_kuberays(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    pods = [
        running(build_head_pod(cluster), "raycluster-kuberay-head-abcde", "10.0.0.2"),
        running(build_worker_pod(cluster, 0), "raycluster-kuberay-workergroup-worker-fghij", "10.0.0.3"),
    ]
    status = compute_status(cluster, pods, [service(cluster)], now=T0)
    assert status["state"] == "ready"
    assert status["readyWorkerReplicas"] == 1
    assert status["availableWorkerReplicas"] == 1
    assert status["desiredWorkerReplicas"] == 1
    assert status["minWorkerReplicas"] == 1
    assert status["maxWorkerReplicas"] == 5
    assert (status["desiredCPU"], status["desiredMemory"], status["desiredGPU"], status["desiredTPU"]) == (
        "2",
        "6Gi",
        "0",
        "0",
    )
    # Headless head service: its IP is the head pod's.
    assert status["head"] == {
        "podIP": "10.0.0.2",
        "podName": "raycluster-kuberay-head-abcde",
        "serviceIP": "10.0.0.2",
        "serviceName": "raycluster-kuberay-head-svc",
    }
    assert status["endpoints"] == {
        "client": "10001",
        "dashboard": "8265",
        "gcs-server": "6379",
        "metrics": "8080",
    }
    assert status["observedGeneration"] == 1
    assert status["stateTransitionTimes"] == {"ready": T0}
    assert status["lastUpdateTime"] == T0
    assert cond(status, "HeadPodReady") == {
        "type": "HeadPodReady",
        "status": "True",
        "reason": "HeadPodRunningAndReady",
        "message": "",
        "lastTransitionTime": T0,
    }
    assert cond(status, "RayClusterProvisioned")["status"] == "True"
    assert cond(status, "RayClusterProvisioned")["reason"] == "AllPodRunningAndReadyFirstTime"
    assert cond(status, "RayClusterSuspended")["status"] == "False"
    assert cond(status, "RayClusterSuspending")["status"] == "False"


def test_same_inputs_give_the_same_status_so_nothing_is_written(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    pods = [
        running(build_head_pod(cluster), "h", "10.0.0.2"),
        running(build_worker_pod(cluster, 0), "w", "10.0.0.3"),
    ]
    first = compute_status(cluster, pods, [service(cluster)], now=T0)
    cluster["status"] = copy.deepcopy(first)
    again = compute_status(cluster, pods, [service(cluster)], now=T1)
    assert again == first  # lastUpdateTime and transition times stay at T0


def test_a_change_moves_only_the_timestamps_of_what_changed(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    head = running(build_head_pod(cluster), "h", "10.0.0.2")
    worker = running(build_worker_pod(cluster, 0), "w", "10.0.0.3")
    cluster["status"] = compute_status(cluster, [head, worker], [service(cluster)], now=T0)
    worker["status"]["conditions"][0]["status"] = "False"
    later = compute_status(cluster, [head, worker], [service(cluster)], now=T1)
    assert "readyWorkerReplicas" not in later  # zero is omitted like KubeRay's omitempty
    assert later["lastUpdateTime"] == T1
    assert cond(later, "HeadPodReady")["lastTransitionTime"] == T0
    # Provisioned stays True once reached, and the state stays ready (KubeRay never leaves ready).
    assert cond(later, "RayClusterProvisioned")["status"] == "True"
    assert later["state"] == "ready"


def test_provisioning_cluster(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    head = build_head_pod(cluster)
    head["metadata"]["name"] = "h"
    head["status"] = {"phase": "Pending"}
    status = compute_status(cluster, [head], [], now=T0)
    assert "state" not in status
    assert cond(status, "RayClusterProvisioned")["reason"] == "RayClusterPodsProvisioning"
    assert cond(status, "HeadPodReady")["status"] == "False"
    assert status["head"] == {"podName": "h"}


def test_no_head_pod(load: Any) -> None:
    status = compute_status(load("ray-cluster.sample.yaml"), [], [], now=T0)
    assert cond(status, "HeadPodReady")["reason"] == "HeadPodNotFound"
    assert cond(status, "HeadPodReady")["message"] == "Head Pod not found"


def test_head_not_ready_reports_the_container_reason(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    head = running(build_head_pod(cluster), "h", "10.0.0.2", ready=False)
    head["status"]["conditions"][0].update(
        reason="ContainersNotReady", message="containers with unready status"
    )
    head["status"]["containerStatuses"] = [
        {"name": "ray-head", "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}
    ]
    c = cond(compute_status(cluster, [head], [], now=T0), "HeadPodReady")
    assert c["reason"] == "CrashLoopBackOff"
    assert c["message"] == "containers with unready status; ray-head: back-off 10s"


def test_replica_failure_condition_comes_and_goes(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    err = ReconcileError("pods is forbidden: exceeded quota", FAILED_CREATE_WORKER_POD)
    status = compute_status(cluster, [], [], now=T0, error=err)
    assert cond(status, "ReplicaFailure") == {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreateWorkerPod",
        "message": "pods is forbidden: exceeded quota",
        "lastTransitionTime": T0,
    }
    cluster["status"] = status
    assert all(c["type"] != "ReplicaFailure" for c in compute_status(cluster, [], [], now=T1)["conditions"])


def test_suspend_goes_suspending_then_suspended_then_back(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    head = running(build_head_pod(cluster), "h", "10.0.0.2")
    cluster["spec"]["suspend"] = True
    s1 = compute_status(cluster, [head], [], now=T0)
    assert cond(s1, "RayClusterSuspending")["status"] == "True"
    assert s1.get("state") != "suspended"
    cluster["status"] = s1
    s2 = compute_status(cluster, [], [], now=T1)
    assert cond(s2, "RayClusterSuspending")["status"] == "False"
    assert cond(s2, "RayClusterSuspended")["status"] == "True"
    assert cond(s2, "RayClusterProvisioned")["message"] == "RayCluster has been suspended"
    assert s2["state"] == "suspended"
    assert s2["stateTransitionTimes"]["suspended"] == T1
    cluster["status"] = s2
    cluster["spec"]["suspend"] = False
    s3 = compute_status(cluster, [], [], now=T2)
    assert cond(s3, "RayClusterSuspended")["status"] == "False"


def test_desired_resources_follow_replicas_hosts_and_suspend(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")  # head 500m/2Gi requested, worker 500m/1Gi
    group = cluster["spec"]["workerGroupSpecs"][0]
    group.update(replicas=3, numOfHosts=2)
    group["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = 1
    status = compute_status(cluster, [], [], now=T0)
    assert status["desiredCPU"] == "3500m"
    assert status["desiredMemory"] == "8Gi"
    assert status["desiredGPU"] == "6"
    assert status["desiredWorkerReplicas"] == 6
    assert status["minWorkerReplicas"] == 2 and status["maxWorkerReplicas"] == 20
    group["suspend"] = True
    status = compute_status(cluster, [], [], now=T0)
    assert status["desiredCPU"] == "500m" and "desiredWorkerReplicas" not in status


def test_validation_problems_fail_the_cluster_with_the_reason(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    msg = "spec.workerGroupSpecs[0]: minReplicas 3 is greater than maxReplicas 1"
    status = compute_status(cluster, [], [], now=T0, problems=[msg])
    assert status["state"] == "failed"
    assert status["reason"] == msg
    assert status["stateTransitionTimes"] == {"failed": T0}


def test_cluster_ip_service_reports_its_own_ip(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    svc = service(cluster)
    svc["spec"]["clusterIP"] = "10.96.0.12"
    svc["spec"]["type"] = "NodePort"
    svc["spec"]["ports"][0]["nodePort"] = 30001
    status = compute_status(cluster, [], [svc], now=T0)
    assert status["head"]["serviceIP"] == "10.96.0.12"
    assert status["endpoints"]["client"] == "30001"


def test_validation_problem_objects_become_the_reason(load: Any) -> None:
    from kuberay.api.validation import validate_raycluster

    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0].update(minReplicas=4, maxReplicas=2)
    status = compute_status(cluster, [], [], now=T0, problems=validate_raycluster(cluster))
    assert status["state"] == "failed"
    assert status["reason"].startswith("spec.workerGroupSpecs[0].minReplicas: worker group workergroup has")
    assert "minReplicas <= maxReplicas" in status["reason"]


def test_what_a_status_write_may_hold_back(load: Any) -> None:
    """Pods starting one by one change counts, addresses and HeadPodReady: these may wait to be
    written together. A new state, and suspend's conditions, are written at once."""
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 2
    head = running(build_head_pod(cluster), "h", "10.0.0.2", ready=False)
    workers = [running(build_worker_pod(cluster, 0), f"w{i}", f"10.0.0.{i + 3}", ready=False) for i in (0, 1)]
    pending = compute_status(cluster, [head, *workers], [service(cluster)], now=T0)
    assert not status_change_may_wait({}, pending)  # the first status

    cluster["status"] = pending
    head["status"]["conditions"][0]["status"] = "True"
    head_ready = compute_status(cluster, [head, *workers], [service(cluster)], now=T1)
    assert cond(head_ready, "HeadPodReady")["status"] == "True"
    assert status_change_may_wait(pending, head_ready)

    cluster["status"] = head_ready
    workers[0]["status"]["conditions"][0]["status"] = "True"
    one_worker = compute_status(cluster, [head, *workers], [service(cluster)], now=T1)
    assert one_worker["readyWorkerReplicas"] == 1
    assert status_change_may_wait(head_ready, one_worker)

    cluster["status"] = one_worker
    workers[1]["status"]["conditions"][0]["status"] = "True"
    ready = compute_status(cluster, [head, *workers], [service(cluster)], now=T2)
    assert ready["state"] == "ready"
    assert not status_change_may_wait(one_worker, ready)

    suspending = copy.deepcopy(ready)
    cond(suspending, "RayClusterSuspending")["status"] = "True"
    assert not status_change_may_wait(ready, suspending)

    # a scale (the autoscaler's or a user's) is written at once: its desired replicas and resources
    cluster["status"] = ready
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 3
    scaled = compute_status(cluster, [head, *workers], [service(cluster)], now=T2)
    assert scaled["desiredWorkerReplicas"] == 3 and scaled["state"] == "ready"
    assert not status_change_may_wait(ready, scaled)
