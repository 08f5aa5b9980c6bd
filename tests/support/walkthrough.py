"""The walkthrough's world: localkube (API server + node) with our CRD and `kuberay operator`, driven
with the real kubectl exactly as the seed documents type it. Everything started here is stopped
again, also when a test fails, and the test fails if a pod process or namespace is left behind."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock
from localkube.kubelet.testing import running_cluster
from localkube.testing import running_apiserver, running_controllers
from support import waiting
from support.operator import OperatorProcess
from support.paths import KUBECTL, KUBERAY, OUR_SAMPLES

# Ray's autoscaler looks at the cluster every 5 s by default; 1 s keeps the tests short without
# changing what it decides (the variable is read as an integer).
FAST_AUTOSCALER_ENV = [{"name": "AUTOSCALER_UPDATE_INTERVAL_S", "value": "1"}]


# The walkthrough's pace: each poll runs kubectl, a process, so once a second; and an empty list
# is an answer here (only None and False mean "not yet").
wait_for = waiting.paced(timeout=120, interval=1.0, accept=waiting.answered)


class Kubectl:
    """The real kubectl against localkube; `namespace` is added to every call unless given."""

    def __init__(self, kubeconfig: Path, home: Path, namespace: str = "default") -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(kubeconfig)}

    def argv(self, *args: str) -> list[str]:
        return [str(KUBECTL), "--namespace", self.namespace, *args]

    def run(
        self, *args: str, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
        )

    def ok(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        r = self.run(*args, input=input, timeout=timeout)
        assert r.returncode == 0, f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def in_namespace(self, namespace: str) -> Kubectl:
        other = copy.copy(self)
        other.namespace = namespace
        return other


@dataclass
class Stack:
    kubectl: Kubectl
    operator: OperatorProcess
    kubeconfig: Path


def install_crd(kubectl: Kubectl) -> None:
    """`kuberay crd | kubectl apply --server-side -f -`, then wait until it is served."""
    crd = subprocess.run([str(KUBERAY), "crd"], capture_output=True, text=True, check=True, timeout=60).stdout
    kubectl.ok("apply", "--server-side", "-f", "-", input=crd)
    kubectl.ok("wait", "--for=condition=Established", "crd/rayclusters.ray.io", "--timeout=60s")


@contextlib.contextmanager
def operator_on(kubeconfig: Path, workdir: Path) -> Iterator[Stack]:
    kubectl = Kubectl(kubeconfig, workdir / "home")
    install_crd(kubectl)
    operator = OperatorProcess(kubeconfig, workdir / "operator.log")
    try:
        operator.start()
        yield Stack(kubectl, operator, kubeconfig)
    except BaseException:
        print("---- operator log (tail) ----\n" + operator.log()[-6000:])
        raise
    finally:
        operator.stop()


@contextlib.contextmanager
def localkube_with_node(
    workdir: Path, *, controllers: bool = False, kubernetes_binaries: Path | None = None
) -> Iterator[Stack]:
    """API server + node in this process, CRD, operator (with `controllers`, also localkube's
    Deployment/ReplicaSet/Job controllers, as `localkube up` runs them). With `kubernetes_binaries`
    the control plane is the real one (its controller-manager instead of `controllers`) and the node
    joins it. Afterwards nothing of ours remains on the host, or the caller fails."""
    if os.geteuid() != 0:
        raise AssertionError("the walkthrough needs root: network namespaces, mounts, cgroups")
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    lock = NodeLock()
    lock.acquire(timeout=1800)  # another run on this machine finishes first
    try:
        cleanup.remove_everything()
        try:
            with (
                running_cluster(
                    data, backoff_base=1.0, backoff_max=4.0, kubernetes_binaries=kubernetes_binaries
                ) as cluster,
                running_controllers(cluster.url, cluster.kubeconfig)
                if controllers and kubernetes_binaries is None
                else contextlib.nullcontext(),
                operator_on(cluster.kubeconfig, workdir) as stack,
            ):
                yield stack
        finally:
            left = cleanup.leftovers(data)
            cleanup.remove_everything(data)
        assert left.empty(), f"left behind: {left}"
    finally:
        lock.release()


@contextlib.contextmanager
def localkube_api_only(workdir: Path) -> Iterator[Stack]:
    """API server (no node: pods stay Pending), CRD, operator: for checking what the operator makes."""
    with running_apiserver(workdir / "api") as server, operator_on(server.kubeconfig_path, workdir) as stack:
        yield stack


# ---- samples -----------------------------------------------------------------------------------


def load_sample(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((OUR_SAMPLES / name).read_text()) if d]


def raycluster_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "RayCluster")


def quick_autoscaling(docs: list[dict[str, Any]], idle_timeout: int = 10) -> list[dict[str, Any]]:
    """The test's copy of an autoscaling sample: short idle timeout, 1 s autoscaler period."""
    docs = copy.deepcopy(docs)
    options = raycluster_of(docs)["spec"].setdefault("autoscalerOptions", {})
    options["idleTimeoutSeconds"] = idle_timeout
    options["env"] = [*(options.get("env") or []), *FAST_AUTOSCALER_ENV]
    return docs


