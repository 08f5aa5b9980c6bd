"""KubeRay's label keys, names and small naming rules (pure).

Naming follows current KubeRay (v1.4+): head pods are `generateName: <cluster>-head-` and worker
pods `generateName: <cluster>-<group>-worker-`. (KubeRay <= 1.1, as in the seed walkthrough, named
workers `<cluster>-worker-<group>-xxxxx`; the group moved before `worker` in later releases.)
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Label keys
CLUSTER_LABEL = "ray.io/cluster"
NODE_TYPE_LABEL = "ray.io/node-type"
GROUP_LABEL = "ray.io/group"
IS_RAY_NODE_LABEL = "ray.io/is-ray-node"
IDENTIFIER_LABEL = "ray.io/identifier"
APP_NAME_LABEL = "app.kubernetes.io/name"
CREATED_BY_LABEL = "app.kubernetes.io/created-by"
REPLICA_INDEX_LABEL = "ray.io/worker-group-replica-index"
REPLICA_NAME_LABEL = "ray.io/worker-group-replica-name"
HOST_INDEX_LABEL = "ray.io/replica-host-index"
ORIGINATED_FROM_CR_NAME_LABEL = "ray.io/originated-from-cr-name"
ORIGINATED_FROM_CRD_LABEL = "ray.io/originated-from-crd"
SERVE_LABEL = "ray.io/serve"
HEADLESS_WORKER_SERVICE_LABEL = "ray.io/headless-worker-svc"
APP_NAME = "kuberay"
COMPONENT_NAME = "kuberay-operator"
HEAD_GROUP_LABEL_VALUE = "headgroup"

# Annotations
OVERWRITE_CMD_ANNOTATION = "ray.io/overwrite-container-cmd"
FT_ENABLED_ANNOTATION = "ray.io/ft-enabled"
EXTERNAL_STORAGE_NS_ANNOTATION = "ray.io/external-storage-namespace"
ENABLE_SERVE_SERVICE_ANNOTATION = "ray.io/enable-serve-service"
# Set by RayJob's sidecar mode: once provisioned, a lost head pod is not recreated.
DISABLE_PROVISIONED_HEAD_RESTART_ANNOTATION = "ray.io/disable-provisioned-head-restart"

# Ports
DEFAULT_GCS_PORT = 6379
DEFAULT_DASHBOARD_PORT = 8265
DEFAULT_CLIENT_PORT = 10001
DEFAULT_METRICS_PORT = 8080
DEFAULT_SERVING_PORT = 8000
DEFAULT_DASHBOARD_AGENT_LISTEN_PORT = 52365

HEAD = "head"
WORKER = "worker"


@dataclass(frozen=True)
class BuildOptions:
    """Operator-wide settings that KubeRay takes from its own environment; defaults are KubeRay's."""

    cluster_domain: str = "cluster.local"
    # KubeRay's KUBERAY_VERSION as reported in RAY_USAGE_STATS_EXTRA_TAGS.
    kuberay_version: str = "nightly"
    enable_init_container_injection: bool = True  # ENABLE_INIT_CONTAINER_INJECTION
    enable_probes_injection: bool = True  # ENABLE_PROBES_INJECTION
    enable_login_shell: bool = False  # ENABLE_LOGIN_SHELL
    # ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE: KubeRay makes the head service headless unless set.
    head_cluster_ip_service: bool = False
    deterministic_head_pod_name: bool = False  # ENABLE_DETERMINISTIC_HEAD_POD_NAME
    # ENABLE_RANDOM_POD_DELETE: with in-tree autoscaling, extra pods are deleted too (without it
    # only the autoscaler picks victims, through workersToDelete).
    random_pod_delete: bool = False


DEFAULT_OPTIONS = BuildOptions()

# KubeRay's operator environment variables -> BuildOptions fields. KubeRay reads the enable-by-
# default ones as "anything but false" and the disable-by-default ones as "true" (any case).
_ENV_ON_UNLESS_FALSE = {
    "ENABLE_INIT_CONTAINER_INJECTION": "enable_init_container_injection",
    "ENABLE_PROBES_INJECTION": "enable_probes_injection",
}
_ENV_OFF_UNLESS_TRUE = {
    "ENABLE_LOGIN_SHELL": "enable_login_shell",
    "ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE": "head_cluster_ip_service",
    "ENABLE_DETERMINISTIC_HEAD_POD_NAME": "deterministic_head_pod_name",
    "ENABLE_RANDOM_POD_DELETE": "random_pod_delete",
}
OPTION_ENV_VARS = ("CLUSTER_DOMAIN", *_ENV_ON_UNLESS_FALSE, *_ENV_OFF_UNLESS_TRUE)


def options_from_env(env: Mapping[str, str]) -> BuildOptions:
    """The BuildOptions a KubeRay operator started with this environment would use."""
    values: dict[str, Any] = {}
    if env.get("CLUSTER_DOMAIN"):
        values["cluster_domain"] = env["CLUSTER_DOMAIN"]
    for var, name in _ENV_ON_UNLESS_FALSE.items():
        values[name] = env.get(var, "").lower() != "false"
    for var, name in _ENV_OFF_UNLESS_TRUE.items():
        values[name] = env.get(var, "").lower() == "true"
    return BuildOptions(**values)


