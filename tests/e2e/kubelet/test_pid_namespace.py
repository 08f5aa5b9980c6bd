"""Each pod has its own PID namespace: its processes are all it sees, so a worker pod's preStop
`ray stop` (KubeRay's samples use it) stops that pod's Ray only, never the head's."""

from __future__ import annotations

from typing import Any

from support.pods import RAY_HEAD, create, sleeper, wait_for, wait_ready

# A pod as KubeRay's samples build workers: Ray stopped by the preStop hook before SIGTERM.
RAY_STOPPER = """
kind: Pod
apiVersion: v1
metadata: {name: ray-stopper}
spec:
  terminationGracePeriodSeconds: 20
  containers:
  - name: worker
    image: rayproject/ray:2.60.0
    command: [sleep, infinity]
    lifecycle:
      preStop:
        exec: {command: [/bin/sh, -c, "ray stop --force > /tmp/stop.out 2>&1; touch /tmp/stopped"]}
"""


def _exec(kubectl: Any, pod: str, script: str) -> Any:
    return kubectl("exec", pod, "--", "sh", "-c", script, timeout=90)


def test_a_pod_sees_only_its_own_processes_with_its_init_as_pid_1(core: Any, kubectl: Any) -> None:
    create(core, sleeper("looker"))
    wait_ready(core, "looker")
    script = "for p in /proc/[0-9]*; do echo ${p#/proc/} $(tr '\\0' ' ' < $p/cmdline); done"
    out = _exec(kubectl, "looker", script)
    assert out.returncode == 0, out.stderr
    procs = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert "launch.py" in procs.get("1", ""), f"pid 1 is not the pod's init: {procs}"
    others = {pid: cmd for pid, cmd in procs.items() if pid != "1"}
    # the container's sleep and this exec session's shell and tr: nothing of the host's
    assert any(cmd.startswith("sleep infinity") for cmd in others.values()), procs
    strangers = {
        pid: cmd for pid, cmd in others.items()
        if not (cmd.startswith("sleep infinity") or cmd.startswith("sh -c") or cmd.startswith("tr "))
    }  # fmt: skip
    assert not strangers, f"a pod sees processes not its own: {strangers}"


def test_a_worker_pods_ray_stop_leaves_the_head_healthy(core: Any, kubectl: Any) -> None:
    create(core, RAY_HEAD)
    wait_ready(core, "ray-head", timeout=120)
    create(core, RAY_STOPPER)
    wait_ready(core, "ray-stopper")
    core.delete_namespaced_pod("ray-stopper", "default")

    def gone() -> bool:
        return all(p.metadata.name != "ray-stopper" for p in core.list_namespaced_pod("default").items)

    wait_for("the ray-stopper pod to be deleted", gone, timeout=60)
    check = kubectl("exec", "ray-head", "--", "ray", "health-check", "--address=127.0.0.1:6379", timeout=90)
    assert check.returncode == 0, f"the head's Ray died with the other pod: {check.stdout}{check.stderr}"
    head = core.read_namespaced_pod("ray-head", "default")
    assert head.status.container_statuses[0].restart_count == 0
    assert head.status.container_statuses[0].state.running is not None
