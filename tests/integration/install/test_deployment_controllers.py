"""localkube's Deployment and ReplicaSet controllers against its API server, driven through the
official client. No kubelet: the test plays it by marking pods Running and Ready. With
`--control-plane kubernetes`, kube-controller-manager's controllers take the same tests."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes
import pytest

from kubeschema.timestamps import now_time
from localkube.apiserver.server import APIServer
from localkube.testing import running_controllers
from support.waiting import wait_for


@pytest.fixture
def controllers(apiserver: APIServer, control_plane: str) -> Iterator[None]:
    if control_plane == "kubernetes":
        yield  # kube-controller-manager runs these controllers: the referee for ours
        return
    with running_controllers(apiserver.url, apiserver.kubeconfig_path):
        yield


def deployment(
    name: str, replicas: int, image: str = "v1", strategy: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "main", "image": image, "command": ["sleep", "1000"]}]},
        },
    }
    if strategy:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


class Cluster:
    def __init__(self, k8s: kubernetes.client.ApiClient) -> None:
        self.apps = kubernetes.client.AppsV1Api(k8s)
        self.core = kubernetes.client.CoreV1Api(k8s)
        self.k8s = k8s

    def pods(self, label: str) -> list[Any]:
        return list(self.core.list_namespaced_pod("default", label_selector=label).items)

    def replicasets(self, label: str) -> list[Any]:
        return list(self.apps.list_namespaced_replica_set("default", label_selector=label).items)

    def deployment(self, name: str) -> Any:
        return self.apps.read_namespaced_deployment(name, "default")

    def play_kubelet(self, label: str, limit: int | None = None) -> int:
        """Mark not-yet-ready pods Running and Ready, as a kubelet would report them."""
        now = now_time()
        marked = 0
        for pod in self.pods(label):
            if pod.metadata.deletion_timestamp or (pod.status and pod.status.phase == "Running"):
                continue
            if limit is not None and marked >= limit:
                break
            body = {
                "status": {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                }
            }
            self.core.patch_namespaced_pod_status(pod.metadata.name, "default", body)
            marked += 1
        return marked


@pytest.fixture
def cluster(k8s: kubernetes.client.ApiClient, controllers: None) -> Cluster:
    return Cluster(k8s)


def test_a_deployment_gets_a_replicaset_and_pods_and_reports_them_available(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("web", 3))
    pods = wait_for("3 pods", lambda: len(cluster.pods("app=web")) == 3 and cluster.pods("app=web"))
    (rs,) = cluster.replicasets("app=web")
    pod_hash = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{pod_hash}"
    owner = rs.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("Deployment", "web", True)
    for pod in pods:
        assert pod.metadata.name.startswith(f"web-{pod_hash}-")
        assert pod.metadata.labels == {"app": "web", "pod-template-hash": pod_hash}
        ref = pod.metadata.owner_references[0]
        assert (ref.kind, ref.name, ref.controller) == ("ReplicaSet", rs.metadata.name, True)
    cluster.play_kubelet("app=web")

    def available() -> Any:
        d = cluster.deployment("web")
        return d.status and d.status.available_replicas == 3 and d

    d = wait_for("deployment available", available)
    assert (d.status.replicas, d.status.ready_replicas, d.status.updated_replicas) == (3, 3, 3)
    assert d.status.observed_generation == d.metadata.generation
    conditions = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conditions["Available"] == ("True", "MinimumReplicasAvailable")
    assert conditions["Progressing"] == ("True", "NewReplicaSetAvailable")
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    events = cluster.core.list_namespaced_event("default").items
    said = {(e.involved_object.kind, e.reason, e.message) for e in events}
    scaled = f"Scaled up replica set {rs.metadata.name} from 0 to 3"
    assert ("Deployment", "ScalingReplicaSet", scaled) in said
    for pod in pods:
        assert ("ReplicaSet", "SuccessfulCreate", f"Created pod: {pod.metadata.name}") in said


def test_scaling_down_and_up_through_the_scale_subresource(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("api", 3))
    wait_for("3 pods", lambda: len(cluster.pods("app=api")) == 3)
    cluster.apps.patch_namespaced_deployment_scale("api", "default", {"spec": {"replicas": 1}})
    wait_for(
        "1 pod", lambda: len([p for p in cluster.pods("app=api") if not p.metadata.deletion_timestamp]) == 1
    )
    cluster.apps.patch_namespaced_deployment_scale("api", "default", {"spec": {"replicas": 4}})
    wait_for("4 pods", lambda: len(cluster.pods("app=api")) == 4)


def test_a_new_template_rolls_out_to_a_new_replicaset(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("roll", 2))
    wait_for("2 pods", lambda: len(cluster.pods("app=roll")) == 2)
    cluster.play_kubelet("app=roll")
    (old,) = cluster.replicasets("app=roll")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "v2"}]}}}}
    cluster.apps.patch_namespaced_deployment("roll", "default", patch)

    def rolled() -> bool:
        cluster.play_kubelet("app=roll", limit=1)
        live = [p for p in cluster.pods("app=roll") if not p.metadata.deletion_timestamp]
        new = [
            p
            for p in live
            if p.metadata.labels["pod-template-hash"] != old.metadata.labels["pod-template-hash"]
        ]
        return len(live) == 2 and len(new) == 2

    wait_for("every pod from the new template", rolled)
    by_name = {rs.metadata.name: rs for rs in cluster.replicasets("app=roll")}
    assert by_name[old.metadata.name].spec.replicas == 0
    (new_rs,) = [rs for name, rs in by_name.items() if name != old.metadata.name]
    assert new_rs.spec.template.spec.containers[0].image == "v2"
    assert new_rs.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    d = wait_for("status", lambda: (d := cluster.deployment("roll")).status.updated_replicas == 2 and d)
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"


def test_a_replicaset_replaces_a_deleted_pod(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("heal", 2))
    pods = wait_for("2 pods", lambda: len(cluster.pods("app=heal")) == 2 and cluster.pods("app=heal"))
    victim = pods[0].metadata.name
    cluster.core.delete_namespaced_pod(victim, "default")

    def replaced() -> bool:
        names = {p.metadata.name for p in cluster.pods("app=heal") if not p.metadata.deletion_timestamp}
        return len(names) == 2 and victim not in names

    wait_for("a replacement pod", replaced)


def test_deleting_the_deployment_removes_its_replicasets_and_pods(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("gone", 2))
    wait_for("2 pods", lambda: len(cluster.pods("app=gone")) == 2)
    cluster.apps.delete_namespaced_deployment("gone", "default", propagation_policy="Foreground")
    wait_for("all gone", lambda: not cluster.replicasets("app=gone") and not cluster.pods("app=gone"))


def test_kubectl_rollout_restart_and_status(
    cluster: Cluster, kubectl: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("ctl", 2))
    wait_for("2 pods", lambda: len(cluster.pods("app=ctl")) == 2)

    def settled() -> bool:
        cluster.play_kubelet("app=ctl")
        return bool(cluster.deployment("ctl").status.available_replicas == 2)

    wait_for("available", settled)
    status = kubectl("rollout", "status", "deployment/ctl", "--timeout=60s")
    assert status.returncode == 0, status.stderr
    assert 'deployment "ctl" successfully rolled out' in status.stdout
    restarted = kubectl("rollout", "restart", "deployment/ctl")
    assert restarted.returncode == 0, restarted.stderr

    def two_replicasets() -> bool:
        cluster.play_kubelet("app=ctl")
        return (
            len(cluster.replicasets("app=ctl")) == 2
            and cluster.deployment("ctl").status.updated_replicas == 2
        )

    wait_for("the restart rolls out a new ReplicaSet", two_replicasets)
    history = kubectl("rollout", "history", "deployment/ctl")
    assert history.returncode == 0, history.stderr
    assert re.search(r"^1\s", history.stdout, re.M) and re.search(r"^2\s", history.stdout, re.M), (
        history.stdout
    )
    # creation timestamps have whole seconds: tell the ReplicaSets apart by their revision
    (first_rs,) = [
        rs
        for rs in cluster.replicasets("app=ctl")
        if rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    ]
    undone = kubectl("rollout", "undo", "deployment/ctl", "--to-revision=1")
    assert undone.returncode == 0, undone.stderr

    def back_on_the_first_template() -> bool:
        cluster.play_kubelet("app=ctl")
        live = [p for p in cluster.pods("app=ctl") if not p.metadata.deletion_timestamp]
        first = first_rs.metadata.labels["pod-template-hash"]
        return len(live) == 2 and all(p.metadata.labels["pod-template-hash"] == first for p in live)

    wait_for("the undo brings the first ReplicaSet back", back_on_the_first_template)

    def revision() -> str:
        annotations = cluster.deployment("ctl").metadata.annotations or {}
        return str(annotations.get("deployment.kubernetes.io/revision"))

    wait_for("the undone template is revision 3", lambda: revision() == "3")
    assert len(cluster.replicasets("app=ctl")) == 2  # no third ReplicaSet: the first one came back


def test_a_recreated_deployment_adopts_the_replicaset_and_pods_it_orphaned(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment("keep", 2))
    pods = wait_for("2 pods", lambda: len(cluster.pods("app=keep")) == 2 and cluster.pods("app=keep"))
    (rs,) = cluster.replicasets("app=keep")
    cluster.apps.delete_namespaced_deployment("keep", "default", propagation_policy="Orphan")
    wait_for(
        "the ReplicaSet is orphaned", lambda: not cluster.replicasets("app=keep")[0].metadata.owner_references
    )
    # kube-apiserver keeps the Deployment (with the orphan finalizer) until the garbage collector
    # has orphaned its dependents and removed the finalizer, a moment after the owner refs go
    wait_for("the Deployment is gone", lambda: not cluster.apps.list_namespaced_deployment("default").items)
    cluster.apps.create_namespaced_deployment("default", deployment("keep", 2))

    def adopted() -> bool:
        (current,) = cluster.replicasets("app=keep")
        refs = current.metadata.owner_references or []
        return bool(refs) and refs[0].kind == "Deployment" and refs[0].controller

    wait_for("the new Deployment adopts the ReplicaSet", adopted)
    (current,) = cluster.replicasets("app=keep")
    assert current.metadata.uid == rs.metadata.uid  # the same ReplicaSet, not a new one
    assert {p.metadata.name for p in cluster.pods("app=keep")} == {p.metadata.name for p in pods}


def replication_controller(name: str, replicas: int) -> dict[str, Any]:
    """A core/v1 ReplicationController: its selector a plain label map."""
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"app": name},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "v1", "command": ["sleep", "1000"]}]},
            },
        },
    }


def test_a_replication_controller_keeps_its_pods_scales_and_takes_them_along_when_deleted(
    cluster: Cluster, kubectl: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    rc = cluster.core.create_namespaced_replication_controller("default", replication_controller("old", 2))
    pods = wait_for("2 pods", lambda: len(cluster.pods("app=old")) == 2 and cluster.pods("app=old"))
    for pod in pods:
        assert pod.metadata.name.startswith("old-")
        ref = pod.metadata.owner_references[0]
        assert (ref.kind, ref.name, ref.uid, ref.controller) == (
            "ReplicationController",
            "old",
            rc.metadata.uid,
            True,
        )
    cluster.play_kubelet("app=old")

    def ready() -> Any:
        now = cluster.core.read_namespaced_replication_controller("old", "default")
        return now.status.ready_replicas == 2 and now

    assert wait_for("2 ready replicas", ready).status.replicas == 2
    scale = cluster.core.read_namespaced_replication_controller_scale("old", "default")
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (2, 2, "app=old")
    cluster.core.patch_namespaced_replication_controller_scale("old", "default", {"spec": {"replicas": 3}})
    wait_for("3 pods", lambda: len(cluster.pods("app=old")) == 3)
    cluster.play_kubelet("app=old")
    wait_for(
        "3 ready replicas",
        lambda: (
            cluster.core.read_namespaced_replication_controller("old", "default").status.ready_replicas == 3
        ),
    )
    shown = kubectl("get", "rc", "old", check=True).stdout.split("\n")
    assert shown[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert shown[1].split()[:4] == ["old", "3", "3", "3"]
    cluster.core.delete_namespaced_replication_controller("old", "default", propagation_policy="Background")
    wait_for("its pods gone", lambda: not cluster.pods("app=old"))
