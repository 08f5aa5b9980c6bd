"""KubeRay's names, labels and event reasons for RayServices (pure)."""

from __future__ import annotations

from typing import Any

from kuberay.build.rayjob.names import (
    CREATED_BY_LABEL,
    ORIGINATED_FROM_CRD_LABEL,
    ORIGINATED_FROM_NAME_LABEL,
    generated_name,
    random_suffix,
)

RAYSERVICE_CRD = "RayService"
OPERATOR_NAME = "ray.io/kuberay-operator"  # managedBy value meaning "us"
SERVE_LABEL = "ray.io/serve"  # "true" on pods the serve Service may send requests to
CLUSTER_LABEL = "ray.io/cluster"
NODE_TYPE_LABEL = "ray.io/node-type"
IDENTIFIER_LABEL = "ray.io/identifier"
# The cluster's spec hash (without replicas and workersToDelete) and its number of worker groups,
# as KubeRay annotates the clusters it creates for a RayService.
HASH_ANNOTATION = "ray.io/hash-without-replicas-and-workers-to-delete"
NUM_WORKER_GROUPS_ANNOTATION = "ray.io/num-worker-groups"
KUBERAY_VERSION_ANNOTATION = "ray.io/kuberay-version"
SERVE_PORT_NAME = "serve"
DEFAULT_SERVE_PORT = 8000
DEFAULT_APP_NAME = "default"  # Ray's name for an application given without one

# Event reasons (KubeRay's utils.K8sEventType values).
CREATED_CLUSTER = "CreatedRayCluster"
UPDATED_CLUSTER = "UpdatedRayCluster"
DELETED_CLUSTER = "DeletedRayCluster"
FAILED_CREATE_CLUSTER = "FailedToCreateRayCluster"
FAILED_UPDATE_CLUSTER = "FailedToUpdateRayCluster"
FAILED_DELETE_CLUSTER = "FailedToDeleteRayCluster"
CREATED_SERVICE = "CreatedService"
UPDATED_SERVICE = "UpdatedService"
DELETED_SERVICE = "DeletedService"
FAILED_CREATE_SERVICE = "FailedToCreateService"
FAILED_UPDATE_SERVICE = "FailedToUpdateService"
FAILED_DELETE_SERVICE = "FailedToDeleteService"
UPDATED_SERVE_APPS = "UpdatedServeApplications"
FAILED_UPDATE_SERVE_APPS = "FailedToUpdateServeApplications"
UPDATED_HEAD_SERVE_LABEL = "UpdatedHeadPodServeLabel"
FAILED_UPDATE_HEAD_SERVE_LABEL = "FailedToUpdateHeadPodServeLabel"

__all__ = [
    "CREATED_BY_LABEL",
    "ORIGINATED_FROM_CRD_LABEL",
    "ORIGINATED_FROM_NAME_LABEL",
    "generated_name",
    "random_suffix",
]


def name(service: dict[str, Any]) -> str:
    return str(service["metadata"]["name"])


def namespace(service: dict[str, Any]) -> str:
    return str(service["metadata"].get("namespace") or "default")


def spec(service: dict[str, Any]) -> dict[str, Any]:
    value = service.get("spec")
    return value if isinstance(value, dict) else {}


def status(service: dict[str, Any]) -> dict[str, Any]:
    value = service.get("status")
    return value if isinstance(value, dict) else {}


def head_service_name(service: dict[str, Any]) -> str:
    """KubeRay's GenerateHeadServiceName for a RayService: stable across its clusters."""
    return f"{name(service)}-head-svc"


def serve_service_name(service: dict[str, Any]) -> str:
    """`<name>-serve-svc`, unless the user's serveService names it."""
    user = spec(service).get("serveService") or {}
    return str((user.get("metadata") or {}).get("name") or f"{name(service)}-serve-svc")


def owned_labels(service: dict[str, Any]) -> dict[str, str]:
    return {ORIGINATED_FROM_NAME_LABEL: name(service), ORIGINATED_FROM_CRD_LABEL: RAYSERVICE_CRD}


def belongs_to(obj: dict[str, Any], namespace_: str, service_name: str) -> bool:
    """Whether a RayCluster or Service was made for this RayService (its origin labels)."""
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return (
        (meta.get("namespace") or "default") == namespace_
        and labels.get(ORIGINATED_FROM_CRD_LABEL) == RAYSERVICE_CRD
        and labels.get(ORIGINATED_FROM_NAME_LABEL) == service_name
    )
