"""KubeRay's own operator (v1.5.0, the referee from tools/referees/build) and ours, on the same API
server in one run, one after the other (issue 11's figures).

For each N: a fresh `localkube up --no-kubelet`, KubeRay's CRDs; then for each operator, in a
namespace of its own that only it watches:
  - N RayClusters of 1 head and 3 workers created; the benchmark plays the kubelet (every pod
    Running and Ready); seconds from the first create until every cluster is `ready`;
  - API requests per cluster until then, counted by the API server (its /metrics, by client), reads
    (GET, LIST), watches and writes separately, the writes refused with 409 Conflict, and the
    writes by resource: neither operator counts its own;
  - requests during the steady state that follows;
  - resident memory, peak (VmHWM) and at rest (after the steady state); CPU seconds used;
  - a burst: B more clusters with 0 workers, then all patched to 5 workers at once; seconds from the
    first patch until every new pod exists.
The operator is then stopped and its namespace deleted before the other one starts.

Usage: .venv/bin/python benchmarks/vs_kuberay.py [--clusters 50,200,1000] [--steady 60] [--burst 100]
(KubeRay's operator: $KUBERAY_REFEREES_DIR/kuberay-operator, else `tools/referees/build kuberay-operator`.)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes
import yaml

from localkube.testing import running_pod_status
from operator_scale import cluster, start_operator, wait_file

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CRDS = sorted((REPO.parent / "shared" / "kuberay" / "crds").glob("ray.io_*.yaml"))
BENCH_AGENT = "vs-kuberay-bench"
# Clients that are neither operator: this benchmark (its creates, its kubelet) and localkube's own.
NOT_OPERATOR = (BENCH_AGENT, "localkube", "kube-controller-manager", "kube-scheduler", "kube-apiserver")
READS = ("GET", "LIST")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def kuberay_binary() -> Path:
    if os.environ.get("KUBERAY_REFEREES_DIR"):
        return Path(os.environ["KUBERAY_REFEREES_DIR"]) / "kuberay-operator"
    out = subprocess.run(
        [str(REPO / "tools" / "referees" / "build"), "kuberay-operator"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip()) / "kuberay-operator"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


# --- the operator processes ---


def start_kuberay(binary: Path, kubeconfig: Path, namespace: str, log: Path) -> subprocess.Popen[bytes]:
    health = free_port()
    proc = subprocess.Popen(
        [
            str(binary),
            f"--watch-namespace={namespace}",
            "--enable-leader-election=false",
            f"--metrics-addr=127.0.0.1:{free_port()}",
            f"--health-probe-bind-address=127.0.0.1:{health}",
            "--log-stdout-encoder=console",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
    )

    def ready() -> bool:
        if proc.poll() is not None:
            raise SystemExit(f"kuberay-operator exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{health}/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    wait("KubeRay's operator /readyz", ready, 120, 0.2)
    return proc


def start_ours(kubeconfig: Path, namespace: str, log: Path) -> subprocess.Popen[bytes]:
    return start_operator(kubeconfig, log, "--namespace", namespace)[0]


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def proc_status(pid: int, field: str) -> float:
    """VmRSS / VmHWM in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime (fields 14-17 of proc(5); the 3rd after the name is index 0 here)
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


# --- counting on the server ---


_AUDIT_VERBS = {
    "get": "GET",
    "list": "LIST",
    "watch": "WATCH",
    "create": "POST",
    "update": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "deletecollection": "DELETE",
}


# (client, verb, resource, subresource, code)
CountKey = tuple[str, str, str, str, int]
_METRIC = re.compile(
    r'apiserver_request_total\{client="([^"]*)",code="(\d+)",resource="([^"]*)",'
    r'subresource="([^"]*)",verb="(\w+)"\} (\d+)'
)


