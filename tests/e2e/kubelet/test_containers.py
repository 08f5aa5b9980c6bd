"""Containers: env and volumes, init containers, probes, restarts and back-off, logs and exec."""

from __future__ import annotations

import base64
import json
from typing import Any

from support.pods import container_status, create, pod_condition, wait_for, wait_phase, wait_ready


def test_env_and_volumes(core: Any, kubectl: Any) -> None:
    create(
        core,
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: cfg}\n"
        "data: {a.conf: alpha, b.conf: beta, LEVEL: debug}",
    )
    secret = base64.b64encode(b"s3cret").decode()
    create(core, f"kind: Secret\napiVersion: v1\nmetadata: {{name: creds}}\ndata: {{password: {secret}}}")
    script = r"""
echo "env $LEVEL $CFG_LEVEL $PASSWORD $MY_NS $MY_IP $CPU_M $MEM_MI"
stat -c '%a %n' /etc/cfg/renamed.conf
cat /etc/cfg/renamed.conf; echo
ls /etc/cfg
cat /etc/creds/password; echo
cat /etc/podinfo/labels; echo
df -t tmpfs /dev/shm | tail -1 | awk '{print "shm " $1}'
df -t tmpfs /cache | tail -1 | awk '{print "cache " $1}'
echo x > /cache/file && echo cache-writable
touch /etc/cfg/x 2>/dev/null || echo cfg-readonly
cat /sub/b.conf; echo
pwd
"""
    create(
        core,
        f"""
kind: Pod
apiVersion: v1
metadata: {{name: envvol, labels: {{tier: test}}}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    workingDir: /work/here
    command: [sh, -c, {json.dumps(script)}]
    envFrom: [{{configMapRef: {{name: cfg}}, prefix: CFG_}}]
    env:
    - {{name: LEVEL, valueFrom: {{configMapKeyRef: {{name: cfg, key: LEVEL}}}}}}
    - {{name: PASSWORD, valueFrom: {{secretKeyRef: {{name: creds, key: password}}}}}}
    - {{name: MY_NS, valueFrom: {{fieldRef: {{fieldPath: metadata.namespace}}}}}}
    - {{name: MY_IP, valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}}}
    - {{name: CPU_M, valueFrom: {{resourceFieldRef: {{resource: limits.cpu, divisor: 1m}}}}}}
    - {{name: MEM_MI, valueFrom: {{resourceFieldRef: {{resource: requests.memory, divisor: 1Mi}}}}}}
    resources: {{requests: {{cpu: 250m, memory: 128Mi}}, limits: {{cpu: 500m, memory: 256Mi}}}}
    volumeMounts:
    - {{name: cfg, mountPath: /etc/cfg}}
    - {{name: creds, mountPath: /etc/creds}}
    - {{name: podinfo, mountPath: /etc/podinfo}}
    - {{name: shm, mountPath: /dev/shm}}
    - {{name: cache, mountPath: /cache}}
    - {{name: whole, mountPath: /sub/b.conf, subPath: b.conf}}
  volumes:
  - name: cfg
    configMap:
      name: cfg
      defaultMode: 0600
      items: [{{key: a.conf, path: renamed.conf}}]
  - {{name: whole, configMap: {{name: cfg}}}}
  - {{name: creds, secret: {{secretName: creds}}}}
  - name: podinfo
    downwardAPI:
      items: [{{path: labels, fieldRef: {{fieldPath: metadata.labels}}}}]
  - {{name: shm, emptyDir: {{medium: Memory}}}}
  - {{name: cache, emptyDir: {{medium: Memory, sizeLimit: 64Mi}}}}
""",
    )
    pod = wait_phase(core, "envvol", "Succeeded")
    out = kubectl("logs", "envvol").stdout.splitlines()
    assert out == [
        f"env debug debug s3cret default {pod.status.pod_ip} 500 128",
        "600 /etc/cfg/renamed.conf",
        "alpha",
        "renamed.conf",
        "s3cret",
        'tier="test"',
        "shm tmpfs",
        "cache tmpfs",
        "cache-writable",
        "cfg-readonly",
        "beta",
        "/work/here",
    ]


def test_init_containers_run_in_order_before_containers(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: inits}
spec:
  restartPolicy: Never
  initContainers:
  - {name: first, image: busybox, command: [sh, -c, "sleep 0.5; echo first >> /shared/order"],
     volumeMounts: [{name: shared, mountPath: /shared}]}
  - {name: second, image: busybox, command: [sh, -c, "echo second >> /shared/order"],
     volumeMounts: [{name: shared, mountPath: /shared}]}
  containers:
  - {name: main, image: busybox, command: [sh, -c, "echo main >> /shared/order; cat /shared/order"],
     volumeMounts: [{name: shared, mountPath: /shared}]}
  volumes: [{name: shared, emptyDir: {}}]
""",
    )
    pod = wait_phase(core, "inits", "Succeeded")
    assert kubectl("logs", "inits").stdout == "first\nsecond\nmain\n"
    assert [c.state.terminated.reason for c in pod.status.init_container_statuses] == [
        "Completed",
        "Completed",
    ]
    assert pod_condition(pod, "Initialized") == "True"


def test_failed_init_container_with_never_fails_the_pod(core: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: badinit}
spec:
  restartPolicy: Never
  initContainers: [{name: setup, image: busybox, command: [sh, -c, "exit 7"]}]
  containers: [{name: main, image: busybox, command: [sh, -c, "echo never"]}]
""",
    )
    pod = wait_phase(core, "badinit", "Failed")
    assert container_status(pod, "setup").state.terminated.exit_code == 7
    assert container_status(pod, "main").state.waiting.reason == "PodInitializing"


