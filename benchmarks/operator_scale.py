"""How the operator behaves with many RayClusters (issue 5's figures).

Starts `localkube up --no-kubelet` and `kuberay operator` as separate processes, creates N
RayClusters of 1 head and 3 workers, plays the kubelet (marks every pod Running and Ready), and
reports:
  - seconds from the first create until every cluster's status.state is `ready`;
  - write requests per cluster the operator sent, against the minimum (creates + one status write);
  - writes during a steady-state window (should be 0);
  - the operator's resident memory.

Usage: .venv/bin/python benchmarks/operator_scale.py [--clusters 200] [--steady 60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes

from kuberay.api.crd import render_crd
from kuberay.demo.processes import operator_argv
from localkube.testing import running_pod_status

BIN = Path(sys.executable).parent
MINIMUM_CREATES = 1 + 1 + 3  # head service, head pod, three workers


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_file(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} did not appear")
        time.sleep(0.1)


def cluster(i: int) -> dict[str, Any]:
    container = {
        "image": "rayproject/ray:2.52.0",
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
    }
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": f"bench-{i:04d}"},
        "spec": {
            "rayVersion": "2.52.0",
            "headGroupSpec": {
                "rayStartParams": {},
                "template": {"spec": {"containers": [{"name": "ray-head", **container}]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "workers",
                    "replicas": 3,
                    "minReplicas": 0,
                    "maxReplicas": 10,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [{"name": "ray-worker", **container}]}},
                }
            ],
        },
    }


def operator_writes(metrics_url: str) -> Counter[str]:
    body = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    counts: Counter[str] = Counter()
    for line in body.splitlines():
        m = re.match(r"kuberay_operator_api_requests_total\{(.*)\} ([0-9.e+]+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            counts[f"{labels['verb']} {labels['resource']}"] += int(float(m.group(2)))
    return counts


def start_operator(kubeconfig: Path, log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`kuberay operator` with its endpoints on free ports; returns once it serves them, with its
    metrics URL."""
    op = subprocess.Popen(
        operator_argv(kubeconfig, *extra),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    while True:
        m = re.search(r"endpoints on \[\('127\.0\.0\.1', (\d+)\)", log.read_text(errors="replace"))
        if m:
            return op, f"http://127.0.0.1:{m.group(1)}/metrics"
        if op.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.1)


class FakeKubelet(threading.Thread):
    """Marks every ray pod Running and Ready as soon as it appears (watch-driven)."""

    def __init__(self, api: kubernetes.client.ApiClient, namespace: str = "default") -> None:
        super().__init__(daemon=True)
        self.core = kubernetes.client.CoreV1Api(api)
        self.namespace = namespace
        self.stop = threading.Event()
        self.ip = 2

    def run(self) -> None:
        w = kubernetes.watch.Watch()
        while not self.stop.is_set():
            for ev in w.stream(
                self.core.list_namespaced_pod,
                self.namespace,
                label_selector="ray.io/cluster",
                timeout_seconds=5,
            ):
                pod = ev["object"]
                if (
                    ev["type"] in ("ADDED", "MODIFIED")
                    and pod.status.phase != "Running"
                    and not pod.metadata.deletion_timestamp
                ):
                    self.mark_running(pod)
                if self.stop.is_set():
                    break

    def mark_running(self, pod: Any) -> None:
        self.ip += 1
        ip = f"10.244.{self.ip // 250}.{self.ip % 250 + 2}"
        containers = [(c.name, c.image) for c in pod.spec.containers]
        self.core.patch_namespaced_pod_status(
            pod.metadata.name, self.namespace, {"status": running_pod_status(containers, ip)}
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument(
        "--steady", type=float, default=60.0, help="seconds of steady state to watch for writes"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuberay-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        lk = subprocess.Popen(
            [str(BIN / "localkube"), "up", "--dir", str(work), "--no-kubelet"],
            stdout=subprocess.DEVNULL,
            stderr=(work / "localkube.log").open("wb"),
        )
        procs.append(lk)
        wait_file(work / "kubeconfig")
        api = kubernetes.config.new_client_from_config(config_file=str(work / "kubeconfig"))
        kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(render_crd())
        time.sleep(1)  # Established

        op, metrics_url = start_operator(work / "kubeconfig", work / "operator.log")
        procs.append(op)

        kubelet = FakeKubelet(api)
        kubelet.start()
        custom = kubernetes.client.CustomObjectsApi(api)
        t0 = time.monotonic()
        for i in range(args.clusters):
            custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", cluster(i))
        created = time.monotonic() - t0
        while True:
            items = custom.list_namespaced_custom_object("ray.io", "v1", "default", "rayclusters")["items"]
            ready = sum(1 for c in items if (c.get("status") or {}).get("state") == "ready")
            if ready == args.clusters:
                break
            if time.monotonic() - t0 > 900:
                raise SystemExit(f"only {ready}/{args.clusters} ready after 900 s")
            time.sleep(0.5)
        all_ready = time.monotonic() - t0
        time.sleep(3)  # let the last status writes and events land
        writes = operator_writes(metrics_url)
        kubelet.stop.set()

        before = sum(operator_writes(metrics_url).values())
        time.sleep(args.steady)
        steady_writes = sum(operator_writes(metrics_url).values()) - before

        creates = sum(v for k, v in writes.items() if k.startswith("POST ") and not k.endswith("Event"))
        status_writes = sum(v for k, v in writes.items() if k == "PATCH RayCluster/status")
        events = sum(v for k, v in writes.items() if k.endswith("Event"))
        n = args.clusters
        result = {
            "clusters": n,
            "pods": n * 4,
            "seconds_to_create_all": round(created, 1),
            "seconds_until_all_ready": round(all_ready, 1),
            "writes_per_cluster": round((creates + status_writes) / n, 2),
            "minimum_writes_per_cluster": MINIMUM_CREATES + 1,
            "creates_per_cluster": round(creates / n, 2),
            "status_writes_per_cluster": round(status_writes / n, 2),
            "events_per_cluster": round(events / n, 2),
            "steady_state_seconds": args.steady,
            "steady_state_writes": steady_writes,
            "operator_rss_mib": round(rss_mib(op.pid), 1),
            "writes_by_kind": dict(sorted(writes.items())),
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
