"""Deleting a pod never hangs: a running init container is stopped like any container."""

from __future__ import annotations

from typing import Any

from support.pods import container_status, create, wait_for

STUCK_IN_INIT = """
kind: Pod
apiVersion: v1
metadata: {name: stuck-in-init}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: wait-forever
    image: busybox
    command: [sh, -c, "trap '' TERM; echo waiting; while true; do sleep 1; done"]
  containers:
  - name: main
    image: busybox
    command: [sleep, infinity]
"""


def wait_running(core: Any, pod: str, container: str) -> None:
    def running() -> bool:
        cs = container_status(core.read_namespaced_pod(pod, "default"), container)
        return bool(cs and cs.state.running)

    wait_for(f"container {container} to run", running, timeout=60)


def wait_deleted(core: Any, pod: str) -> None:
    """A hang guard, far beyond what the deletions here need (and far below a 600 s grace)."""
    wait_for(
        "the pod to be deleted",
        lambda: all(p.metadata.name != pod for p in core.list_namespaced_pod("default").items),
        timeout=60,
    )


def test_deleting_a_pod_stops_its_running_init_container(core: Any) -> None:
    create(core, STUCK_IN_INIT)
    wait_running(core, "stuck-in-init", "wait-forever")
    core.delete_namespaced_pod("stuck-in-init", "default")
    wait_deleted(core, "stuck-in-init")  # 2 s of grace, then SIGKILL
    events = core.list_namespaced_event("default", field_selector="involvedObject.name=stuck-in-init").items
    killing = [e for e in events if e.reason == "Killing"]
    assert any("wait-forever" in (e.message or "") for e in killing), [(e.reason, e.message) for e in events]


IGNORES_SIGTERM = """
kind: Pod
apiVersion: v1
metadata: {name: ignores-sigterm}
spec:
  terminationGracePeriodSeconds: 600
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap '' TERM; echo up; while true; do sleep 1; done"]
"""


def test_a_second_delete_with_a_shorter_grace_period_kills_sooner(core: Any) -> None:
    """As with `kubectl delete --grace-period=1` after a plain delete: the kubelet kills the pod
    within the new grace period, not the 600 s it was given first."""
    create(core, IGNORES_SIGTERM)
    wait_running(core, "ignores-sigterm", "main")
    core.delete_namespaced_pod("ignores-sigterm", "default")
    pod = core.read_namespaced_pod("ignores-sigterm", "default")
    assert pod.metadata.deletion_grace_period_seconds == 600
    core.delete_namespaced_pod("ignores-sigterm", "default", grace_period_seconds=1)
    wait_deleted(core, "ignores-sigterm")  # only the second grace period can end it in time
