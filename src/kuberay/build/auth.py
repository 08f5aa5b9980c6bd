"""Ray token authentication (spec.authOptions), as KubeRay wires it (pure).

mode `token`: every Ray container (and the autoscaler and wait-gcs-ready containers) gets
RAY_AUTH_MODE=token and RAY_AUTH_TOKEN from a Secret: the user's `secretName`, or one the
operator creates named after the cluster holding a random `auth_token`. With
`enableK8sTokenAuth`, Ray checks Kubernetes service-account tokens instead: a projected token
volume replaces the Secret.
"""

from __future__ import annotations

from typing import Any

from kuberay.build import naming

TOKEN_SECRET_KEY = "auth_token"
TOKEN_VOLUME = "ray-token"
TOKEN_MOUNT_PATH = "/var/run/secrets/ray.io/serviceaccount"


def is_auth_enabled(cluster: dict[str, Any]) -> bool:
    return (cluster["spec"].get("authOptions") or {}).get("mode") == "token"


def is_k8s_auth_enabled(cluster: dict[str, Any]) -> bool:
    return bool((cluster["spec"].get("authOptions") or {}).get("enableK8sTokenAuth"))


def auth_secret_name(cluster: dict[str, Any]) -> str:
    custom = (cluster["spec"].get("authOptions") or {}).get("secretName")
    return str(custom) if custom else naming.check_name(naming.cluster_name(cluster))


def operator_makes_secret(cluster: dict[str, Any]) -> bool:
    """Token auth with neither the user's secretName nor Kubernetes token auth."""
    options = cluster["spec"].get("authOptions") or {}
    return is_auth_enabled(cluster) and not is_k8s_auth_enabled(cluster) and not options.get("secretName")


def build_auth_secret(cluster: dict[str, Any], token: str) -> dict[str, Any] | None:
    """The Secret holding the cluster's Ray auth token, or None when the operator should not create
    one (auth off, the user's own secretName, or Kubernetes token auth). `token` is passed in so
    this stays pure: KubeRay uses 32 random bytes, base64-encoded."""
    if not operator_makes_secret(cluster):
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": auth_secret_name(cluster),
            "namespace": naming.cluster_namespace(cluster),
            "labels": {naming.CLUSTER_LABEL: naming.cluster_name(cluster)},
            "ownerReferences": [naming.owner_reference(cluster)],
        },
        "stringData": {TOKEN_SECRET_KEY: token},
    }


def set_container_auth(cluster: dict[str, Any], container: dict[str, Any]) -> None:
    env = container.setdefault("env", [])
    names = {e.get("name") for e in env}
    if "RAY_AUTH_MODE" not in names:
        env.append({"name": "RAY_AUTH_MODE", "value": "token"})
    if is_k8s_auth_enabled(cluster):
        if "RAY_ENABLE_K8S_TOKEN_AUTH" not in names:
            env.append({"name": "RAY_ENABLE_K8S_TOKEN_AUTH", "value": "true"})
        mounts = container.setdefault("volumeMounts", [])
        if not any(m.get("name") == TOKEN_VOLUME for m in mounts):
            mounts.append({"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT_PATH, "readOnly": True})
    elif "RAY_AUTH_TOKEN" not in names:
        env.append(
            {
                "name": "RAY_AUTH_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": auth_secret_name(cluster), "key": TOKEN_SECRET_KEY}},
            }
        )


def configure_pod_auth(cluster: dict[str, Any], pod_spec: dict[str, Any]) -> None:
    """The Ray container, the token volume when needed, and the wait-gcs-ready init container."""
    set_container_auth(cluster, pod_spec["containers"][0])
    if is_k8s_auth_enabled(cluster):
        volumes = pod_spec.setdefault("volumes", [])
        if not any(v.get("name") == TOKEN_VOLUME for v in volumes):
            volumes.append(
                {"name": TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}
            )
    for init in pod_spec.get("initContainers") or []:
        if init.get("name") == "wait-gcs-ready":
            set_container_auth(cluster, init)
