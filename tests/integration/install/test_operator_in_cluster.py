"""The operator installed into localkube runs as a pod, through the kubelet, with its own service
account token and localkube enforcing RBAC, and reconciles a RayCluster from there.

Needs root (the kubelet's network namespaces); serialized with other node tests by the node lock.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes
import pytest

from kuberay.install import InstallOptions, apply, render
from localkube.apiserver.server import APIServer
from localkube.controllers import run_controllers
from localkube.controlplane.plane import KubernetesControlPlane
from localkube.kubelet import cleanup, ipam
from localkube.kubelet.names import DEFAULT_POD_CIDR
from localkube.kubelet.node import run_node
from localkube.kubelet.nodelock import NodeLock

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    api: kubernetes.client.ApiClient


@pytest.fixture
def cluster(tmp_path: Path, control_plane: str, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """API server with RBAC, one node, and the Deployment/ReplicaSet controllers, as `localkube up`
    (with `--control-plane kubernetes`: the real control plane, the node joined to it)."""
    if os.geteuid() != 0:
        pytest.fail("needs root for network namespaces and mounts")
    real = control_plane == "kubernetes"
    binaries = request.getfixturevalue("kubernetes_binaries") if real else None
    lock = NodeLock()
    lock.acquire()
    data = tmp_path / "data"
    data.mkdir()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="localkube", daemon=True)
    gateway = ipam.gateway(DEFAULT_POD_CIDR)
    server: APIServer | KubernetesControlPlane
    if real:
        server = KubernetesControlPlane(data / "api", binaries=binaries, node_address=gateway)
    else:
        server = APIServer(data / "api", authorization="RBAC", extra_sans=(gateway,))
    tasks: list[Any] = []
    stop: asyncio.Event | None = None
    try:
        cleanup.remove_everything()
        thread.start()
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=300)

        async def make_stop() -> asyncio.Event:
            return asyncio.Event()

        stop = asyncio.run_coroutine_threadsafe(make_stop(), loop).result()
        kubeconfig = server.kubeconfig_path
        node_kubeconfig = (
            server.node_kubeconfig_path if isinstance(server, KubernetesControlPlane) else kubeconfig
        )
        node = run_node(
            server.url,
            node_kubeconfig,
            data,
            stop=stop,
            backoff_base=1.0,
            backoff_max=4.0,
            control_plane_controllers=real,
            serving_tls=server.node_serving_tls() if isinstance(server, KubernetesControlPlane) else None,
        )
        tasks.append(asyncio.run_coroutine_threadsafe(node, loop))
        if not real:  # kube-controller-manager runs these in the real control plane
            tasks.append(
                asyncio.run_coroutine_threadsafe(run_controllers(server.url, kubeconfig, stop), loop)
            )
        api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
        try:
            yield Cluster(kubeconfig, api)
        finally:
            api.close()
    finally:
        try:
            if stop is not None:
                loop.call_soon_threadsafe(stop.set)
            for task in tasks:
                task.result(timeout=120)
            if thread.is_alive():
                asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=120)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
            left = cleanup.leftovers(data)
            cleanup.remove_everything(data)
            lock.release()
        assert left.empty(), f"left behind: {left}"


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f}s: {what} (last: {last!r})")


def raycluster(name: str) -> dict[str, Any]:
    # The head pod is kept unschedulable: its creation is what shows the operator at work, and the
    # test need not start Ray itself.
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name},
        "spec": {
            "headGroupSpec": {
                "rayStartParams": {},
                "template": {
                    "spec": {
                        "nodeSelector": {"no-such-node": "true"},
                        "containers": [{"name": "ray-head", "image": "rayproject/ray:2.60.0"}],
                    }
                },
            }
        },
    }


def head_pods(cluster: Cluster, name: str) -> list[Any]:
    core = kubernetes.client.CoreV1Api(cluster.api)
    return list(
        core.list_namespaced_pod(
            "default", label_selector=f"ray.io/cluster={name},ray.io/node-type=head"
        ).items
    )


def test_the_installed_operator_runs_in_cluster_and_reconciles_within_its_rbac(cluster: Cluster) -> None:
    options = InstallOptions(namespace="ray-system")
    asyncio.run(apply(render(options), str(cluster.kubeconfig)))
    apps = kubernetes.client.AppsV1Api(cluster.api)

    def available() -> Any:
        d = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        return d.status is not None and (d.status.available_replicas or 0) >= 1 and d

    eventually(available, "the operator Deployment is available")
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("first"))
    pods = eventually(lambda: head_pods(cluster, "first"), "the operator creates the head pod")
    assert pods[0].metadata.owner_references[0].name == "first"

    # Take pod creation away from the operator: localkube's RBAC now refuses it, so no head pod.
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.api)
    role = rbac.read_cluster_role("kuberay-operator")
    role.rules = [r for r in role.rules if r.resources != ["pods"]]
    rbac.replace_cluster_role("kuberay-operator", role)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("second"))
    core = kubernetes.client.CoreV1Api(cluster.api)

    def refused() -> Any:
        events = core.list_namespaced_event("default", field_selector="involvedObject.name=second").items
        return [e for e in events if "forbidden" in (e.message or "").lower()]

    eventually(refused, "a Warning event saying the pod creation was forbidden")
    assert not head_pods(cluster, "second")


def test_two_replicas_one_leads_and_deleting_the_leader_pod_hands_over(cluster: Cluster) -> None:
    asyncio.run(apply(render(InstallOptions(namespace="ray-system", replicas=2)), str(cluster.kubeconfig)))
    apps = kubernetes.client.AppsV1Api(cluster.api)
    coord = kubernetes.client.CoordinationV1Api(cluster.api)
    core = kubernetes.client.CoreV1Api(cluster.api)

    def both_available() -> bool:
        d = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        return d.status is not None and d.status.available_replicas == 2

    eventually(both_available, "both replicas available (the standby is ready too)")

    def holder() -> str:
        try:
            lease = coord.read_namespaced_lease("kuberay-operator", "ray-system")
        except kubernetes.client.ApiException:
            return ""
        return lease.spec.holder_identity or ""

    first = eventually(holder, "a leader holds the Lease")
    pods = core.list_namespaced_pod(
        "ray-system", label_selector="app.kubernetes.io/name=kuberay-operator"
    ).items
    # the identity starts with the pod's hostname, which is its name
    (leader_pod,) = [p.metadata.name for p in pods if first.startswith(p.metadata.name + "_")]
    core.delete_namespaced_pod(leader_pod, "ray-system")
    second = eventually(lambda: (h := holder()) and h != first and h, "the standby takes the Lease", 60)
    assert not second.startswith(leader_pod + "_")
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("after"))
    eventually(lambda: head_pods(cluster, "after"), "the new leader reconciles")
    # the ReplicaSet replaced the deleted pod: two replicas again
    eventually(both_available, "a replacement standby")
    assert len(head_pods(cluster, "after")) == 1


KUBECTL = Path(sys.executable).parent / "kubectl"
DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def test_kubectl_create_k_runs_ray_operator_in_ray_system_as_the_seed_shows(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(cluster.kubeconfig)}

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(KUBECTL), *args], capture_output=True, text=True, env=env, timeout=120)

    created = kubectl("create", "-k", str(DEPLOY / "kustomize" / "default"))
    assert created.returncode == 0, created.stderr
    assert "deployment.apps/ray-operator created" in created.stdout

    def ready() -> str:
        out = kubectl("get", "deployments", "-n", "ray-system").stdout
        return out if re.search(r"^ray-operator\s+1/1\s+1\s+1\s", out, re.M) else ""

    eventually(ready, "`kubectl get deployments -n ray-system` shows ray-operator 1/1")
    pods = kubectl("get", "pods", "-n", "ray-system").stdout
    assert re.search(r"^ray-operator-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s", pods, re.M), pods
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("kustomized"))
    eventually(lambda: head_pods(cluster, "kustomized"), "the operator creates the head pod")


def test_helm_install_runs_the_operator(cluster: Cluster) -> None:
    with helm.Config(namespace="ray-system", kubeconfig_path=str(cluster.kubeconfig)) as cfg:
        release = cfg.install(
            str(DEPLOY / "helm" / "kuberay-operator"),
            "kuberay-operator",
            {},
            create_namespace=True,
            timeout=120,
        )
    assert release["status"] == "deployed"
    apps = kubernetes.client.AppsV1Api(cluster.api)

    def available() -> bool:
        d = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        return d.status is not None and (d.status.available_replicas or 0) >= 1

    eventually(available, "the chart's Deployment is available")
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("charted"))
    eventually(lambda: head_pods(cluster, "charted"), "the operator creates the head pod")
