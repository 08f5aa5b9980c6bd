"""spec.authOptions: Ray token authentication wired into every Ray-speaking container."""

from __future__ import annotations

from typing import Any

from kuberay.build import build_auth_secret, build_head_pod, build_worker_pod

TOKEN_FROM_SECRET = {"secretKeyRef": {"name": "raycluster-autoscaler", "key": "auth_token"}}


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def with_auth(load: Any, **options: Any) -> dict[str, Any]:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["authOptions"] = {"mode": "token", **options}
    return cluster


def test_token_auth_reaches_ray_autoscaler_and_init_containers(load: Any) -> None:
    cluster = with_auth(load)
    head = build_head_pod(cluster)
    for container in head["spec"]["containers"]:  # ray-head and autoscaler
        env = env_of(container)
        assert env["RAY_AUTH_MODE"] == "token"
        assert env["RAY_AUTH_TOKEN"] == TOKEN_FROM_SECRET
    worker = build_worker_pod(cluster, 0)
    assert env_of(worker["spec"]["containers"][0])["RAY_AUTH_TOKEN"] == TOKEN_FROM_SECRET
    assert env_of(worker["spec"]["initContainers"][0])["RAY_AUTH_TOKEN"] == TOKEN_FROM_SECRET


def test_operator_made_secret(load: Any) -> None:
    secret = build_auth_secret(with_auth(load), "c2VjcmV0")
    assert secret is not None
    assert secret["metadata"]["name"] == "raycluster-autoscaler"
    assert secret["stringData"] == {"auth_token": "c2VjcmV0"}
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "RayCluster"
    assert build_auth_secret(load("ray-cluster.autoscaler.yaml"), "x") is None


def test_users_secret_is_referenced_not_created(load: Any) -> None:
    cluster = with_auth(load, secretName="my-token")
    assert build_auth_secret(cluster, "x") is None
    env = env_of(build_head_pod(cluster)["spec"]["containers"][0])
    assert env["RAY_AUTH_TOKEN"] == {"secretKeyRef": {"name": "my-token", "key": "auth_token"}}


def test_kubernetes_token_auth_uses_a_projected_token(load: Any) -> None:
    cluster = with_auth(load, enableK8sTokenAuth=True)
    assert build_auth_secret(cluster, "x") is None
    pod = build_worker_pod(cluster, 0)
    ray = pod["spec"]["containers"][0]
    assert env_of(ray)["RAY_ENABLE_K8S_TOKEN_AUTH"] == "true"
    assert "RAY_AUTH_TOKEN" not in env_of(ray)
    assert {
        "name": "ray-token",
        "mountPath": "/var/run/secrets/ray.io/serviceaccount",
        "readOnly": True,
    } in ray["volumeMounts"]
    assert {
        "name": "ray-token",
        "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]},
    } in pod["spec"]["volumes"]


def test_no_auth_env_without_auth(load: Any) -> None:
    env = env_of(build_head_pod(load("ray-cluster.autoscaler.yaml"))["spec"]["containers"][0])
    assert "RAY_AUTH_MODE" not in env
