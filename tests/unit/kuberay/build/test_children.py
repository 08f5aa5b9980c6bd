"""Builders of the objects a RayCluster gets besides pods and the head Service: the Serve and
headless worker Services, and the plans for upgradeStrategy Recreate and a lost provisioned head."""

from __future__ import annotations

from typing import Any

import pytest

from kuberay.build import build_head_pod, build_worker_pod, plan_head
from kuberay.build.scaling import plan_recreate
from kuberay.build.service import build_headless_service, build_serve_service


def _pod(built: dict[str, Any], name: str, uid: str) -> dict[str, Any]:
    built["metadata"].update(name=name, uid=uid)
    return built


def test_serve_service_only_with_the_annotation(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    assert build_serve_service(cluster) is None
    cluster["metadata"]["annotations"] = {"ray.io/enable-serve-service": "true"}
    containers = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"]
    containers[0]["ports"] = [
        {"name": "serve", "containerPort": 8000},
        {"name": "serve-grpc", "containerPort": 9000},
        {"name": "dashboard", "containerPort": 8265},
    ]
    svc = build_serve_service(cluster)
    assert svc is not None
    name = cluster["metadata"]["name"]
    assert svc["metadata"]["name"] == f"{name}-serve-svc"
    assert svc["spec"]["ports"] == [{"name": "serve", "port": 8000}, {"name": "serve-grpc", "port": 9000}]
    assert svc["spec"]["selector"] == {"ray.io/cluster": name}
    assert svc["metadata"]["ownerReferences"][0]["controller"] is True


def test_serve_service_without_a_serve_port_is_refused(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    cluster["metadata"]["annotations"] = {"ray.io/enable-serve-service": "true"}
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"name": "dashboard", "containerPort": 8265}
    ]
    with pytest.raises(ValueError, match="port named 'serve'"):
        build_serve_service(cluster)


