"""Harness for the operator against a localkube API server without a kubelet: the test plays
the kubelet by writing pod status, as envtest-based KubeRay tests do."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes
import yaml

KUBERAY = Path(sys.executable).parent / "kuberay"
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SAMPLES = SHARED / "kuberay" / "samples"


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


class OperatorProcess:
    """`kuberay operator` as a user runs it, in a subprocess that the test always stops."""

    def __init__(self, kubeconfig: Path, log_path: Path, extra: list[str]) -> None:
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.metrics_url = ""
        self.health_url = ""

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(KUBERAY),
                "operator",
                "--kubeconfig",
                str(self.kubeconfig),
                "--metrics-addr",
                "127.0.0.1:0",
                "--health-addr",
                "127.0.0.1:0",
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        start = self.log_path.stat().st_size if self.log_path.exists() else 0

        def endpoints() -> str | None:
            text = self.log_path.read_text(errors="replace")
            found = re.findall(r"endpoints on \[\('127\.0\.0\.1', (\d+)\), \('127\.0\.0\.1', (\d+)\)\]", text)
            return found[-1] if found and len(text) >= start else None

        metrics_port, health_port = wait_for("the operator to serve its endpoints", endpoints, timeout=30)
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        self.health_url = f"http://127.0.0.1:{health_port}"

    def probe(self, path: str) -> int:
        """The status code of /healthz or /readyz, as the kubelet's probe sees it."""
        try:
            with urllib.request.urlopen(self.health_url + path, timeout=5) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    def writes(self) -> float:
        """Writes to the cluster's objects so far, from the operator's own metrics (its Lease
        renewals, the price of leader election, are not counted)."""
        body = urllib.request.urlopen(self.metrics_url, timeout=5).read().decode()
        total = 0.0
        for line in body.splitlines():
            if not line.startswith("kuberay_operator_api_requests_total{"):
                continue
            labels = line[line.index("{") + 1 : line.index("}")]
            if 'verb="GET"' in labels or 'resource="Lease"' in labels:
                continue
            total += float(line.rsplit(" ", 1)[1])
        return total

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def load_sample(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((SAMPLES / name).read_text()) if d]


class Kube:
    """Small conveniences over the official client for RayCluster tests."""

    def __init__(self, client: kubernetes.client.ApiClient, namespace: str = "default") -> None:
        self.core = kubernetes.client.CoreV1Api(client)
        self.custom = kubernetes.client.CustomObjectsApi(client)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        self.ns = namespace

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["kind"] == "RayCluster":
            return self.custom.create_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", obj)
        if obj["kind"] == "ConfigMap":
            return self.core.create_namespaced_config_map(self.ns, obj).to_dict()
        raise ValueError(obj["kind"])

    def cluster(self, name: str) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name)

    def patch_cluster(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self.custom.patch_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name, patch)

    def delete_cluster(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name)

    def pods(self, cluster: str, node_type: str | None = None, live_only: bool = True) -> list[Any]:
        selector = f"ray.io/cluster={cluster}"
        if node_type:
            selector += f",ray.io/node-type={node_type}"
        pods = self.core.list_namespaced_pod(self.ns, label_selector=selector).items
        return [p for p in pods if not (live_only and p.metadata.deletion_timestamp)]

    def run_pod(self, pod: Any, ip: str) -> None:
        """Play the kubelet: the pod is Running, its containers ready."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        statuses = [
            {
                "name": c.name,
                "ready": True,
                "started": True,
                "restartCount": 0,
                "image": c.image,
                "imageID": "",
                "state": {"running": {"startedAt": now}},
            }
            for c in pod.spec.containers
        ]
        conditions = [
            {"type": t, "status": "True", "lastTransitionTime": now}
            for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        ]
        self.core.patch_namespaced_pod_status(
            pod.metadata.name,
            self.ns,
            {
                "status": {
                    "phase": "Running",
                    "podIP": ip,
                    "podIPs": [{"ip": ip}],
                    "hostIP": "10.244.0.1",
                    "startTime": now,
                    "conditions": conditions,
                    "containerStatuses": statuses,
                }
            },
        )

    def run_all(self, cluster: str) -> None:
        for i, pod in enumerate(self.pods(cluster)):
            if pod.status.phase != "Running":
                self.run_pod(pod, f"10.244.1.{i + 2}")

    def events(self, name: str) -> list[Any]:
        return [
            e
            for e in self.core.list_namespaced_event(self.ns).items
            if e.involved_object.kind == "RayCluster" and e.involved_object.name == name
        ]


def sample_cluster(name: str = "raycluster-kuberay", replicas: int = 1, **spec: Any) -> dict[str, Any]:
    cluster = copy.deepcopy(load_sample("ray-cluster.sample.yaml")[0])
    cluster["metadata"]["name"] = name
    group = cluster["spec"]["workerGroupSpecs"][0]
    group["replicas"] = replicas
    group["minReplicas"] = 0
    group["maxReplicas"] = 10
    cluster["spec"].update(spec)
    return cluster
