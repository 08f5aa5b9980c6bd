"""RayJob latency on localkube with real Ray, per submission mode (K8sJobMode, HTTPMode, SidecarMode,
InteractiveMode):

- start: seconds from `kubectl apply` of a RayJob (its own head-only RayCluster) to the RayJob's
  `jobStatus: RUNNING`. In InteractiveMode the user submits: the benchmark waits for
  `jobDeploymentStatus: Waiting`, submits through the dashboard's REST API (as `ray job submit`
  does) and sets `spec.jobId`; the time to RUNNING then includes that round trip;
- cleanup: seconds from the RayJob's `jobStatus: SUCCEEDED` to its RayCluster being gone
  (`shutdownAfterJobFinishes: true`, `ttlSecondsAfterFinished: 0`).

Median of N runs per mode (default 5), one RayJob at a time, the README's quickstart RayJob under
`localkube up` and `kuberay operator` (child processes, as the demo runs them). The entrypoint
sleeps 5 s, so RUNNING is seen before the job ends. Times come from one watch on RayJobs and one on
RayClusters. Run as root:
`.venv/bin/python benchmarks/rayjob_latency.py [--runs 5] [--modes HTTPMode,...]`.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config, watch

from kuberay.demo import processes

BIN = Path(sys.executable).parent
QUICKSTART = Path(__file__).resolve().parents[1] / "config" / "rayjob" / "ray-job.quickstart.yaml"
MODES = ("K8sJobMode", "HTTPMode", "SidecarMode", "InteractiveMode")
ENTRYPOINT = "python -c 'import time; time.sleep(5)'"


def manifests(name: str, mode: str) -> str:
    """The README's quickstart RayJob (config/rayjob/ray-job.quickstart.yaml) under another name and
    mode, with a 5 s entrypoint and its cluster deleted as soon as the job is done."""
    docs = list(yaml.safe_load_all(QUICKSTART.read_text()))
    job = next(d for d in docs if d["kind"] == "RayJob")
    job["metadata"]["name"] = name
    job["spec"].update(submissionMode=mode, shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=0)
    if mode == "InteractiveMode":
        job["spec"].pop("entrypoint", None)  # the user submits
    else:
        job["spec"]["entrypoint"] = ENTRYPOINT
    return yaml.safe_dump_all(docs)


class Clock:
    """First sightings: RayJob jobStatus (RUNNING, SUCCEEDED, ...) and jobDeploymentStatus, RayCluster
    DELETED (by name)."""

    def __init__(self, api: client.CustomObjectsApi) -> None:
        self.api = api
        self.seen: dict[tuple[str, str], float] = {}
        self.cluster_of: dict[str, str] = {}
        self.head_ip_of: dict[str, str] = {}
        self.lock = threading.Lock()
        self.watches = [watch.Watch(), watch.Watch()]
        threading.Thread(target=self._run, args=("rayjobs", self.watches[0]), daemon=True).start()
        threading.Thread(target=self._run, args=("rayclusters", self.watches[1]), daemon=True).start()

    def _run(self, plural: str, w: watch.Watch) -> None:
        while True:
            try:
                for ev in w.stream(self.api.list_namespaced_custom_object, "ray.io", "v1", "default", plural):
                    now = time.monotonic()
                    obj = ev["object"]
                    name = obj["metadata"]["name"]
                    with self.lock:
                        if plural == "rayclusters":
                            if ev["type"] == "DELETED":
                                self.seen.setdefault(("gone", name), now)
                            continue
                        st = obj.get("status") or {}
                        if st.get("rayClusterName"):
                            self.cluster_of[name] = st["rayClusterName"]
                        for value in (st.get("jobStatus"), st.get("jobDeploymentStatus")):
                            if value:
                                self.seen.setdefault((value, name), now)
                        head_ip = ((st.get("rayClusterStatus") or {}).get("head") or {}).get("podIP")
                        if head_ip:
                            self.head_ip_of[name] = head_ip
            except Exception:  # a dropped watch restarts; only first sightings matter
                time.sleep(0.2)

    def wait(self, key: tuple[str, str], timeout: float = 600, instead: tuple[str, ...] = ()) -> float:
        """When `key` was first seen; fails at once when one of the `instead` states was seen first
        (e.g. SUCCEEDED without RUNNING: a status the operator skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.seen:
                    return self.seen[key]
                passed = [state for state in instead if (state, key[1]) in self.seen]
            if passed:
                raise RuntimeError(f"{key[1]} reached {passed[0]} without {key[0]}")
            time.sleep(0.05)
        raise TimeoutError(f"{key} not seen in {timeout} s")


def kubectl(kubeconfig: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        [str(BIN / "kubectl"), "--kubeconfig", str(kubeconfig), *args],
        input=input,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def submit(head_ip: str, submission_id: str) -> None:
    """What `ray job submit --no-wait` does: POST the job to the head's dashboard."""
    body = json.dumps({"entrypoint": ENTRYPOINT, "submission_id": submission_id}).encode()
    request = urllib.request.Request(
        f"http://{head_ip}:8265/api/jobs/", body, {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        resp.read()


def measure(kubeconfig: Path, clock: Clock, mode: str, run: int) -> tuple[float, float]:
    name = f"bench-{mode.lower()}-{run}"
    manifest = manifests(name, mode)
    started = time.monotonic()
    kubectl(kubeconfig, "apply", "-f", "-", input=manifest)
    if mode == "InteractiveMode":
        clock.wait(("Waiting", name))
        with clock.lock:
            head_ip = clock.head_ip_of[name]
        submit(head_ip, f"{name}-id")
        kubectl(
            kubeconfig,
            "patch",
            "rayjob",
            name,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"jobId": f"{name}-id"}}),
        )
    running = clock.wait(("RUNNING", name), instead=("SUCCEEDED", "FAILED")) - started
    succeeded = clock.wait(("SUCCEEDED", name))
    with clock.lock:
        cluster = clock.cluster_of[name]
    gone = clock.wait(("gone", cluster)) - succeeded
    kubectl(kubeconfig, "delete", "rayjob", name, "--wait=true")
    return running, gone


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: localkube's pods need network namespaces, mounts and cgroups")
    # a kill (or timeout) must still stop localkube's pods and the operator: run the finally below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="rayjob-bench-"))
    # the demo's way of running `localkube up` and `kuberay operator`, each in its own session
    localkube = processes.localkube(work)
    operator = processes.operator(work / "localkube" / "kubeconfig", work)
    try:
        localkube.start()
        kubeconfig = work / "localkube" / "kubeconfig"
        deadline = time.monotonic() + 120
        while "kubeconfig at" not in localkube.log_tail():
            if not localkube.running() or time.monotonic() > deadline:
                sys.exit(f"localkube up did not come up:\n{localkube.log_tail()}")
            time.sleep(0.2)
        crd = subprocess.run([str(BIN / "kuberay"), "crd"], capture_output=True, text=True, check=True).stdout
        kubectl(kubeconfig, "create", "-f", "-", input=crd)
        operator.start()
        api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(kubeconfig)))
        clock = Clock(api)
        results: dict[str, Any] = {"runs": args.runs}
        for mode in args.modes.split(","):
            samples = [measure(kubeconfig, clock, mode, i) for i in range(args.runs)]
            results[mode] = {
                "apply_to_running_s": round(statistics.median(s[0] for s in samples), 2),
                "succeeded_to_cluster_gone_s": round(statistics.median(s[1] for s in samples), 2),
                "samples": [[round(a, 2), round(b, 2)] for a, b in samples],
            }
            print(json.dumps({mode: results[mode]}), file=sys.stderr, flush=True)
        print(json.dumps(results))
    finally:
        asyncio.run(operator.stop(30))
        asyncio.run(localkube.stop(120))


if __name__ == "__main__":
    main()
