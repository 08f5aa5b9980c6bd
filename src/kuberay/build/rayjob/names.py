"""KubeRay's names, labels, event reasons and defaults for RayJobs (pure)."""

from __future__ import annotations

import secrets
from typing import Any

# Labels KubeRay puts on what a RayJob creates.
ORIGINATED_FROM_NAME_LABEL = "ray.io/originated-from-cr-name"
ORIGINATED_FROM_CRD_LABEL = "ray.io/originated-from-crd"
SUBMISSION_MODE_LABEL = "ray.io/job-submission-mode"
CREATED_BY_LABEL = "app.kubernetes.io/created-by"
COMPONENT_NAME = "kuberay-operator"
RAYJOB_CRD = "RayJob"
CLUSTER_SELECTOR_KEY = "ray.io/cluster"
DISABLE_HEAD_RESTART_ANNOTATION = "ray.io/disable-provisioned-head-restart"

FINALIZER = "ray.io/rayjob-finalizer"
SUBMITTER_CONTAINER = "ray-job-submitter"
OPERATOR_NAME = "ray.io/kuberay-operator"  # managedBy value meaning "us"

DEFAULT_SUBMITTER_BACKOFF_LIMIT = 2
DEFAULT_DASHBOARD_PORT = 8265
DASHBOARD_PORT_NAME = "dashboard"
# Seconds a submitter may have finished while the Ray job is still not final.
SUBMITTER_FINISHED_TIMEOUT = 30.0
# RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS and RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS
TRANSITION_GRACE_PERIOD = 300.0
STATUS_CHECK_TIMEOUT = 300.0
MAX_RAYJOB_NAME_LENGTH = 47  # a RayCluster name (53 at most) minus the 6 characters of "-xxxxx"

# Event reasons (KubeRay's utils.K8sEventType values).
INVALID_SPEC = "InvalidRayJobSpec"
INVALID_METADATA = "InvalidRayJobMetadata"
INVALID_STATUS = "InvalidRayJobStatus"
CREATED_SUBMITTER = "CreatedRayJobSubmitter"
DELETED_SUBMITTER = "DeletedRayJobSubmitter"
FAILED_CREATE_SUBMITTER = "FailedToCreateRayJobSubmitter"
FAILED_DELETE_SUBMITTER = "FailedToDeleteRayJobSubmitter"
CREATED_CLUSTER = "CreatedRayCluster"
UPDATED_CLUSTER = "UpdatedRayCluster"
DELETED_CLUSTER = "DeletedRayCluster"
FAILED_CREATE_CLUSTER = "FailedToCreateRayCluster"
FAILED_DELETE_CLUSTER = "FailedToDeleteRayCluster"
FAILED_UPDATE_CLUSTER = "FailedToUpdateRayCluster"
CLUSTER_NOT_FOUND = "RayClusterNotFound"
CREATED_SERVICE = "CreatedService"
FAILED_CREATE_SERVICE = "FailedToCreateService"

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery rand.String's letters


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def generated_name(rayjob_name: str, suffix: str) -> str:
    """KubeRay's GenerateRayClusterName and GenerateRayJobId: `<rayjob>-<5 random letters>`."""
    return f"{rayjob_name}-{suffix}"


def name(job: dict[str, Any]) -> str:
    return str(job["metadata"]["name"])


def namespace(job: dict[str, Any]) -> str:
    return str(job["metadata"].get("namespace") or "default")


def spec(job: dict[str, Any]) -> dict[str, Any]:
    value = job.get("spec")
    return value if isinstance(value, dict) else {}


def status(job: dict[str, Any]) -> dict[str, Any]:
    value = job.get("status")
    return value if isinstance(value, dict) else {}


def mode(job: dict[str, Any]) -> str:
    return str(spec(job).get("submissionMode") or "K8sJobMode")


def uses_selector(job: dict[str, Any]) -> bool:
    return bool(spec(job).get("clusterSelector"))


def has_submitter(job: dict[str, Any]) -> bool:
    return mode(job) in ("K8sJobMode", "SidecarMode")


def head_service_name(job: dict[str, Any]) -> str:
    """The extra head Service KubeRay makes for a RayJob: `<rayjob>-head-svc`, stable across retries."""
    return f"{name(job)}-head-svc"


def owned_labels(job: dict[str, Any]) -> dict[str, str]:
    return {
        ORIGINATED_FROM_NAME_LABEL: name(job),
        ORIGINATED_FROM_CRD_LABEL: RAYJOB_CRD,
        CREATED_BY_LABEL: COMPONENT_NAME,
    }
