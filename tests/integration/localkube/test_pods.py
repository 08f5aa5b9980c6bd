"""What a kubelet and scheduler rely on: binding, graceful deletion of bound pods, status patches."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api


def pod(name: str, node: str | None = None) -> dict:
    spec: dict = {
        "containers": [{"name": "main", "image": "python:3.11"}],
        "terminationGracePeriodSeconds": 20,
    }
    if node:
        spec["nodeName"] = node
    else:
        # the test binds it: a real cluster's kube-scheduler must not race it
        spec["schedulerName"] = "the-test"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def v1(k8s: kubernetes.client.ApiClient) -> CoreV1Api:
    api = CoreV1Api(k8s)
    api.create_node(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1"},
            "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]},
        }
    )
    return api


def test_binding_assigns_once(v1: CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("p"))
    v1.create_namespaced_pod_binding(
        "p",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "p"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"},
        },
        _preload_content=False,
    )
    bound = v1.read_namespaced_pod("p", "default")
    assert bound.spec.node_name == "n1"
    assert any(c.type == "PodScheduled" and c.status == "True" for c in bound.status.conditions)
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod_binding(
            "p",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": "p"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": "n2"},
            },
            _preload_content=False,
        )
    assert e.value.status == 409
    # nodeName cannot be changed by an ordinary update
    with pytest.raises(ApiException) as e:
        v1.patch_namespaced_pod("p", "default", {"spec": {"nodeName": "n2"}})
    assert e.value.status == 422


def test_bound_pod_deletion_is_graceful_until_the_kubelet_confirms(v1: CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("p", node="n1"))
    v1.delete_namespaced_pod("p", "default")
    terminating = v1.read_namespaced_pod("p", "default")
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 20
    # the kubelet, once the containers have stopped, deletes with no grace
    v1.delete_namespaced_pod("p", "default", grace_period_seconds=0)
    with pytest.raises(ApiException) as e:
        v1.read_namespaced_pod("p", "default")
    assert e.value.status == 404


def test_unbound_pod_is_deleted_at_once(v1: CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("p"))
    v1.delete_namespaced_pod("p", "default")
    assert v1.list_namespaced_pod("default").items == []


def test_status_patch_merges_conditions_by_type(v1: CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("p", node="n1"))
    v1.patch_namespaced_pod_status(
        "p",
        "default",
        {
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "False"},
                    {"type": "Initialized", "status": "True"},
                ],
            }
        },
    )
    v1.patch_namespaced_pod_status(
        "p", "default", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    status = v1.read_namespaced_pod("p", "default").status
    assert {c.type: c.status for c in status.conditions} == {"Ready": "True", "Initialized": "True"}
    assert status.phase == "Running"


def test_delete_collection_and_dry_run(v1: CoreV1Api) -> None:
    for i in range(3):
        v1.create_namespaced_config_map(
            "default",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"c{i}", "labels": {"x": str(i % 2)}},
            },
        )
    v1.delete_namespaced_config_map("c0", "default", dry_run="All")
    v1.patch_namespaced_config_map("c1", "default", {"data": {"k": "v"}}, dry_run="All")
    assert v1.read_namespaced_config_map("c1", "default").data is None
    v1.delete_collection_namespaced_config_map("default", label_selector="x=0")
    names = sorted(c.metadata.name for c in v1.list_namespaced_config_map("default").items)
    assert names == ["c1", "kube-root-ca.crt"]


def test_pods_of_a_deleted_node_are_failed_then_collected(v1: CoreV1Api) -> None:
    import time

    v1.create_namespaced_pod("default", pod("p", node="n1"))
    v1.create_namespaced_pod("default", pod("q", node="n1"))
    v1.delete_namespaced_pod("q", "default")  # Terminating: its kubelet never confirms
    since = v1.list_namespaced_pod("default").metadata.resource_version
    v1.delete_node("n1")
    time.sleep(2)
    # The pod GC first waits (kube-controller-manager: 40 s) in case the node comes back.
    left = v1.list_namespaced_pod("default").items
    assert {(p.metadata.name, p.status.phase) for p in left} == {("p", "Pending"), ("q", "Pending")}

    failed: dict[str, list[dict]] = {}
    deleted: set[str] = set()
    w = kubernetes.watch.Watch()
    for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=since, timeout_seconds=120):
        obj = ev["raw_object"]
        name = obj["metadata"]["name"]
        if (obj.get("status") or {}).get("phase") == "Failed" and name not in failed:
            failed[name] = [c for c in obj["status"]["conditions"] if c["type"] == "DisruptionTarget"]
        if ev["type"] == "DELETED":
            deleted.add(name)
            if deleted == {"p", "q"}:
                w.stop()
    assert deleted == {"p", "q"}
    # Each is marked Failed, saying why, before it goes: its kubelet will not.
    for name in ("p", "q"):
        assert [
            (c["status"], c["reason"], c["message"], bool(c["lastTransitionTime"])) for c in failed[name]
        ] == [("True", "DeletionByPodGC", "PodGC: node no longer exists", True)], name


def _refusal(v1: CoreV1Api, body: dict) -> tuple[int, str]:
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod("default", body)
    return e.value.status, json.loads(e.value.body)["message"]


def test_a_sleep_hook_longer_than_the_grace_period_is_refused(v1: CoreV1Api) -> None:
    body = pod("sleepy")
    body["spec"]["terminationGracePeriodSeconds"] = 0
    body["spec"]["containers"][0]["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    assert _refusal(v1, body) == (
        422,
        'Pod "sleepy" is invalid: spec.containers[0].lifecycle.preStop.sleep: Invalid value: 5: '
        "must be non-negative and less than terminationGracePeriodSeconds (0)",
    )
    body["spec"]["terminationGracePeriodSeconds"] = 5  # as long as the sleep: allowed
    v1.create_namespaced_pod("default", body)


def test_topology_spread_constraints_are_checked(v1: CoreV1Api) -> None:
    body = pod("spread")
    spread = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2}
    body["spec"]["topologySpreadConstraints"] = [spread, {**spread, "minDomains": None, "maxSkew": 0}]
    status, message = _refusal(v1, body)
    assert status == 422
    assert message == (
        'Pod "spread" is invalid: ['
        "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: "
        'Duplicate value: "{zone, ScheduleAnyway}", '
        "spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use minDomains if "
        "whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway, "
        "spec.topologySpreadConstraints[1].maxSkew: Invalid value: 0: must be greater than zero]"
    )
    body["spec"]["topologySpreadConstraints"] = [{**spread, "whenUnsatisfiable": "DoNotSchedule"}]
    v1.create_namespaced_pod("default", body)
