"""The RayService scenario with real Ray Serve on localkube, shared by the e2e test and
benchmarks/rayservice_upgrade.py: config/rayservice/ray-service.fruit.yaml applied, a client pod
sending a steady stream of requests to `<name>-serve-svc`'s ClusterIP, an in-place `user_config`
change, a NewCluster upgrade under that load, and the serving head killed. Every step returns what
it saw; the figures are seconds measured on this machine."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from typing import Any

import yaml

from support.paths import REPO
from support.walkthrough import Kubectl, wait_for

MANIFEST = REPO / "config" / "rayservice" / "ray-service.fruit.yaml"
NAME = "fruit"
CLIENT = "serve-client"
FRUIT_PATH = "/fruit?fruit=mango&amount=2"
PERIOD = 0.1  # the client's request period: ~10 requests a second
# A request fails when it errs or is not answered in this time. 3 s once failed one request of
# 425 in CI while two Ray clusters shared the 2 cores; how slow the slowest answer was is a
# figure of its own (upgrade_slowest).
TIMEOUT = 10

CLIENT_CODE = """\
import json, sys, time, urllib.request
base, path, period, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
while True:
    t = time.time()
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            seen = {"t": t, "ok": r.status == 200, "body": r.read().decode()}
            print(json.dumps({**seen, "dt": time.time() - t}), flush=True)
    except Exception as e:
        print(json.dumps({"t": t, "dt": time.time() - t, "ok": False, "err": str(e)[:200]}), flush=True)
    time.sleep(max(0.0, period - (time.time() - t)))
