"""Pods through the API: scheduling, status, logs, deletion."""

from __future__ import annotations

from typing import Any

from support.clients import read_or_none
from support.pods import container_status, create, pod_condition, wait_for, wait_phase, wait_ready


def test_pod_runs_gets_ip_and_status_and_is_deleted(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: hello}
spec:
  containers:
  - name: main
    image: rayproject/ray:2.60.0
    command: ["sh", "-c", "echo hello from $(POD_NAME); hostname; sleep 300"]
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    resources: {requests: {cpu: 100m, memory: 64Mi}}
""",
    )
    pod = wait_ready(core, "hello")
    assert pod.spec.node_name == "localkube"
    assert pod.status.phase == "Running"
    assert pod.status.pod_ip.startswith("10.244.")
    assert pod.status.host_ip == "10.244.0.1"
    assert pod.status.qos_class == "Burstable"
    assert pod.status.start_time is not None
    cs = container_status(pod, "main")
    assert cs.image == "rayproject/ray:2.60.0"
    assert cs.ready and cs.started and cs.state.running is not None
    for cond in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        assert pod_condition(pod, cond) == "True"
    out = wait_for("log lines", lambda: (r := kubectl("logs", "hello")).stdout.count("\n") >= 2 and r)
    assert out.stdout == "hello from hello\nhello\n"
    node = core.read_node("localkube")
    assert node.status.addresses[0].address == "10.244.0.1"
    assert [c.status for c in node.status.conditions if c.type == "Ready"] == ["True"]
    r = kubectl("delete", "pod", "hello", "--wait=true", timeout=120)
    assert r.returncode == 0, r.stderr
    assert all(p.metadata.name != "hello" for p in core.list_namespaced_pod("default").items)


def test_a_cordoned_node_takes_only_pods_that_tolerate_it_until_uncordoned(core: Any, kubectl: Any) -> None:
    # once Ready, the not-ready taint admission gave the new node is gone
    node = wait_for("the node", lambda: read_or_none(core.read_node, "localkube"))
    wait_for("the node untainted", lambda: not core.read_node("localkube").spec.taints)
    assert [c.status for c in node.status.conditions if c.type == "Ready"] == ["True"]
    assert kubectl("cordon", "localkube").returncode == 0
    wait_for(
        "the unschedulable taint",
        lambda: (
            [t.key for t in core.read_node("localkube").spec.taints or []]
            == ["node.kubernetes.io/unschedulable"]
        ),
    )
    sleeper = """
kind: Pod
apiVersion: v1
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: main, image: busybox, command: [sleep, "300"]}]
"""
    create(core, sleeper.replace("NAME", "waiting"))
    tolerant = sleeper.replace("NAME", "tolerant") + (
        "  tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoSchedule}]\n"
    )
    create(core, tolerant)
    assert wait_ready(core, "tolerant").spec.node_name == "localkube"

    def refusal() -> Any:
        pod = core.read_namespaced_pod("waiting", "default")
        return next((c for c in pod.status.conditions or [] if c.type == "PodScheduled"), None)

    cond = wait_for("PodScheduled False", refusal)
    assert (cond.status, cond.message) == ("False", "0/1 nodes are available: 1 node(s) were unschedulable.")
    assert kubectl("uncordon", "localkube").returncode == 0
    assert wait_ready(core, "waiting").spec.node_name == "localkube"
    assert not core.read_node("localkube").spec.taints


def test_unschedulable_pod_waits_until_resources_free_up(core: Any) -> None:
    big = """
kind: Pod
apiVersion: v1
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, "300"], resources: {requests: {cpu: "40"}}}
"""
    create(core, big.replace("NAME", "first"))
    wait_ready(core, "first")
    create(core, big.replace("NAME", "second"))

    def unschedulable() -> Any:
        pod = core.read_namespaced_pod("second", "default")
        for c in pod.status.conditions or []:
            if c.type == "PodScheduled" and c.status == "False":
                return c
        return None

    cond = wait_for("PodScheduled False", unschedulable)
    assert cond.reason == "Unschedulable"
    assert cond.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert core.read_namespaced_pod("second", "default").status.phase == "Pending"
    core.delete_namespaced_pod("first", "default")
    pod = wait_ready(core, "second")
    assert pod.spec.node_name == "localkube"
    assert pod_condition(pod, "PodScheduled") == "True"


def test_missing_command_and_missing_configmap_show_kubernetes_reasons(core: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: broken}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: nocmd, image: busybox, command: [no-such-command]}
  - name: nocm
    image: busybox
    command: [sleep, "300"]
    env:
    - name: X
      valueFrom: {configMapKeyRef: {name: absent, key: k}}
  - {name: fine, image: busybox, command: [sleep, "300"]}
""",
    )

    def reasons() -> Any:
        pod = core.read_namespaced_pod("broken", "default")
        nocmd = container_status(pod, "nocmd")
        nocm = container_status(pod, "nocm")
        fine = container_status(pod, "fine")
        if None in (nocmd, nocm, fine):
            return None
        got = (
            (nocmd.state.waiting.reason if nocmd.state.waiting else None)
            or (nocmd.state.terminated.reason if nocmd.state.terminated else None),
            nocm.state.waiting.reason if nocm.state.waiting else None,
            fine.state.running is not None,
        )
        return got if got[0] == "CrashLoopBackOff" and got[1] and got[2] else None

    got = wait_for("reasons", reasons)
    assert got == ("CrashLoopBackOff", "CreateContainerConfigError", True)
    pod = core.read_namespaced_pod("broken", "default")
    nocmd = container_status(pod, "nocmd")
    assert nocmd.last_state.terminated.reason == "StartError"
    assert nocmd.last_state.terminated.exit_code == 128
    assert (
        'exec: "no-such-command": executable file not found in $PATH' in nocmd.last_state.terminated.message
    )
    assert container_status(pod, "nocm").state.waiting.message == 'configmap "absent" not found'
    # as on a real node: a container that never started keeps the pod Pending
    assert pod.status.phase == "Pending"


def test_run_to_completion_never_restarts(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: job}
spec:
  restartPolicy: Never
  containers:
  - {name: ok, image: busybox, command: [sh, -c, "echo done"]}
  - {name: bad, image: busybox, command: [sh, -c, "exit 3"]}
""",
    )
    pod = wait_phase(core, "job", "Failed")
    ok = container_status(pod, "ok").state.terminated
    bad = container_status(pod, "bad").state.terminated
    assert (ok.exit_code, ok.reason) == (0, "Completed")
    assert (bad.exit_code, bad.reason) == (3, "Error")
    assert container_status(pod, "bad").restart_count == 0
    assert kubectl("logs", "job", "-c", "ok").stdout == "done\n"


def test_a_burst_of_pods_never_overcommits_the_node(core: Any) -> None:
    for i in range(4):
        create(
            core,
            f"""
kind: Pod
apiVersion: v1
metadata: {{name: burst-{i}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: main, image: busybox, command: [sleep, "300"], resources: {{requests: {{cpu: "30"}}}}}}
""",
        )

    def settled() -> Any:
        pods = [core.read_namespaced_pod(f"burst-{i}", "default") for i in range(4)]
        bound = [p for p in pods if p.spec.node_name]
        refused = [p for p in pods if any(c.reason == "Unschedulable" for c in p.status.conditions or [])]
        return (bound, refused) if len(bound) + len(refused) == 4 else None

    bound, refused = wait_for("all pods decided", settled)
    # 64 CPUs hold two 30-CPU pods, never three
    assert len(bound) == 2
    assert len(refused) == 2
