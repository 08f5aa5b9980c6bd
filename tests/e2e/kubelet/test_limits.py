"""CPU and memory limits go through cgroups: a container over its memory limit is OOMKilled, and
Ray in a pod sees its container's limits, not the host's CPUs and memory."""

from __future__ import annotations

import ast
from typing import Any

from support.pods import container_status, create, wait_phase

HOG = """
kind: Pod
apiVersion: v1
metadata: {name: hog}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: python
    command: [python3, -c, "b = [bytearray(16 << 20) for _ in range(64)]; print('survived')"]
    resources: {limits: {memory: 64Mi}}
"""

RAY = """
kind: Pod
apiVersion: v1
metadata: {name: ray-limits}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: rayproject/ray:2.60.0
    command: [python3, -c, "import ray; ray.init(include_dashboard=False); print(ray.cluster_resources())"]
    # a new local cluster would otherwise turn on token auth and write ~/.ray/auth_token, which
    # is the host's /root: every later Ray on the machine would then want that token
    env: [{name: RAY_AUTH_MODE, value: disabled}]
    resources: {limits: {cpu: "1", memory: 3Gi}, requests: {cpu: "1", memory: 3Gi}}
"""


def test_a_container_over_its_memory_limit_is_oom_killed(core: Any, kubectl: Any) -> None:
    create(core, HOG)
    pod = wait_phase(core, "hog", "Failed", timeout=120)
    term = container_status(pod, "main").state.terminated
    assert (term.reason, term.exit_code) == ("OOMKilled", 137)
    assert "survived" not in kubectl("logs", "hog").stdout


def test_ray_in_a_pod_sees_its_container_limits(core: Any, kubectl: Any) -> None:
    create(core, RAY)
    pod = wait_phase(core, "ray-limits", "Succeeded", timeout=180)
    assert container_status(pod, "main").state.terminated.exit_code == 0
    resources = ast.literal_eval(kubectl("logs", "ray-limits").stdout.strip().splitlines()[-1])
    assert resources["CPU"] == 1.0, resources
    # Ray's task memory is a share of what it sees: of 3 GiB, not of the host's 24
    assert 0 < resources["memory"] <= 3 * 2**30, resources