"""


def manifests() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]


def rayservice_manifest(**spec: Any) -> dict[str, Any]:
    doc = copy.deepcopy(next(d for d in manifests() if d["kind"] == "RayService"))
    doc["spec"].update(spec)
    return doc


def apply(kubectl: Kubectl, *docs: dict[str, Any]) -> None:
    kubectl.ok("apply", "-f", "-", input=yaml.safe_dump_all(list(docs)))


def get(kubectl: Kubectl) -> dict[str, Any]:
    return json.loads(kubectl.ok("get", "rayservice", NAME, "-o", "json"))  # type: ignore[no-any-return]


def status(kubectl: Kubectl) -> dict[str, Any]:
    r = kubectl.run("get", "rayservice", NAME, "-o", "json")
    return (json.loads(r.stdout).get("status") or {}) if r.returncode == 0 else {}


def clusters(kubectl: Kubectl) -> list[str]:
    out = json.loads(kubectl.ok("get", "rayclusters", "-o", "json"))
    return sorted(c["metadata"]["name"] for c in out["items"] if not c["metadata"].get("deletionTimestamp"))


def serve_selector(kubectl: Kubectl) -> str:
    r = kubectl.run("get", "svc", f"{NAME}-serve-svc", "-o", "jsonpath={.spec.selector.ray\\.io/cluster}")
    return r.stdout.strip() if r.returncode == 0 else ""


def requests_seen(kubectl: Kubectl) -> list[dict[str, Any]]:
    out = kubectl.run("logs", CLIENT).stdout
    seen = []
    for line in out.splitlines():
        try:
            seen.append(json.loads(line))
        except ValueError:
            continue
    return seen


def start_client(kubectl: Kubectl, cluster_ip: str) -> None:
    code = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "serve-client"},
        "data": {"client.py": CLIENT_CODE},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": CLIENT},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "client",
                    "image": "python:3.11",
                    "command": [
                        "python3",
                        "/client/client.py",
                        f"http://{cluster_ip}:8000",
                        FRUIT_PATH,
                        str(PERIOD),
                        str(TIMEOUT),
                    ],
                    "volumeMounts": [{"name": "code", "mountPath": "/client"}],
                }
            ],
            "volumes": [{"name": "code", "configMap": {"name": "serve-client"}}],
        },
    }
    apply(kubectl, code, pod)


def cost(seen: dict[str, Any]) -> int | None:
    if not seen.get("ok"):
        return None
    return int(json.loads(seen["body"])["cost"])


@dataclass
class Figures:
    apply_to_ready: float = 0.0
    apply_to_first_request: float = 0.0
    in_place_update: float = 0.0
    upgrade_switch: float = 0.0
    upgrade_requests: int = 0
    upgrade_failed: int = 0
    upgrade_rate: float = 0.0
    upgrade_slowest: float = 0.0
    head_kill_recovery: float = 0.0
    head_kill_failed: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


def wait_status(kubectl: Kubectl, what: str, check: Any, timeout: float = 600) -> Any:
    try:
        return wait_for(what, check, timeout, 1)
    except AssertionError:
        print(kubectl.run("describe", "rayservice", NAME).stdout[-6000:])
        print(kubectl.run("get", "pods", "-o", "wide").stdout)
        raise


def bring_up(kubectl: Kubectl, fig: Figures, deletion_delay: int | None = None) -> str:
    """Apply the manifest (with `deletion_delay`, a shorter rayClusterDeletionDelaySeconds than
    KubeRay's 60); the seconds to Ready and to the client's first answer. Returns the serving
    cluster's name."""
    docs = manifests()
    if deletion_delay is not None:
        next(d for d in docs if d["kind"] == "RayService")["spec"]["rayClusterDeletionDelaySeconds"] = (
            deletion_delay
        )
    start = time.time()
    apply(kubectl, *docs)
    wait_status(
        kubectl, "the RayService to be Ready", lambda: status(kubectl).get("serviceStatus") == "Running"
    )
    fig.apply_to_ready = time.time() - start
    cluster_ip = kubectl.ok("get", "svc", f"{NAME}-serve-svc", "-o", "jsonpath={.spec.clusterIP}").strip()
    start_client(kubectl, cluster_ip)
    first = wait_status(
        kubectl,
        "the client's first answer",
        lambda: next((s for s in requests_seen(kubectl) if s.get("ok")), None),
        300,
    )
    fig.apply_to_first_request = first["t"] - start
    return str(status(kubectl)["activeServiceStatus"]["rayClusterName"])


def in_place(kubectl: Kubectl, fig: Figures, price: int) -> None:
    """A new MangoStand price in serveConfigV2: seconds until the client is answered with it."""
    doc = get(kubectl)
    config = yaml.safe_load(doc["spec"]["serveConfigV2"])
    config["applications"][0]["deployments"][0]["user_config"]["price"] = price
    start = time.time()
    patch = {"spec": {"serveConfigV2": yaml.safe_dump(config, sort_keys=False)}}
    kubectl.ok("patch", "rayservice", NAME, "--type=merge", "-p", json.dumps(patch))
    wanted = price * 2
    seen = wait_status(
        kubectl,
        f"an answer costing {wanted}",
        lambda: next((s for s in requests_seen(kubectl) if s["t"] >= start and cost(s) == wanted), None),
        300,
    )
    fig.in_place_update = seen["t"] - start


def upgrade(kubectl: Kubectl, fig: Figures, old: str) -> str:
    """A worker env var changed: a NewCluster upgrade while the client streams. Returns the new
    serving cluster once the old one is gone."""
    doc = get(kubectl)
    spec = doc["spec"]["rayClusterConfig"]
    env = spec["workerGroupSpecs"][0]["template"]["spec"]["containers"][0].setdefault("env", [])
    env.append({"name": "UPGRADE_ROUND", "value": str(time.time())})
    start = time.time()
    kubectl.ok(
        "patch", "rayservice", NAME, "--type=merge", "-p", json.dumps({"spec": {"rayClusterConfig": spec}})
    )
    new = wait_status(
        kubectl,
        "the serve Service to switch",
        lambda: s if (s := serve_selector(kubectl)) and s != old else None,
        900,
    )
    switched = time.time()
    fig.upgrade_switch = switched - start
    wait_status(kubectl, "the old cluster to be deleted", lambda: old not in clusters(kubectl), 300)
    end = time.time()
    window = [s for s in requests_seen(kubectl) if start <= s["t"] <= end]
    fig.upgrade_requests = len(window)
    fig.upgrade_failed = sum(1 for s in window if not s.get("ok"))
    fig.upgrade_rate = len(window) / (end - start)
    fig.upgrade_slowest = max((s.get("dt", 0.0) for s in window if s.get("ok")), default=0.0)
    # when each failure happened, against the patch and the switch: what to look at if one fails
    fig.notes["upgrade_errors"] = [
        f"{s['t'] - start:.1f} s after the patch ({s['t'] - switched:+.1f} s from the switch): "
        + s.get("err", "")
        for s in window
        if not s.get("ok")
    ][:5]
    return str(new)


def kill_head(kubectl: Kubectl, fig: Figures, cluster: str) -> None:
    """Delete the serving cluster's head pod: seconds until the client is answered again after
    its first failure (0 when no request failed), and how many failed."""
    head = kubectl.ok(
        "get",
        "pods",
        f"--selector=ray.io/node-type=head,ray.io/cluster={cluster}",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ).strip()
    start = time.time()
    kubectl.ok("delete", "pod", head, "--wait=false")

    def recovered() -> float | None:
        after = [s for s in requests_seen(kubectl) if s["t"] >= start]
        failed = [s for s in after if not s.get("ok")]
        if not failed:
            return 0.0 if time.time() - start > 60 and after else None
        again = [s for s in after if s.get("ok") and s["t"] > failed[0]["t"] and s["t"] > failed[-1]["t"]]
        return again[0]["t"] - start if again else None

    fig.head_kill_recovery = wait_status(kubectl, "answers again after the head was killed", recovered, 900)
    fig.head_kill_failed = sum(1 for s in requests_seen(kubectl) if s["t"] >= start and not s.get("ok"))


def tear_down(kubectl: Kubectl) -> None:
    kubectl.run("delete", "pod", CLIENT, "--wait=false")
    kubectl.run("delete", "rayservice", NAME, "--wait=false")
    wait_for("the RayService's clusters to go", lambda: not clusters(kubectl), 300, 2)