def test_headless_service_only_for_multi_host_groups(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    assert build_headless_service(cluster) is None
    cluster["spec"]["workerGroupSpecs"][0]["numOfHosts"] = 4
    svc = build_headless_service(cluster)
    assert svc is not None
    assert svc["metadata"]["name"] == "raycluster-kuberay-headless"
    assert svc["spec"]["clusterIP"] == "None"
    # It selects worker pods as the builders label them.
    labels = build_worker_pod(cluster, 0, replica_name="g-abcde", host_index=1)["metadata"]["labels"]
    assert all(labels[k] == v for k, v in svc["spec"]["selector"].items())


def test_recreate_deletes_every_live_pod_once_the_spec_hash_changes(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["upgradeStrategy"] = {"type": "Recreate"}
    pods = [
        _pod(build_head_pod(cluster), "h", "u-h"),
        _pod(build_worker_pod(cluster, 0), "w", "u-w"),
    ]
    assert plan_recreate(cluster, pods) == []
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 5  # scaling is no template change
    assert plan_recreate(cluster, pods) == []

    cluster["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["image"] = "ray:new"
    victims = plan_recreate(cluster, pods)
    assert [(v.name, v.uid, v.is_head) for v in victims] == [("h", "u-h", True), ("w", "u-w", False)]

    # Once they terminate, nothing more is deleted: the next pass builds new pods.
    for pod in pods:
        pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert plan_recreate(cluster, pods) == []
    # Nor is anything recreated without the Recreate strategy.
    cluster["spec"]["upgradeStrategy"] = {"type": "None"}
    for pod in pods:
        del pod["metadata"]["deletionTimestamp"]
    assert plan_recreate(cluster, pods) == []


def test_a_lost_head_stays_gone_once_provisioned_with_the_annotation(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    assert plan_head(cluster, []).create
    cluster["metadata"]["annotations"] = {"ray.io/disable-provisioned-head-restart": "true"}
    assert plan_head(cluster, []).create  # not provisioned yet: the first head is made
    cluster["status"] = {"conditions": [{"type": "RayClusterProvisioned", "status": "True"}]}
    assert not plan_head(cluster, []).create


def test_serve_annotation_without_a_serve_port_is_a_validation_problem(load: Any) -> None:
    from kuberay.api.validation import validate_raycluster

    cluster = load("ray-cluster.complete.yaml")
    cluster["metadata"]["annotations"] = {"ray.io/enable-serve-service": "true"}
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    head["ports"] = [{"name": "dashboard", "containerPort": 8265}]
    assert any("ray.io/enable-serve-service" in p.path for p in validate_raycluster(cluster))
    head["ports"].append({"name": "serve", "containerPort": 8000})
    assert not validate_raycluster(cluster)


def test_gcs_backend_redis_is_used_and_rocksdb_refused(load: Any) -> None:
    from kuberay.api.validation import validate_raycluster

    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["gcsFaultToleranceOptions"] = {"backend": "redis", "redisAddress": "redis:6379"}
    assert not validate_raycluster(cluster)
    env = {e["name"]: e.get("value") for e in build_head_pod(cluster)["spec"]["containers"][0]["env"]}
    assert env["RAY_REDIS_ADDRESS"] == "redis:6379"
    cluster["spec"]["gcsFaultToleranceOptions"]["backend"] = "rocksdb"
    assert [p.path for p in validate_raycluster(cluster)] == ["spec.gcsFaultToleranceOptions.backend"]


def test_external_storage_namespace_from_options_or_the_legacy_annotation(load: Any) -> None:
    def storage_ns(cluster: dict[str, Any]) -> str:
        env = build_head_pod(cluster)["spec"]["containers"][0]["env"]
        return str(next(e["value"] for e in env if e["name"] == "RAY_external_storage_namespace"))

    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "externalStorageNamespace": "shared-gcs",
    }
    assert storage_ns(cluster) == "shared-gcs"
    legacy = load("ray-cluster.sample.yaml")
    legacy["metadata"]["annotations"] = {
        "ray.io/ft-enabled": "true",
        "ray.io/external-storage-namespace": "legacy-gcs",
    }
    assert storage_ns(legacy) == "legacy-gcs"


def test_ingress_options_tls_reaches_the_ingress(load: Any) -> None:
    from kuberay.build import build_head_ingress

    cluster = load("ray-cluster.sample.yaml")
    tls = [{"hosts": ["ray.example"], "secretName": "ray-tls"}]
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    cluster["spec"]["headGroupSpec"]["ingressOptions"] = {"tls": tls}
    ingress = build_head_ingress(cluster)
    assert ingress is not None and ingress["spec"]["tls"] == tls


def test_random_pod_delete_lets_extra_pods_go_under_autoscaling(load: Any) -> None:
    from kuberay.build import plan_workers
    from kuberay.build.naming import options_from_env

    cluster = load("ray-cluster.autoscaler.yaml")
    group = cluster["spec"]["workerGroupSpecs"][0]
    group.update(replicas=1, minReplicas=0, maxReplicas=5)
    pods = [_pod(build_worker_pod(cluster, 0, replica_index=i), f"w{i}", f"u{i}") for i in range(3)]
    # By default only the autoscaler picks victims (through workersToDelete).
    assert plan_workers(cluster, pods).delete == []
    random_delete = options_from_env({"ENABLE_RANDOM_POD_DELETE": "true"}).random_pod_delete
    assert len(plan_workers(cluster, pods, random_pod_delete=random_delete).delete) == 2


def test_ingress_update_only_when_kuberays_fields_differ(load: Any) -> None:
    from kuberay.build import build_head_ingress
    from kuberay.build.ingress import ingress_update

    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    live = build_head_ingress(cluster)
    assert live is not None
    live["metadata"]["resourceVersion"] = "7"
    live["spec"]["ingressClassName"] = "defaulted-by-the-server"
    assert ingress_update(live, build_head_ingress(cluster) or {}) is None

    cluster["spec"]["headGroupSpec"]["ingressOptions"] = {"path": "/ray"}
    updated = ingress_update(live, build_head_ingress(cluster) or {})
    assert updated is not None
    assert updated["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/ray"
    assert updated["spec"]["ingressClassName"] == "defaulted-by-the-server"
    assert updated["metadata"]["resourceVersion"] == "7"  # a replace of what was read
