"""Autoscaling latency of the seed walkthrough on localkube, with Ray's autoscaler at its default
5 s period (AUTOSCALER_UPDATE_INTERVAL_S unset):

- scale-up: seconds from a detached 1-CPU actor's creation (`kubectl exec $HEAD_POD -- python3
  detached_actor.py NAME` returned) to its new worker pod Running, and to the actor ALIVE;
- scale-down: seconds from the actor's termination (`terminate_detached_actor.py NAME` returned) to
  the operator deleting the worker pod (deletionTimestamp set) and to the pod being gone, each
  minus idleTimeoutSeconds.

Median of N runs (default 5), one actor at a time on config/samples/ray-cluster.autoscaler.yaml.
The clocks start when the kubectl exec returns; the actor is created or killed slightly before
(the driver still disconnects), so a scale-down figure can come out a little below zero.
Run as root: `.venv/bin/python benchmarks/autoscaling_latency.py [--runs 5] [--idle-timeout 20]`.
Prints one JSON object. The seeds show a worker pod ~2 minutes after actor creation (its AGE in
`kubectl get pods`) and removal after idleTimeoutSeconds (60 s by default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config, watch

from kuberay.demo.processes import operator_argv
from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock
from localkube.kubelet.testing import running_cluster

BIN = Path(sys.executable).parent
SAMPLE = Path(__file__).resolve().parents[1] / "config" / "samples" / "ray-cluster.autoscaler.yaml"
CLUSTER = "raycluster-autoscaler"


class PodClock:
    """When each worker pod was first seen Running, marked for deletion, and gone (one watch)."""

    def __init__(self, core: client.CoreV1Api) -> None:
        self.core = core
        self.running: dict[str, float] = {}
        self.deleting: dict[str, float] = {}
        self.gone: dict[str, float] = {}
        self.lock = threading.Lock()
        self._watch = watch.Watch()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        selector = f"ray.io/cluster={CLUSTER},ray.io/node-type=worker"
        while True:
            try:
                for ev in self._watch.stream(
                    self.core.list_namespaced_pod, "default", label_selector=selector
                ):
                    now = time.monotonic()
                    pod = ev["object"]
                    name = pod.metadata.name
                    with self.lock:
                        if ev["type"] == "DELETED":
                            self.gone.setdefault(name, now)
                        elif pod.metadata.deletion_timestamp:
                            self.deleting.setdefault(name, now)
                        elif pod.status.phase == "Running":
                            self.running.setdefault(name, now)
            except Exception:  # a dropped watch is restarted; the benchmark only needs first sightings
                time.sleep(0.2)

    def stop(self) -> None:
        self._watch.stop()

    def first_new(self, table: dict[str, float], after: float) -> tuple[str, float] | None:
        with self.lock:
            found = [(t, n) for n, t in table.items() if t >= after]
        return (min(found)[1], min(found)[0]) if found else None

    def when(self, table: dict[str, float], name: str) -> float | None:
        with self.lock:
            return table.get(name)


def wait(what: str, check: Any, timeout: float = 600, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(interval)
    raise TimeoutError(what)


def kubectl(kubeconfig: Path, *args: str, input: str | None = None) -> str:
    r = subprocess.run(
        [str(BIN / "kubectl"), "--kubeconfig", str(kubeconfig), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {r.stderr}")
    return r.stdout


def actor_state(head_ip: str, name: str) -> str:
    """The actor's state from the dashboard's state API, reached over the pod bridge."""
    query = urllib.parse.urlencode(
        {"filter_keys": "name", "filter_predicates": "=", "filter_values": name, "detail": "false"}
    )
    try:
        with urllib.request.urlopen(f"http://{head_ip}:8265/api/v0/actors?{query}", timeout=5) as resp:
            body = json.load(resp)
    except OSError:
        return ""
    rows = body.get("data", {}).get("result", {}).get("result", [])
    return str(rows[0].get("state", "")) if rows else ""


def one_run(
    kc: Path, clock: PodClock, head_pod: str, head_ip: str, name: str, idle_timeout: int
) -> tuple[float, float, float, float]:
    """One actor up and down: (to pod Running, to actor ALIVE, to pod deleted - idle, to gone - idle)."""
    samples = "/home/ray/samples"
    kubectl(kc, "exec", head_pod, "-c", "ray-head", "--", "python3", f"{samples}/detached_actor.py", name)
    created = time.monotonic()
    pod, running_at = wait("worker Running", lambda: clock.first_new(clock.running, created))
    alive_at = wait(
        "actor ALIVE",
        lambda: time.monotonic() if actor_state(head_ip, name) == "ALIVE" else None,
        interval=0.25,
    )
    kubectl(
        kc,
        "exec",
        head_pod,
        "-c",
        "ray-head",
        "--",
        "python3",
        f"{samples}/terminate_detached_actor.py",
        name,
    )
    ended = time.monotonic()
    deleting_at = wait("worker deleting", lambda: clock.when(clock.deleting, pod))
    gone_at = wait("worker gone", lambda: clock.when(clock.gone, pod))
    return (
        running_at - created,
        alive_at - created,
        deleting_at - ended - idle_timeout,
        gone_at - ended - idle_timeout,
    )


def run(runs: int, idle_timeout: int, workdir: Path) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all(SAMPLE.read_text()) if d]
    for d in docs:
        if d["kind"] == "RayCluster":
            d["spec"]["autoscalerOptions"]["idleTimeoutSeconds"] = idle_timeout
            env = d["spec"]["autoscalerOptions"].get("env") or []
            assert not any(e["name"] == "AUTOSCALER_UPDATE_INTERVAL_S" for e in env)
    data = workdir / "data"
    data.mkdir()
    lock = NodeLock()
    lock.acquire(timeout=3600)
    operator: subprocess.Popen[bytes] | None = None
    try:
        cleanup.remove_everything()
        with running_cluster(data) as cluster:
            kc = cluster.kubeconfig
            crd = subprocess.run(
                [str(BIN / "kuberay"), "crd"], capture_output=True, text=True, check=True
            ).stdout
            kubectl(kc, "apply", "--server-side", "-f", "-", input=crd)
            kubectl(kc, "wait", "--for=condition=Established", "crd/rayclusters.ray.io")
            with (workdir / "operator.log").open("ab") as log:
                operator = subprocess.Popen(
                    operator_argv(kc),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            api = config.new_client_from_config(config_file=str(kc))
            core = client.CoreV1Api(api)
            clock = PodClock(core)
            kubectl(kc, "apply", "-f", "-", input=yaml.safe_dump_all(docs))

            def head_ready() -> Any:
                for p in core.list_namespaced_pod(
                    "default", label_selector=f"ray.io/cluster={CLUSTER},ray.io/node-type=head"
                ).items:
                    if p.status and any(
                        c.type == "Ready" and c.status == "True" for c in p.status.conditions or []
                    ):
                        return p
                return None

            head = wait("head Ready", head_ready, interval=1)
            head_pod, head_ip = head.metadata.name, head.status.pod_ip
            up_running: list[float] = []
            up_alive: list[float] = []
            down_deleting: list[float] = []
            down_gone: list[float] = []
            for i in range(runs):
                timings = one_run(kc, clock, head_pod, head_ip, f"bench{i}", idle_timeout)
                for series, value in zip(
                    (up_running, up_alive, down_deleting, down_gone), timings, strict=True
                ):
                    series.append(value)
                print(
                    f"run {i + 1}/{runs}: pod Running {timings[0]:.1f}s, actor ALIVE {timings[1]:.1f}s, "
                    f"pod deleted idle+{timings[2]:.1f}s, gone idle+{timings[3]:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
            clock.stop()
            api.close()
    finally:
        if operator is not None and operator.poll() is None:
            operator.terminate()
            operator.wait(timeout=30)
        cleanup.remove_everything(data)
        lock.release()

    def summary(values: list[float]) -> dict[str, Any]:
        return {"median_s": round(statistics.median(values), 2), "runs_s": [round(v, 2) for v in values]}

    return {
        "benchmark": "autoscaling_latency",
        "runs": runs,
        "autoscaler_update_interval_s": 5,
        "idle_timeout_seconds": idle_timeout,
        "actor_created_to_worker_pod_running": summary(up_running),
        "actor_created_to_actor_alive": summary(up_alive),
        "actor_terminated_to_pod_deleted_minus_idle_timeout": summary(down_deleting),
        "actor_terminated_to_pod_gone_minus_idle_timeout": summary(down_gone),
        "seeds_for_comparison": {
            "actor_created_to_worker_pod": "about 2 minutes (seed 000, kubectl get pods AGE)",
            "actor_terminated_to_pod_deleted": "idleTimeoutSeconds, 60 by default (seed 000)",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-timeout", type=int, default=20, help="idleTimeoutSeconds of the cluster")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: localkube's node needs network namespaces and mounts")
    with tempfile.TemporaryDirectory(prefix="autoscaling-bench-") as tmp:
        print(json.dumps(run(args.runs, args.idle_timeout, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
