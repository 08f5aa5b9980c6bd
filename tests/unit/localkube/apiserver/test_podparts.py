"""pods/ephemeralcontainers and pods/resize: the part of a pod each may change, and what each refuses."""

from __future__ import annotations

import copy
from typing import Any

from localkube.apiserver import defaults
from localkube.apiserver.podparts import ephemeral_containers, resize


def _pod(resources: dict[str, Any] | None = None) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "team"},
        "spec": {"containers": [{"name": "app", "image": "busybox:1", "resources": resources or {}}]},
    }
    defaults.pod(pod)
    defaults.pod_admission(pod)
    return pod


DEBUG = {"name": "debug", "image": "busybox:1", "command": ["sh"], "targetContainerName": "app"}


def _with_ephemeral(pod: dict[str, Any], *containers: dict[str, Any]) -> dict[str, Any]:
    sent = copy.deepcopy(pod)
    sent["spec"]["ephemeralContainers"] = [copy.deepcopy(c) for c in containers]
    return sent


def test_an_ephemeral_container_is_added_defaulted_and_nothing_else_changes() -> None:
    pod = _pod()
    sent = _with_ephemeral(pod, DEBUG)
    sent["metadata"]["labels"] = {"ignored": "yes"}
    sent["spec"]["containers"][0]["image"] = "busybox:2"
    new, errs = ephemeral_containers(pod, sent)
    assert errs == []
    (added,) = new["spec"]["ephemeralContainers"]
    assert added["name"] == "debug" and added["terminationMessagePath"] == "/dev/termination-log"
    assert new["spec"]["containers"] == pod["spec"]["containers"]
    assert "labels" not in new["metadata"]


def test_ephemeral_containers_are_never_removed_or_changed() -> None:
    pod, _ = ephemeral_containers(_pod(), _with_ephemeral(_pod(), DEBUG))
    _, removed = ephemeral_containers(pod, _with_ephemeral(pod))
    assert [e.message() for e in removed] == [
        'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be removed'
    ]
    _, changed = ephemeral_containers(pod, _with_ephemeral(pod, {**DEBUG, "image": "busybox:2"}))
    assert [e.message() for e in changed] == [
        'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be changed'
    ]


def test_an_ephemeral_container_needs_an_image_a_new_name_and_no_ports() -> None:
    pod = _pod()
    _, errs = ephemeral_containers(
        pod, _with_ephemeral(pod, {"name": "app", "ports": [{"containerPort": 80}]})
    )
    assert [e.message() for e in errs] == [
        'spec.ephemeralContainers[0].name: Duplicate value: "app"',
        "spec.ephemeralContainers[0].image: Required value",
        "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
    ]


def _resized(pod: dict[str, Any], resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    sent = copy.deepcopy(pod)
    sent["spec"]["containers"][0]["resources"] = resources
    sent["spec"]["containers"][0].update(extra)
    return sent


BURSTABLE = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def test_resize_changes_cpu_and_memory_only() -> None:
    pod = _pod(BURSTABLE)
    wanted = {"requests": {"cpu": "150m", "memory": "64Mi"}, "limits": {"cpu": "300m", "memory": "128Mi"}}
    new, errs = resize(pod, _resized(pod, wanted, image="busybox:2"))
    assert errs == []
    assert new["spec"]["containers"][0]["resources"] == wanted
    assert new["spec"]["containers"][0]["image"] == "busybox:1"  # the rest of the body is ignored


def test_resize_refuses_other_resources_removed_limits_and_a_new_qos_class() -> None:
    pod = _pod(BURSTABLE)
    storage = copy.deepcopy(BURSTABLE)
    storage["limits"]["ephemeral-storage"] = "1Gi"
    _, errs = resize(pod, _resized(pod, storage))
    assert [e.message() for e in errs] == ["spec: Forbidden: only cpu and memory resources are mutable"]
    no_cpu_limit = {"requests": BURSTABLE["requests"], "limits": {"memory": "128Mi"}}
    _, errs = resize(pod, _resized(pod, no_cpu_limit))
    assert [e.message() for e in errs] == [
        "spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed"
    ]
    best_effort = _pod()
    _, errs = resize(best_effort, _resized(best_effort, {"requests": {"cpu": "100m"}}))
    assert [e.message() for e in errs] == [
        'spec: Invalid value: "BestEffort": Pod QOS Class may not change as a result of resizing'
    ]
