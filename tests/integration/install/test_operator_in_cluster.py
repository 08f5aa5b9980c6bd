"""The operator installed into localkube runs as a pod, through the kubelet, with its own service
account token and localkube enforcing RBAC, and reconciles a RayCluster from there.

Needs root (the kubelet's network namespaces); serialized with other node tests by the node lock.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import subprocess
import threading
from collections.abc import Iterator
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
from support.paths import DEPLOY, KUBECTL
from support.waiting import wait_for

# The operator runs as a pod on a real node here: minutes on a busy machine, so look less often.
slow_wait_for = functools.partial(wait_for, timeout=120.0, interval=0.5)

pytestmark = pytest.mark.e2e


def operator_pods_seen(cluster: Cluster) -> str:
    """What a failed wait reports: each operator pod's phase, container states and events."""
    core = kubernetes.client.CoreV1Api(cluster.api)
    seen = []
    for pod in core.list_namespaced_pod("ray-system").items:
        states = [(c.name, c.state, c.last_state) for c in (pod.status.container_statuses or [])]
        events = core.list_namespaced_event(
            "ray-system", field_selector=f"involvedObject.name={pod.metadata.name}"
        ).items
        seen.append(f"{pod.metadata.name} {pod.status.phase} {states} {[e.message for e in events][-5:]}")
    return "; ".join(seen) or "no operator pod"


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
        if d.status is not None and (d.status.available_replicas or 0) >= 1:
            return d
        return operator_pods_seen(cluster)

    slow_wait_for("the operator Deployment is available", available, accept=lambda v: not isinstance(v, str))
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("first"))
    pods = slow_wait_for("the operator creates the head pod", lambda: head_pods(cluster, "first"))
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

    slow_wait_for("a Warning event saying the pod creation was forbidden", refused)
    assert not head_pods(cluster, "second")


def test_two_replicas_one_leads_and_deleting_the_leader_pod_hands_over(cluster: Cluster) -> None:
    asyncio.run(apply(render(InstallOptions(namespace="ray-system", replicas=2)), str(cluster.kubeconfig)))
    apps = kubernetes.client.AppsV1Api(cluster.api)
    coord = kubernetes.client.CoordinationV1Api(cluster.api)
    core = kubernetes.client.CoreV1Api(cluster.api)

    def both_available() -> bool:
        d = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        return d.status is not None and d.status.available_replicas == 2

    slow_wait_for("both replicas available (the standby is ready too)", both_available)

    def holder() -> str:
        try:
            lease = coord.read_namespaced_lease("kuberay-operator", "ray-system")
        except kubernetes.client.ApiException:
            return ""
        return lease.spec.holder_identity or ""

    first = slow_wait_for("a leader holds the Lease", holder)
    pods = core.list_namespaced_pod(
        "ray-system", label_selector="app.kubernetes.io/name=kuberay-operator"
    ).items
    # the identity starts with the pod's hostname, which is its name
    (leader_pod,) = [p.metadata.name for p in pods if first.startswith(p.metadata.name + "_")]
    core.delete_namespaced_pod(leader_pod, "ray-system")
    second = slow_wait_for(
        "the standby takes the Lease", lambda: (h := holder()) and h != first and h, timeout=60
    )
    assert not second.startswith(leader_pod + "_")
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("after"))
    slow_wait_for("the new leader reconciles", lambda: head_pods(cluster, "after"))
    # the ReplicaSet replaced the deleted pod: two replicas again
    slow_wait_for("a replacement standby", both_available)
    assert len(head_pods(cluster, "after")) == 1


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

    slow_wait_for("`kubectl get deployments -n ray-system` shows ray-operator 1/1", ready)
    pods = kubectl("get", "pods", "-n", "ray-system").stdout
    assert re.search(r"^ray-operator-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s", pods, re.M), pods
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("kustomized"))
    slow_wait_for("the operator creates the head pod", lambda: head_pods(cluster, "kustomized"))


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

    slow_wait_for("the chart's Deployment is available", available)
    custom = kubernetes.client.CustomObjectsApi(cluster.api)
    custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", raycluster("charted"))
    slow_wait_for("the operator creates the head pod", lambda: head_pods(cluster, "charted"))