def server_counts(api: Any, audit_log: Path | None) -> Counter[CountKey]:
    """The API server's request counts by client, verb, resource and answer code: localkube's
    /metrics, or kube-apiserver's audit log (its metrics have no client label)."""
    counts: Counter[CountKey] = Counter()
    if audit_log is not None:
        for line in audit_log.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line still being written
            client = str(event.get("userAgent", "")).split("/")[0]
            ref = event.get("objectRef") or {}
            code = int((event.get("responseStatus") or {}).get("code") or 0)
            verb = _AUDIT_VERBS.get(event.get("verb", ""), "OTHER")
            counts[(client, verb, ref.get("resource", ""), ref.get("subresource", ""), code)] += 1
        return counts
    method, url, headers, body, post = api.param_serialize("GET", "/metrics", auth_settings=["BearerToken"])
    resp = api.call_api(method, url, headers, body, post)
    resp.read()
    for m in _METRIC.finditer(resp.data.decode()):
        client, code, resource, sub, verb, n = m.groups()
        counts[(client, verb, resource, sub, int(code))] += int(n)
    return counts


def operator_requests(before: Counter[CountKey], after: Counter[CountKey]) -> dict[str, Any]:
    """Reads, watches and writes; conflicts (409) among the writes; writes by resource."""
    diff = after - before
    out: dict[str, Any] = {"reads": 0, "watches": 0, "writes": 0, "conflicts": 0}
    by_resource: Counter[str] = Counter()
    for (client, verb, resource, sub, code), n in diff.items():
        if client.startswith(NOT_OPERATOR):
            continue
        key = "reads" if verb in READS else "writes" if verb in WRITES else "watches"
        out[key] += n
        if key == "writes":
            by_resource[f"{verb} {resource}{'/' + sub if sub else ''}{' 409' if code == 409 else ''}"] += n
        if code == 409:
            out["conflicts"] += n
    out["writes_by_resource"] = dict(sorted(by_resource.items()))
    return out


