"""Waiting for pod states through the official client (polling the API is fine in tests)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from support import waiting

# the patience real processes need (pods start in seconds)
wait_for = waiting.paced(timeout=120, interval=0.2)


def pod_condition(pod: Any, ctype: str) -> str:
    for c in pod.status.conditions or []:
        if c.type == ctype:
            return str(c.status)
    return ""


def wait_ready(core: Any, name: str, ns: str = "default", timeout: float = 120) -> Any:
    seen: list[Any] = []

    def check() -> Any:
        pod = core.read_namespaced_pod(name, ns)
        seen[:] = [pod.status]
        return pod if pod_condition(pod, "Ready") == "True" else None

    try:
        return wait_for(f"pod {name} Ready", check, timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; pod status: {seen[0] if seen else None}") from None


def wait_phase(core: Any, name: str, phase: str, ns: str = "default", timeout: float = 120) -> Any:
    seen: list[Any] = []

    def check() -> Any:
        pod = core.read_namespaced_pod(name, ns)
        seen[:] = [pod.status]
        return pod if pod.status.phase == phase else None

    try:
        return wait_for(f"pod {name} {phase}", check, timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; pod status: {seen[0] if seen else None}") from None


def container_status(pod: Any, name: str) -> Any:
    for cs in list(pod.status.container_statuses or []) + list(pod.status.init_container_statuses or []):
        if cs.name == name:
            return cs
    return None


def create(core: Any, manifest: str, ns: str = "default") -> Any:
    body = yaml.safe_load(manifest)
    kind = body["kind"]
    if kind == "Pod":
        return core.create_namespaced_pod(ns, body)
    if kind == "Service":
        return core.create_namespaced_service(ns, body)
    if kind == "ConfigMap":
        return core.create_namespaced_config_map(ns, body)
    if kind == "Secret":
        return core.create_namespaced_secret(ns, body)
    raise ValueError(kind)


# Manifests more than one kubelet test runs.

# A pod ("shell") that only waits, for tests that exec into it.
SHELL = """
kind: Pod
apiVersion: v1
metadata: {name: shell}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, infinity]}
"""

# A web server pod ("web", app=web) serving "served-by-<its hostname>" on its port web-port, ready
# once it answers; FRONTEND is the Service in front of it (port 80).
WEB = """
kind: Pod
apiVersion: v1
metadata: {name: web, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: http
    image: python:3.11
    command: [sh, -c, "mkdir -p /srv && echo served-by-$(hostname) > /srv/index.html && cd /srv && exec python -m http.server 8080"]
    ports: [{name: web-port, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /index.html, port: web-port}
      periodSeconds: 1
"""  # noqa: E501

FRONTEND = """
kind: Service
apiVersion: v1
metadata: {name: frontend}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web-port}]
"""

# A Ray head ("ray-head", ray.io/node-type=head): one CPU, no dashboard, ready once Ray answers.
RAY_HEAD = """
kind: Pod
apiVersion: v1
metadata: {name: ray-head, labels: {ray.io/node-type: head}}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: ray-head
    image: rayproject/ray:2.60.0
    command: [ray, start, --head, --block, --port=6379, --num-cpus=1, --include-dashboard=false,
              --disable-usage-stats, --memory=1000000000, --object-store-memory=100000000]
    ports: [{name: gcs, containerPort: 6379}]
    readinessProbe:
      exec: {command: [sh, -c, "ray health-check --address=127.0.0.1:6379"]}
      periodSeconds: 2
      timeoutSeconds: 10
    volumeMounts: [{name: shm, mountPath: /dev/shm}]
  volumes: [{name: shm, emptyDir: {medium: Memory}}]
"""


def sleeper(name: str) -> str:
    """A busybox pod that sleeps, gone within a second of its deletion."""
    return f"""
kind: Pod
apiVersion: v1
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, infinity]
"""


def python_run(name: str, script: str, container: str = "get") -> str:
    """A pod that runs a Python script once (restartPolicy Never): its output is in its logs."""
    return f"""
kind: Pod
apiVersion: v1
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  containers:
  - name: {container}
    image: python:3.11
    command: [python, -c, {json.dumps(script)}]
"""
