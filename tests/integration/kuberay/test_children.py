"""The RayCluster fields that make the operator create or replace objects besides the head Service
and the pods: token auth's Secret, the dashboard Ingress, the multi-host headless Service, the
Serve Service, upgradeStrategy Recreate and ray.io/disable-provisioned-head-restart."""

from __future__ import annotations

import base64
import time
from typing import Any

import kubernetes

from support.kuberay import Kube, sample_cluster
from support.operator import OperatorProcess
from support.waiting import wait_for

NAME = "raycluster-kuberay"


def _not_found(read: Any) -> bool:
    try:
        read()
    except kubernetes.client.ApiException as err:
        return err.status == 404
    return False


def _owned_by_cluster(obj: Any, kube: Kube) -> bool:
    uid = kube.cluster(NAME)["metadata"]["uid"]
    refs = obj.metadata.owner_references or []
    return any(r.kind == "RayCluster" and r.uid == uid and r.controller for r in refs)


def test_token_auth_without_secret_name_creates_the_secret_the_pods_read(
    operator: OperatorProcess, kube: Kube
) -> None:
    kube.create(sample_cluster(replicas=1, authOptions={"mode": "token"}, enableInTreeAutoscaling=True))
    secret = wait_for(
        "the auth Secret",
        lambda: (
            None
            if _not_found(lambda: kube.core.read_namespaced_secret(NAME, "default"))
            else kube.core.read_namespaced_secret(NAME, "default")
        ),
    )
    token = base64.b64decode(secret.data["auth_token"])
    assert len(base64.b64decode(token)) == 32  # KubeRay: 32 random bytes, base64-encoded
    assert secret.metadata.labels == {"ray.io/cluster": NAME}
    assert _owned_by_cluster(secret, kube)

    wait_for("head and worker", lambda: len(kube.pods(NAME)) == 2)
    for pod in kube.pods(NAME):
        containers = [*pod.spec.containers, *(pod.spec.init_containers or [])]
        for container in containers:
            env = {e.name: e for e in container.env or []}
            assert env["RAY_AUTH_MODE"].value == "token", container.name
            ref = env["RAY_AUTH_TOKEN"].value_from.secret_key_ref
            assert (ref.name, ref.key) == (NAME, "auth_token"), container.name
    head = kube.pods(NAME, "head")[0]
    assert "autoscaler" in {c.name for c in head.spec.containers}

    # The token stays what it was: the Secret is created once, never rewritten.
    time.sleep(1.5)
    assert kube.core.read_namespaced_secret(NAME, "default").data == secret.data


def test_token_auth_with_the_users_secret_creates_none(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=0, authOptions={"mode": "token", "secretName": "mine"}))
    wait_for("the head", lambda: len(kube.pods(NAME, "head")) == 1)
    env = {e.name: e for e in kube.pods(NAME, "head")[0].spec.containers[0].env}
    assert env["RAY_AUTH_TOKEN"].value_from.secret_key_ref.name == "mine"
    assert _not_found(lambda: kube.core.read_namespaced_secret(NAME, "default"))