class PollingKubelet(threading.Thread):
    """Plays the kubelet by listing the namespace's ray pods twice a second and marking each new
    one Running and Ready (a watch-driven one stalled against kube-apiserver in a first run)."""

    def __init__(self, api: Any, namespace: str, spacing: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.core = kubernetes.client.CoreV1Api(api)
        self.namespace = namespace
        self.spacing = spacing  # seconds between two pods' status patches
        self.stop = threading.Event()
        self.ip = 2
        self.errors = 0

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                pods = self.core.list_namespaced_pod(self.namespace, label_selector="ray.io/cluster").items
                for pod in pods:
                    if pod.status.phase != "Running" and not pod.metadata.deletion_timestamp:
                        self.ip += 1
                        ip = f"10.244.{self.ip // 250}.{self.ip % 250 + 2}"
                        containers = [(c.name, c.image) for c in pod.spec.containers]
                        self.core.patch_namespaced_pod_status(
                            pod.metadata.name, self.namespace, {"status": running_pod_status(containers, ip)}
                        )
                        if self.spacing:
                            time.sleep(self.spacing)
            except kubernetes.client.ApiException as e:
                self.errors += 1
                print(f"(kubelet: {e.status} {e.reason}; going on)", file=sys.stderr)


# --- one operator's run ---


def burst_cluster(i: int) -> dict[str, Any]:
    c = copy.deepcopy(cluster(i))
    c["metadata"]["name"] = f"burst-{i:04d}"
    c["spec"]["workerGroupSpecs"][0]["replicas"] = 0
    return c


def all_ready(custom: Any, ns: str, names: set[str]) -> bool:
    items = custom.list_namespaced_custom_object("ray.io", "v1", ns, "rayclusters")["items"]
    return sum(
        1 for c in items if c["metadata"]["name"] in names and (c.get("status") or {}).get("state") == "ready"
    ) == len(names)


def measure(
    side: str, n: int, args: argparse.Namespace, api: Any, kubeconfig: Path, work: Path, audit: Path | None
) -> dict[str, Any]:
    ns = f"bench-{side}"
    core = kubernetes.client.CoreV1Api(api)
    custom = kubernetes.client.CustomObjectsApi(api)
    core.create_namespace({"metadata": {"name": ns}})
    # kube-controller-manager makes the namespace's default ServiceAccount; pods are refused until then
    wait(f"{ns}'s default ServiceAccount", lambda: core.list_namespaced_service_account(ns).items, 60)
    log = work / f"{side}-{n}.log"
    proc = (
        start_kuberay(args.kuberay, kubeconfig, ns, log)
        if side == "kuberay"
        else start_ours(kubeconfig, ns, log)
    )
    kubelet = PollingKubelet(api, ns, args.kubelet_spacing)
    kubelet.start()
    result: dict[str, Any] = {}
    try:
        cpu0 = cpu_seconds(proc.pid)
        counts0 = server_counts(api, audit)
        t0 = time.monotonic()
        names = set()
        for i in range(n):
            body = cluster(i)
            names.add(body["metadata"]["name"])
            custom.create_namespaced_custom_object("ray.io", "v1", ns, "rayclusters", body)
        wait(f"{n} clusters ready ({side})", lambda: all_ready(custom, ns, names), 1800)
        result["seconds_until_all_ready"] = round(time.monotonic() - t0, 1)
        result["cpu_seconds_until_ready"] = round(cpu_seconds(proc.pid) - cpu0, 1)
        time.sleep(3)  # the last status writes and events
        counts1 = server_counts(api, audit)
        req = operator_requests(counts0, counts1)
        result["reads_per_cluster"] = round(req["reads"] / n, 2)
        result["writes_per_cluster"] = round(req["writes"] / n, 2)
        result["conflicts_per_cluster"] = round(req["conflicts"] / n, 2)
        result["writes_by_resource"] = req["writes_by_resource"]
        result["watches_opened"] = req["watches"]
        time.sleep(args.steady)
        steady = operator_requests(counts1, server_counts(api, audit))
        result["steady_requests"] = steady["reads"] + steady["writes"] + steady["watches"]
        result["rss_mib_at_rest"] = round(proc_status(proc.pid, "VmRSS"), 1)
        result["rss_mib_peak"] = round(proc_status(proc.pid, "VmHWM"), 1)

        burst = {burst_cluster(i)["metadata"]["name"]: burst_cluster(i) for i in range(args.burst)}
        for body in burst.values():
            custom.create_namespaced_custom_object("ray.io", "v1", ns, "rayclusters", body)
        wait(f"{args.burst} burst clusters ready ({side})", lambda: all_ready(custom, ns, set(burst)), 1800)
        t1 = time.monotonic()
        for name, body in burst.items():
            group = {**body["spec"]["workerGroupSpecs"][0], "replicas": 5}
            custom.patch_namespaced_custom_object(
                "ray.io", "v1", ns, "rayclusters", name, {"spec": {"workerGroupSpecs": [group]}}
            )

        def burst_pods() -> bool:
            pods = core.list_namespaced_pod(ns, label_selector="ray.io/node-type=worker").items
            return (
                sum(1 for p in pods if p.metadata.labels.get("ray.io/cluster", "").startswith("burst-"))
                >= 5 * args.burst
            )

        wait("the burst's pods", burst_pods, 1800, 0.2)
        result["burst_seconds_until_pods_exist"] = round(time.monotonic() - t1, 1)
        result["cpu_seconds_total"] = round(cpu_seconds(proc.pid) - cpu0, 1)
        result["rss_mib_peak"] = round(proc_status(proc.pid, "VmHWM"), 1)
    finally:
        kubelet.stop.set()
        stop(proc)
        core.delete_namespace(ns)
    try:
        wait(
            f"namespace {ns} gone",
            lambda: ns not in {x.metadata.name for x in core.list_namespace().items},
            300,
            1,
        )
    except SystemExit:
        print(f"(namespace {ns} still terminating; going on)", file=sys.stderr)
    return result


def plane_flags(args: argparse.Namespace) -> list[str]:
    if args.control_plane == "kubernetes":
        return ["--control-plane", "kubernetes", "--kubernetes-binaries", str(args.kuberay.parent)]
    return ["--in-memory"]


def run(n: int, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="vs-kuberay-"))
    lk = subprocess.Popen(
        [str(BIN / "localkube"), "up", "--dir", str(work), "--no-kubelet", *plane_flags(args)],
        stdout=subprocess.DEVNULL,
        stderr=(work / "localkube.log").open("wb"),
    )
    audit = work / "logs" / "audit.log" if args.control_plane == "kubernetes" else None
    try:
        kubeconfig = work / "kubeconfig"
        wait_file(kubeconfig, timeout=180)
        api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
        api.user_agent = BENCH_AGENT
        ext = kubernetes.client.ApiextensionsV1Api(api)
        for path in CRDS:
            ext.create_custom_resource_definition(yaml.safe_load(path.read_text()))
        custom = kubernetes.client.CustomObjectsApi(api)

        def served() -> bool:
            try:
                custom.list_namespaced_custom_object("ray.io", "v1", "default", "rayclusters")
                return True
            except kubernetes.client.ApiException:
                return False

        wait("KubeRay's CRDs served", served, 60)
        out: dict[str, Any] = {"clusters": n}
        for side in args.order.split(","):
            out[side] = measure(side, n, args, api, kubeconfig, work, audit)
            print(json.dumps({side: out[side], "clusters": n}), file=sys.stderr)
        return out
    finally:
        stop(lk)
        shutil.rmtree(work, ignore_errors=True)