def check_name(s: str) -> str:
    """KubeRay's CheckName: keep the last 50 characters, never start with a digit or punctuation."""
    if len(s) > 50:
        s = s[len(s) - 50 :]
    if s and (s[0].isdigit() or not s[0].isalnum()):
        s = "r" + s[1:]
    return s


def check_label(s: str) -> str:
    """KubeRay's CheckLabel: keep the last 63 characters, never start with punctuation."""
    if len(s) > 63:
        s = s[len(s) - 63 :]
    if s and not s[0].isalnum():
        s = "r" + s[1:]
    return s


def pod_name_prefix(prefix: str, node_type: str, generate: bool = True) -> str:
    """KubeRay's PodName: `<prefix[:50]>-<type>-` (lower case) for generateName."""
    result = (prefix[:50] + "-" + node_type).lower()
    return result + "-" if generate else result


def cluster_name(cluster: dict[str, Any]) -> str:
    return str(cluster["metadata"]["name"])


def cluster_namespace(cluster: dict[str, Any]) -> str:
    return str(cluster["metadata"].get("namespace") or "default")


def head_service_name(cluster: dict[str, Any]) -> str:
    custom = (cluster["spec"]["headGroupSpec"].get("headService") or {}).get("metadata", {}).get("name")
    return str(custom) if custom else f"{cluster_name(cluster)}-head-svc"


def head_fqdn(cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS) -> str:
    return f"{head_service_name(cluster)}.{cluster_namespace(cluster)}.svc.{options.cluster_domain}"


def head_port(cluster: dict[str, Any]) -> str:
    params = cluster["spec"]["headGroupSpec"].get("rayStartParams") or {}
    return str(params.get("port", DEFAULT_GCS_PORT))


def identifier(cluster: dict[str, Any], node_type: str) -> str:
    return check_label(f"{cluster_name(cluster)}-{node_type}")


def autoscaler_service_account_name(cluster: dict[str, Any]) -> str:
    """The head pod's service account when autoscaling: the template's, else the cluster name."""
    template_sa = cluster["spec"]["headGroupSpec"]["template"].get("spec", {}).get("serviceAccountName")
    return check_name(str(template_sa) if template_sa else cluster_name(cluster))


def owner_reference(cluster: dict[str, Any]) -> dict[str, Any]:
    """A controller ownerReference to the RayCluster, so deleting it garbage-collects the child."""
    return {
        "apiVersion": cluster.get("apiVersion", "ray.io/v1"),
        "kind": cluster.get("kind", "RayCluster"),
        "name": cluster_name(cluster),
        "uid": cluster["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_autoscaling_enabled(cluster: dict[str, Any]) -> bool:
    return bool(cluster["spec"].get("enableInTreeAutoscaling"))


def autoscaler_version(cluster: dict[str, Any]) -> str | None:
    """ "v1"/"v2" when autoscalerOptions.version is set explicitly, else None (as KubeRay reads it)."""
    version = (cluster["spec"].get("autoscalerOptions") or {}).get("version")
    return str(version) if version else None


def worker_groups(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return list(cluster["spec"].get("workerGroupSpecs") or [])


def find_group(cluster: dict[str, Any], group: int | str) -> dict[str, Any]:
    groups = worker_groups(cluster)
    if isinstance(group, int):
        return groups[group]
    for spec in groups:
        if spec.get("groupName") == group:
            return spec
    raise KeyError(f"RayCluster {cluster_name(cluster)} has no worker group {group!r}")


UPGRADE_HASH_ANNOTATION = "ray.io/upgrade-strategy-recreate-hash"
KUBERAY_VERSION_ANNOTATION = "ray.io/kuberay-version"


def spec_hash(cluster: dict[str, Any]) -> str:
    """KubeRay's GenerateHashWithoutReplicasAndWorkersToDelete: a hash of the spec that ignores
    what autoscaling and external schedulers change (replicas, min/max, workersToDelete,
    tolerations, schedulingGates) and the upgradeStrategy itself. Our encoding is canonical JSON,
    so the value differs from Go's but is stable across our operator's restarts."""
    spec = copy.deepcopy(cluster.get("spec") or {})
    spec.pop("upgradeStrategy", None)
    head_pod = ((spec.get("headGroupSpec") or {}).get("template") or {}).get("spec") or {}
    head_pod.pop("tolerations", None)
    head_pod.pop("schedulingGates", None)
    for group in spec.get("workerGroupSpecs") or []:
        for key in ("replicas", "minReplicas", "maxReplicas"):
            group.pop(key, None)
        # An absent and an emptied scaleStrategy are the same spec (Go's struct field is never nil).
        strategy = dict(group.get("scaleStrategy") or {})
        strategy.pop("workersToDelete", None)
        group["scaleStrategy"] = strategy
        pod_spec = (group.get("template") or {}).get("spec") or {}
        pod_spec.pop("tolerations", None)
        pod_spec.pop("schedulingGates", None)
    digest = hashlib.sha1(
        json.dumps(spec, sort_keys=True, separators=(",", ":")).encode(), usedforsecurity=False
    )
    return base64.b32hexencode(digest.digest()).decode()
