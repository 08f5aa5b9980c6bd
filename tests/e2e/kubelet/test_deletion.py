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


def test_deleting_a_pod_stops_its_running_init_container(core: Any) -> None:
    create(core, STUCK_IN_INIT)

    def init_running() -> bool:
        cs = container_status(core.read_namespaced_pod("stuck-in-init", "default"), "wait-forever")
        return bool(cs and cs.state.running)

    wait_for("the init container to run", init_running, timeout=60)
    core.delete_namespaced_pod("stuck-in-init", "default")

    def gone() -> bool:
        return all(p.metadata.name != "stuck-in-init" for p in core.list_namespaced_pod("default").items)

    # 2 s of grace, then SIGKILL: a hang guard, far beyond what the deletion needs
    wait_for("the pod to be deleted", gone, timeout=60)
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

    def running() -> bool:
        cs = container_status(core.read_namespaced_pod("ignores-sigterm", "default"), "main")
        return bool(cs and cs.state.running)

    wait_for("the container to run", running, timeout=60)
    core.delete_namespaced_pod("ignores-sigterm", "default")
    pod = core.read_namespaced_pod("ignores-sigterm", "default")
    assert pod.metadata.deletion_grace_period_seconds == 600
    core.delete_namespaced_pod("ignores-sigterm", "default", grace_period_seconds=1)

    def gone() -> bool:
        return all(p.metadata.name != "ignores-sigterm" for p in core.list_namespaced_pod("default").items)

    # a hang guard far below the first grace period: only the second one can end it in time
    wait_for("the pod to be deleted", gone, timeout=60)
