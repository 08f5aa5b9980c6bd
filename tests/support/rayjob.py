"""RayJobs on localkube with real Ray: small manifests (a head-only cluster, code from a
ConfigMap, env_vars from runtimeEnvYAML, so nothing needs the network) and what tests read."""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import yaml

from support.walkthrough import Kubectl, wait_for

CODE_CONFIGMAP: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "rayjob-code"},
    "data": {
        # Fails unless runtimeEnvYAML's env_vars reached the job, and Ray really ran a task.
        "job.py": (
            "import os, sys\n"
            "import ray\n"
            "ray.init()\n"
            "@ray.remote\n"
            "def square(x):\n"
            "    return x * x\n"
            "total = sum(ray.get([square.remote(i) for i in range(4)]))\n"
            "greeting = os.environ.get('GREETING')\n"
            "print(f'{greeting}: total={total}')\n"
            "sys.exit(0 if greeting == 'hello' and total == 14 else 1)\n"
        ),
    },
}

HEAD_ONLY: dict[str, Any] = {
    "rayVersion": "2.60.0",
    "headGroupSpec": {
        "rayStartParams": {},
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "ray-head",
                        "image": "rayproject/ray:2.60.0",
                        "ports": [
                            {"containerPort": 6379, "name": "gcs"},
                            {"containerPort": 8265, "name": "dashboard"},
                            {"containerPort": 10001, "name": "client"},
                        ],
                        "resources": {
                            "limits": {"cpu": "1", "memory": "2Gi"},
                            "requests": {"cpu": "500m", "memory": "1Gi"},
                        },
                        "volumeMounts": [{"mountPath": "/home/ray/code", "name": "code"}],
                    }
                ],
                "volumes": [{"name": "code", "configMap": {"name": "rayjob-code"}}],
            }
        },
    },
}


def rayjob(
    name: str, mode: str, entrypoint: str = "python /home/ray/code/job.py", **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submissionMode": mode,
        "rayClusterSpec": copy.deepcopy(HEAD_ONLY),
        "runtimeEnvYAML": "env_vars:\n  GREETING: hello\n",
        **spec,
    }
    if entrypoint:
        body["entrypoint"] = entrypoint
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name}, "spec": body}


def apply(kubectl: Kubectl, *docs: dict[str, Any]) -> None:
    kubectl.ok("apply", "-f", "-", input=yaml.safe_dump_all(list(docs)))


def get_job(kubectl: Kubectl, name: str) -> dict[str, Any] | None:
    r = kubectl.run("get", "rayjob", name, "-o", "json")
    return json.loads(r.stdout) if r.returncode == 0 else None


def status(kubectl: Kubectl, name: str) -> dict[str, Any]:
    job = get_job(kubectl, name)
    return (job or {}).get("status") or {}


def wait_status(kubectl: Kubectl, name: str, deployment: str, timeout: float = 420) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        st = status(kubectl, name)
        return st if st.get("jobDeploymentStatus") == deployment else None

    try:
        return wait_for(f"RayJob {name} to be {deployment}", check, timeout, 2)  # type: ignore[no-any-return]
    except AssertionError:
        print(kubectl.run("describe", "rayjob", name).stdout)
        raise


def cluster_exists(kubectl: Kubectl, name: str) -> bool:
    return kubectl.run("get", "raycluster", name).returncode == 0


def events(kubectl: Kubectl, name: str) -> list[tuple[str, str, str]]:
    out = json.loads(
        kubectl.ok(
            "get",
            "events",
            "--field-selector",
            f"involvedObject.kind=RayJob,involvedObject.name={name}",
            "-o",
            "json",
        )
    )
    return [(e["type"], e["reason"], e["message"]) for e in out["items"]]


def delete_job(kubectl: Kubectl, name: str) -> None:
    kubectl.run("delete", "rayjob", name, "--wait=false")
    wait_for(f"RayJob {name} to go", lambda: get_job(kubectl, name) is None, 120, 1)


@contextlib.contextmanager
def watched_job_statuses(kubectl: Kubectl, name: str) -> Iterator[list[str]]:
    """Every jobStatus the RayJob shows while the block runs, in order, as `kubectl get --watch`
    sees them (a status that lasted only between two of the operator's polls would be missing)."""
    seen: list[str] = []
    proc = subprocess.Popen(
        kubectl.argv("get", "rayjob", name, "--watch", "-o", 'jsonpath={.status.jobStatus}{"\\n"}'),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=kubectl.env,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() and (not seen or seen[-1] != line.strip()):
                seen.append(line.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield seen
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=10)