def test_enable_ingress_creates_the_dashboard_ingress(operator: OperatorProcess, kube: Kube) -> None:
    cluster = sample_cluster(replicas=0)
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    cluster["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "nginx", "team": "ml"}
    kube.create(cluster)
    networking = kubernetes.client.NetworkingV1Api(kube.core.api_client)
    read = lambda: networking.read_namespaced_ingress(f"{NAME}-head-ingress", "default")  # noqa: E731
    wait_for("the head Ingress", lambda: not _not_found(read))
    ingress = read()
    assert ingress.spec.ingress_class_name == "nginx"
    assert ingress.metadata.annotations == {"team": "ml"}
    backend = ingress.spec.rules[0].http.paths[0].backend.service
    assert (backend.name, backend.port.number) == (f"{NAME}-head-svc", 8265)
    assert ingress.metadata.labels["ray.io/cluster"] == NAME
    assert _owned_by_cluster(ingress, kube)

    # A later change of ingressOptions updates it, once.
    kube.patch_cluster(NAME, {"spec": {"headGroupSpec": {"ingressOptions": {"path": "/ray"}}}})
    wait_for("the new path", lambda: read().spec.rules[0].http.paths[0].path == "/ray")
    version = read().metadata.resource_version
    time.sleep(2)
    assert read().metadata.resource_version == version
    assert "UpdatedIngress" in {e.reason for e in kube.events(NAME)}


def test_an_ingress_of_someone_else_is_left_alone(operator: OperatorProcess, kube: Kube) -> None:
    networking = kubernetes.client.NetworkingV1Api(kube.core.api_client)
    theirs = {
        "metadata": {"name": f"{NAME}-head-ingress", "labels": {"ray.io/cluster": NAME}},
        "spec": {"defaultBackend": {"service": {"name": "theirs", "port": {"number": 80}}}},
    }
    networking.create_namespaced_ingress("default", theirs)
    cluster = sample_cluster(replicas=0)
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    kube.create(cluster)
    wait_for(
        "the warning",
        lambda: "FailedToCreateIngress" in {e.reason for e in kube.events(NAME)},
    )
    ingress = networking.read_namespaced_ingress(f"{NAME}-head-ingress", "default")
    assert ingress.spec.default_backend.service.name == "theirs"


def test_multi_host_group_gets_the_headless_worker_service(operator: OperatorProcess, kube: Kube) -> None:
    cluster = sample_cluster(replicas=1)
    cluster["spec"]["workerGroupSpecs"][0]["numOfHosts"] = 2
    kube.create(cluster)
    read = lambda: kube.core.read_namespaced_service(f"{NAME}-headless", "default")  # noqa: E731
    wait_for("the headless worker Service", lambda: not _not_found(read))
    svc = read()
    assert svc.spec.cluster_ip == "None"
    assert svc.spec.publish_not_ready_addresses is True
    assert svc.spec.selector == {"ray.io/cluster": NAME, "ray.io/node-type": "worker"}
    assert svc.metadata.labels == {"ray.io/headless-worker-svc": NAME}
    assert _owned_by_cluster(svc, kube)
    wait_for("both hosts of the replica", lambda: len(kube.pods(NAME, "worker")) == 2)


def test_single_host_groups_get_no_headless_service(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("pods", lambda: len(kube.pods(NAME)) == 2)
    assert _not_found(lambda: kube.core.read_namespaced_service(f"{NAME}-headless", "default"))
    assert _not_found(lambda: kube.core.read_namespaced_service(f"{NAME}-serve-svc", "default"))


def test_enable_serve_service_annotation_creates_the_serve_service(
    operator: OperatorProcess, kube: Kube
) -> None:
    cluster = sample_cluster(replicas=0)
    cluster["metadata"]["annotations"] = {"ray.io/enable-serve-service": "true"}
    ports = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0].setdefault("ports", [])
    ports.append({"name": "serve", "containerPort": 8000})
    kube.create(cluster)
    read = lambda: kube.core.read_namespaced_service(f"{NAME}-serve-svc", "default")  # noqa: E731
    wait_for("the Serve Service", lambda: not _not_found(read))
    svc = read()
    assert [(p.name, p.port) for p in svc.spec.ports] == [("serve", 8000)]
    assert svc.spec.selector == {"ray.io/cluster": NAME}
    assert svc.metadata.labels == {
        "ray.io/originated-from-cr-name": NAME,
        "ray.io/originated-from-crd": "RayCluster",
        "ray.io/serve": f"{NAME}-serve",
    }
    assert _owned_by_cluster(svc, kube)


def test_recreate_replaces_every_pod_once_when_a_template_changes(
    operator: OperatorProcess, kube: Kube
) -> None:
    kube.create(sample_cluster(replicas=2, upgradeStrategy={"type": "Recreate"}))
    wait_for("head and 2 workers", lambda: len(kube.pods(NAME)) == 3)
    kube.run_all(NAME)
    wait_for("ready", lambda: kube.cluster(NAME).get("status", {}).get("state") == "ready")
    old = {p.metadata.name for p in kube.pods(NAME)}

    # Scaling is not a template change: nothing is recreated.
    group: dict[str, Any] = kube.cluster(NAME)["spec"]["workerGroupSpecs"][0]
    kube.patch_cluster(NAME, {"spec": {"workerGroupSpecs": [{**group, "replicas": 3}]}})
    wait_for("a third worker", lambda: len(kube.pods(NAME, "worker")) == 3)
    assert old <= {p.metadata.name for p in kube.pods(NAME)}
    old = {p.metadata.name for p in kube.pods(NAME)}

    group = kube.cluster(NAME)["spec"]["workerGroupSpecs"][0]
    container = group["template"]["spec"]["containers"][0]
    container["env"] = [*(container.get("env") or []), {"name": "NEW_SETTING", "value": "1"}]
    kube.patch_cluster(NAME, {"spec": {"workerGroupSpecs": [group]}})

    def replaced() -> set[str] | None:
        now = {p.metadata.name for p in kube.pods(NAME, live_only=False)}
        return now if len(now) == 4 and not (now & old) else None

    new = wait_for("every pod replaced", replaced)
    for pod in kube.pods(NAME, "worker"):
        assert ("NEW_SETTING", "1") in [(e.name, e.value) for e in pod.spec.containers[0].env]
    kube.run_all(NAME)
    wait_for("ready again", lambda: kube.cluster(NAME).get("status", {}).get("state") == "ready")
    time.sleep(2)
    assert {p.metadata.name for p in kube.pods(NAME, live_only=False)} == new  # replaced once, no loop
    reasons = [e.reason for e in kube.events(NAME)]
    assert reasons.count("DeletedPod") == 1


def test_without_recreate_a_template_change_leaves_pods_alone(operator: OperatorProcess, kube: Kube) -> None:
    kube.create(sample_cluster(replicas=1))
    wait_for("pods", lambda: len(kube.pods(NAME)) == 2)
    old = {p.metadata.name for p in kube.pods(NAME)}
    group = kube.cluster(NAME)["spec"]["workerGroupSpecs"][0]
    group["template"]["spec"]["containers"][0]["env"] = [{"name": "NEW_SETTING", "value": "1"}]
    kube.patch_cluster(NAME, {"spec": {"workerGroupSpecs": [group]}})
    time.sleep(2)
    assert {p.metadata.name for p in kube.pods(NAME)} == old


def test_disable_provisioned_head_restart_keeps_a_lost_head_gone(
    operator: OperatorProcess, kube: Kube
) -> None:
    cluster = sample_cluster(replicas=1)
    cluster["metadata"]["annotations"] = {"ray.io/disable-provisioned-head-restart": "true"}
    kube.create(cluster)
    wait_for("pods", lambda: len(kube.pods(NAME)) == 2)
    kube.run_all(NAME)
    wait_for("provisioned", lambda: kube.cluster(NAME).get("status", {}).get("state") == "ready")
    head = kube.pods(NAME, "head")[0].metadata.name
    kube.core.delete_namespaced_pod(head, "default", grace_period_seconds=0)
    wait_for("the head gone", lambda: not kube.pods(NAME, "head", live_only=False))
    time.sleep(2)
    assert not kube.pods(NAME, "head", live_only=False)
    assert len(kube.pods(NAME, "worker")) == 1