def test_crash_loop_back_off_and_previous_logs(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: crasher}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sh, -c, "echo attempt; exit 2"]}
""",
    )

    def backing_off() -> Any:
        pod = core.read_namespaced_pod("crasher", "default")
        cs = container_status(pod, "main")
        if (
            cs
            and cs.state.waiting
            and cs.state.waiting.reason == "CrashLoopBackOff"
            and cs.restart_count >= 2
        ):
            return cs
        return None

    cs = wait_for("CrashLoopBackOff", backing_off, timeout=60)
    assert cs.last_state.terminated.exit_code == 2
    assert cs.last_state.terminated.reason == "Error"
    assert (
        "back-off" in cs.state.waiting.message
        and "restarting failed container=main" in cs.state.waiting.message
    )
    assert kubectl("logs", "crasher", "--previous").stdout == "attempt\n"
    assert core.read_namespaced_pod("crasher", "default").status.phase == "Running"


def test_liveness_failure_restarts_and_readiness_gates_ready(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "echo started; touch /tmp/alive; sleep 2; rm /tmp/alive; sleep 300"]
    livenessProbe:
      exec: {command: [cat, /tmp/alive]}
      periodSeconds: 1
      failureThreshold: 2
  - name: gated
    image: busybox
    command: [sh, -c, "sleep 300"]
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
""",
    )

    def restarted() -> Any:
        cs = container_status(core.read_namespaced_pod("probed", "default"), "main")
        return cs if cs and cs.restart_count >= 1 else None

    cs = wait_for("liveness restart", restarted, timeout=60)
    assert cs.last_state.terminated is not None
    pod = core.read_namespaced_pod("probed", "default")
    assert not container_status(pod, "gated").ready
    assert pod_condition(pod, "Ready") == "False"
    # /tmp is the pod's: a file made through exec in one container satisfies the other's probe
    assert kubectl("exec", "probed", "-c", "gated", "--", "touch", "/tmp/ready").returncode == 0
    wait_ready(core, "probed", timeout=30)
    events = kubectl("get", "events", "--field-selector", "involvedObject.name=probed").stdout
    assert "Unhealthy" in events and "failed liveness probe, will be restarted" in events


def test_logs_follow_and_exec_with_stdin(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "for i in 1 2 3; do echo line $i; sleep 0.3; done; sleep 300"]
""",
    )
    wait_ready(core, "talker")
    wait_for("three lines", lambda: kubectl("logs", "talker").stdout.count("line") == 3)
    assert kubectl("logs", "talker", "--tail=1").stdout == "line 3\n"
    r = kubectl("exec", "-i", "talker", "--", "sh", "-c", "tr a-z A-Z; echo err >&2; exit 4", input="shout\n")
    assert r.stdout == "SHOUT\n"
    assert "err" in r.stderr
    assert r.returncode == 4
    ts = kubectl("logs", "talker", "--timestamps").stdout.splitlines()[0]
    assert ts.endswith(" line 1") and ts[:4].isdigit()
    assert kubectl("logs", "talker", "--limit-bytes=4").stdout == "line"


def test_logs_follow_streams_until_the_container_ends(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: streamer}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "sleep 1; for i in 1 2 3 4; do echo tick $i; sleep 0.5; done"]
""",
    )
    wait_ready(core, "streamer")
    # started while the container still prints: returns once it exits, with everything it printed
    r = kubectl("logs", "-f", "streamer", timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tick 1\ntick 2\ntick 3\ntick 4\n"


def test_configmap_changes_reach_running_pods_and_a_missing_one_unblocks(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: cmwatch}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "sleep 300"]
    env: [{name: LATE, valueFrom: {configMapKeyRef: {name: late, key: v}}}]
    volumeMounts: [{name: live, mountPath: /etc/live}]
  volumes: [{name: live, configMap: {name: live}}]
""",
    )

    def waiting_reason() -> Any:
        cs = container_status(core.read_namespaced_pod("cmwatch", "default"), "main")
        return cs.state.waiting.reason if cs and cs.state.waiting else None

    # the volume's ConfigMap does not exist yet: the pod waits (as on a real node)
    assert wait_for("ContainerCreating", waiting_reason) == "ContainerCreating"
    create(core, "kind: ConfigMap\napiVersion: v1\nmetadata: {name: live}\ndata: {greeting: hello}")
    assert wait_for("env error", lambda: waiting_reason() == "CreateContainerConfigError" or None)
    create(core, "kind: ConfigMap\napiVersion: v1\nmetadata: {name: late}\ndata: {v: here}")
    wait_ready(core, "cmwatch", timeout=30)
    assert (
        kubectl("exec", "cmwatch", "--", "sh", "-c", "echo $LATE; cat /etc/live/greeting").stdout
        == "here\nhello"
    )
    core.patch_namespaced_config_map("live", "default", {"data": {"greeting": "updated"}})

    def updated() -> Any:
        return kubectl("exec", "cmwatch", "--", "cat", "/etc/live/greeting").stdout == "updated" or None

    assert wait_for("updated file", updated, timeout=30)