def apply_docs(kubectl: Kubectl, docs: list[dict[str, Any]]) -> str:
    return kubectl.ok("apply", "-f", "-", input=yaml.safe_dump_all(docs))


# ---- what the walkthrough looks at -------------------------------------------------------------


def pods(kubectl: Kubectl, selector: str) -> list[dict[str, Any]]:
    """Pods matching the selector that are not being deleted."""
    items = yaml.safe_load(kubectl.ok("get", "pods", "-l", selector, "-o", "yaml"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def worker_pods(kubectl: Kubectl, cluster: str) -> list[dict[str, Any]]:
    return pods(kubectl, f"ray.io/cluster={cluster},ray.io/node-type=worker")


def running(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p.get("status", {}).get("phase") == "Running"]


def ready(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pods whose containers are all ready (`1/1 Running`; for Ray: the raylet answers)."""
    out = []
    for p in items:
        conditions = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
        if p.get("status", {}).get("phase") == "Running" and conditions.get("Ready") == "True":
            out.append(p)
    return out


def names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(p["metadata"]["name"] for p in items)


def head_pod_name(kubectl: Kubectl, cluster: str) -> str:
    """As the tutorial exports HEAD_POD: the head pod's name from its labels."""
    out = kubectl.ok(
        "get",
        "pods",
        f"--selector=ray.io/node-type=head,ray.io/cluster={cluster}",
        "-o",
        "custom-columns=POD:metadata.name",
        "--no-headers",
    )
    found = out.split()
    assert len(found) == 1, f"expected one head pod, got {found}"
    return found[0]


def wait_head_ready(kubectl: Kubectl, cluster: str, timeout: float = 300) -> str:
    def ready() -> str | None:
        heads = pods(kubectl, f"ray.io/cluster={cluster},ray.io/node-type=head")
        for p in heads:
            conditions = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
            if conditions.get("Ready") == "True":
                return str(p["metadata"]["name"])
        return None

    return str(wait_for(f"the head pod of {cluster} to be Ready", ready, timeout=timeout, interval=2))


def exec_in_head(kubectl: Kubectl, head: str, *command: str, container: str | None = None) -> str:
    args = ["exec", head]
    if container:
        args += ["-c", container]
    return kubectl.ok(*args, "--", *command, timeout=180)


def actors(kubectl: Kubectl, head: str) -> dict[str, str]:
    """Actor name -> state, from `ray list actors --format json` run in the head pod (the table's
    columns shift where a pending actor has no node yet)."""
    out = exec_in_head(kubectl, head, "ray", "list", "actors", "--format", "json")
    rows = json.loads(out[out.index("[") :])
    return {str(r.get("name", "")): str(r.get("state", "")) for r in rows}


def replicas(kubectl: Kubectl, cluster: str, group: str) -> int:
    spec = yaml.safe_load(kubectl.ok("get", "raycluster", cluster, "-o", "yaml"))["spec"]
    for g in spec["workerGroupSpecs"]:
        if g["groupName"] == group:
            return int(g.get("replicas", 0))
    raise AssertionError(f"no worker group {group}")


SECTIONS = (
    "Active|Idle|Pending|Recent failures|Usage|Total Usage|From request_resources|Demands|Pending Demands"
)
SECTION_RE = re.compile(rf"^({SECTIONS}):\s*$")


def status_sections(text: str) -> dict[str, list[str]]:
    """`ray status` / autoscaler status blocks: section title -> its indented lines."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = SECTION_RE.match(line.strip())
        if m and not line.startswith(" "):
            current = m.group(1)
            sections[current] = []
        elif current and line.startswith(" "):
            sections[current].append(line.strip())
        elif line.strip() and not line.startswith(" "):
            current = None
    return sections
