"""Kubelet benchmark: pod start latency (create -> Ready) of a trivial pod, p50/p99 over 50 pods,
and how many trivial sleep pods one node holds (up to a bound, or the first pod that fails).

Run as root: `.venv/bin/python benchmarks/kubelet_bench.py [--latency-pods 50] [--capacity-max 300]`.
Latency pods are created one at a time (each measured alone); capacity pods are created in a burst.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch

from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock
from localkube.kubelet.testing import running_cluster


def _pod(name: str, command: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"bench": "kubelet"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "containers": [{"name": "main", "image": "busybox", "command": command}],
        },
    }


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


class ReadyWatcher:
    """Records when each pod is first seen Ready, from one watch (no polling)."""

    def __init__(self, core: client.CoreV1Api):
        self.core = core
        self.ready_at: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.cond = threading.Condition()
        self._w = watch.Watch()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for ev in self._w.stream(
                self.core.list_namespaced_pod, "default", label_selector="bench=kubelet"
            ):
                pod = ev["object"]
                name = pod.metadata.name
                with self.cond:
                    if _ready(pod) and name not in self.ready_at:
                        self.ready_at[name] = time.monotonic()
                        self.cond.notify_all()
                    for cs in pod.status.container_statuses or []:
                        waiting = cs.state.waiting
                        if waiting and waiting.reason not in ("ContainerCreating", "PodInitializing"):
                            self.failed[name] = waiting.reason
                            self.cond.notify_all()
        except Exception:
            pass

    def wait(self, names: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(n in self.ready_at for n in names):
                if any(n in self.failed for n in names):
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def stop(self) -> None:
        self._w.stop()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def bench_latency(core: client.CoreV1Api, watcher: ReadyWatcher, n: int) -> list[float]:
    out = []
    for i in range(n):
        name = f"lat-{i}"
        t0 = time.monotonic()
        core.create_namespaced_pod("default", _pod(name, ["sleep", "3600"]))
        if not watcher.wait([name], 60):
            raise RuntimeError(f"{name} did not become Ready")
        out.append(watcher.ready_at[name] - t0)
    return out


def bench_capacity(
    core: client.CoreV1Api, watcher: ReadyWatcher, limit: int, batch: int
) -> tuple[int, float]:
    held = 0
    t0 = time.monotonic()
    while held < limit:
        names = [f"cap-{held + i}" for i in range(min(batch, limit - held))]
        for name in names:
            core.create_namespaced_pod("default", _pod(name, ["sleep", "3600"]))
        if not watcher.wait(names, 120):
            break
        held += len(names)
    return held, time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-pods", type=int, default=50)
    parser.add_argument("--capacity-max", type=int, default=300)
    parser.add_argument("--batch", type=int, default=25)
    args = parser.parse_args()
    lock = NodeLock()
    lock.acquire()
    try:
        with tempfile.TemporaryDirectory(prefix="kubelet-bench-") as tmp:
            data = Path(tmp)
            try:
                with running_cluster(data, max_pods=args.capacity_max + 50) as cluster:
                    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
                    core = client.CoreV1Api(api)
                    watcher = ReadyWatcher(core)
                    lat = bench_latency(core, watcher, args.latency_pods)
                    print(f"pod start latency (create -> Ready), {len(lat)} pods one at a time:")
                    p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
                    print(
                        f"  p50 {p50:.0f} ms   p99 {p99:.0f} ms   mean {statistics.mean(lat) * 1000:.0f} ms"
                    )
                    core.delete_collection_namespaced_pod("default", label_selector="bench=kubelet")
                    time.sleep(3)
                    held, took = bench_capacity(core, watcher, args.capacity_max, args.batch)
                    print(f"sleep pods held by one node: {held} (bound {args.capacity_max}), "
                          f"all Ready after {took:.1f} s")  # fmt: skip
                    if watcher.failed:
                        print(f"  first failures: {dict(list(watcher.failed.items())[:3])}")
                    watcher.stop()
                    api.close()
            finally:
                cleanup.remove_everything(data)
    finally:
        lock.release()


if __name__ == "__main__":
    main()