ROWS = [
    ("seconds until all ready", "seconds_until_all_ready"),
    ("reads per cluster (GET, LIST)", "reads_per_cluster"),
    ("writes per cluster", "writes_per_cluster"),
    ("of which conflicts (409) per cluster", "conflicts_per_cluster"),
    ("watches opened", "watches_opened"),
    ("requests in the steady state", "steady_requests"),
    ("RSS peak, MiB", "rss_mib_peak"),
    ("RSS at rest, MiB", "rss_mib_at_rest"),
    ("CPU seconds until all ready", "cpu_seconds_until_ready"),
    ("CPU seconds, whole run", "cpu_seconds_total"),
    ("burst: seconds until all new pods exist", "burst_seconds_until_pods_exist"),
]


def table(results: list[dict[str, Any]], burst: int, steady: float) -> str:
    lines = ["| N | what | KubeRay v1.5.0 | ours | ours / KubeRay |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        for label, key in ROWS:
            a, b = r.get("kuberay", {}).get(key), r.get("ours", {}).get(key)
            ratio = f"{b / a:.2f}" if isinstance(a, int | float) and isinstance(b, int | float) and a else "-"
            text = label.replace("burst", f"burst of {burst}").replace(
                "steady state", f"{steady:.0f} s steady state"
            )
            lines.append(f"| {r['clusters']} | {text} | {a} | {b} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", default="50,200,1000", help="comma-separated Ns")
    parser.add_argument("--steady", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--order", default="kuberay,ours", help="which operator first")
    parser.add_argument("--kuberay", type=Path, default=None, help="KubeRay's operator binary")
    parser.add_argument(
        "--kubelet-spacing",
        type=float,
        default=0.0,
        help="seconds the benchmark's kubelet waits between two pods' status patches (default 0: "
        "as fast as the API server answers); pods made Ready closer together than an operator's "
        "cache sees its own status write make KubeRay's next write conflict",
    )
    parser.add_argument(
        "--control-plane",
        choices=("localkube", "kubernetes"),
        default="kubernetes",
        help="where both operators run: the real control plane by default, so that requests are "
        "counted by a referee neither operator's authors wrote (kube-apiserver's audit log)",
    )
    args = parser.parse_args()
    args.kuberay = args.kuberay or kuberay_binary()
    results = [run(int(n), args) for n in args.clusters.split(",")]
    print(json.dumps(results, indent=2))
    print(table(results, args.burst, args.steady))
    return 0


if __name__ == "__main__":
    sys.exit(main())
