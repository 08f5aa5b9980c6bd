"""Typed model of KubeRay's `ray.io/v1` RayJob (spec and status).

Field names, shapes and defaults follow KubeRay's `apis/ray/v1/rayjob_types.go`. The embedded
cluster spec is the RayCluster model itself (`RayClusterSpec`), so both CRDs stay one schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from kuberay.api.types import Int32, PodTemplateSpec, RayClusterSpec, RayClusterStatus, Time, _Model

RAYJOB_KIND = "RayJob"

# JobStatus: Ray's own job states; "" means "not known yet".
JOB_STATUSES = ("", "PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED")
TERMINAL_JOB_STATUSES = ("STOPPED", "SUCCEEDED", "FAILED")
# JobDeploymentStatus: the operator's state machine over the cluster and the submission.
DEPLOYMENT_STATUSES = (
    "",
    "Initializing",
    "Running",
    "Complete",
    "Failed",
    "ValidationFailed",
    "Suspending",
    "Suspended",
    "Retrying",
    "Waiting",
)
SUBMISSION_MODES = ("K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode")
DeletionPolicyType = Literal["DeleteCluster", "DeleteWorkers", "DeleteSelf", "DeleteNone"]


def _cel(rule: str, message: str) -> dict[str, Any]:
    return {"rule": rule, "message": message}


def managed_by_field() -> Any:
    """`spec.managedBy` of RayJob and RayService: immutable, and only KubeRay's or MultiKueue's."""
    return Field(
        default=None,
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel("self == oldSelf", "the managedBy field is immutable"),
                _cel(
                    "self in ['ray.io/kuberay-operator', 'kueue.x-k8s.io/multikueue']",
                    "the managedBy field value must be either 'ray.io/kuberay-operator' or "
                    "'kueue.x-k8s.io/multikueue'",
                ),
            ]
        },
    )


class DeletionCondition(_Model):
    job_status: Literal["SUCCEEDED", "FAILED"] | None = None
    job_deployment_status: Literal["Failed"] | None = None
    ttl_seconds: Annotated[int, Field(ge=0, json_schema_extra={"format": "int32"})] | None = Field(
        default=None, alias="ttlSeconds", json_schema_extra={"default": 0}
    )


class DeletionRule(_Model):
    policy: DeletionPolicyType
    condition: Annotated[
        DeletionCondition,
        Field(
            json_schema_extra={
                "x-kubernetes-validations": [
                    _cel(
                        "!(has(self.jobStatus) && has(self.jobDeploymentStatus))",
                        "JobStatus and JobDeploymentStatus cannot be used together within the same "
                        "deletion condition.",
                    ),
                    _cel(
                        "has(self.jobStatus) || has(self.jobDeploymentStatus)",
                        "the deletion condition requires either the JobStatus or the "
                        "JobDeploymentStatus field.",
                    ),
                ]
            }
        ),
    ]


class DeletionPolicy(_Model):
    policy: DeletionPolicyType | None = None


class DeletionStrategy(_Model):
    on_success: DeletionPolicy | None = None
    on_failure: DeletionPolicy | None = None
    deletion_rules: list[DeletionRule] | None = Field(
        default=None, min_length=1, json_schema_extra={"x-kubernetes-list-type": "atomic"}
    )


class SubmitterConfig(_Model):
    backoff_limit: Int32 | None = None


class RayJobStatusInfo(_Model):
    start_time: Time | None = None
    end_time: Time | None = None


class RayJobSpec(_Model):
    active_deadline_seconds: Int32 | None = None
    backoff_limit: Int32 | None = Field(default=None, json_schema_extra={"default": 0})
    ray_cluster_spec: RayClusterSpec | None = None
    submitter_pod_template: PodTemplateSpec | None = None
    metadata: dict[str, str] | None = None
    cluster_selector: dict[str, str] | None = None
    submitter_config: SubmitterConfig | None = None
    managed_by: str | None = managed_by_field()
    deletion_strategy: DeletionStrategy | None = Field(
        default=None,
        json_schema_extra={
            "x-kubernetes-validations": [
                _cel(
                    "!((has(self.onSuccess) || has(self.onFailure)) && has(self.deletionRules))",
                    "legacy policies (onSuccess/onFailure) and deletionRules cannot be used together "
                    "within the same deletionStrategy",
                ),
                _cel(
                    "((has(self.onSuccess) && has(self.onFailure)) || has(self.deletionRules))",
                    "deletionStrategy requires either BOTH onSuccess and onFailure, OR the deletionRules "
                    "field (cannot be empty)",
                ),
            ]
        },
    )
    entrypoint: str | None = None
    runtime_env_yaml: str | None = Field(default=None, alias="runtimeEnvYAML")
    job_id: str | None = None
    # Free string with a default, as KubeRay's CRD: an unknown mode is reported by the controller
    # (Warning event + ValidationFailed) rather than refused at admission.
    submission_mode: str | None = Field(default=None, json_schema_extra={"default": "K8sJobMode"})
    entrypoint_resources: str | None = None
    entrypoint_num_cpus: float | None = None
    entrypoint_num_gpus: float | None = None
    ttl_seconds_after_finished: Int32 | None = Field(
        default=None, alias="ttlSecondsAfterFinished", json_schema_extra={"default": 0}
    )
    pre_running_deadline_seconds: (
        Annotated[int, Field(ge=1, json_schema_extra={"format": "int32"})] | None
    ) = None
    shutdown_after_job_finishes: bool | None = None
    suspend: bool | None = None


class RayJobStatus(_Model):
    ray_job_info: RayJobStatusInfo | None = Field(default=None, alias="rayJobInfo")
    job_id: str | None = None
    ray_cluster_name: str | None = None
    dashboard_url: str | None = Field(default=None, alias="dashboardURL")
    job_status: str | None = None
    job_deployment_status: str | None = None
    reason: str | None = None
    message: str | None = None
    start_time: Time | None = None
    end_time: Time | None = None
    succeeded: Int32 | None = Field(default=None, json_schema_extra={"default": 0})
    failed: Int32 | None = Field(default=None, json_schema_extra={"default": 0})
    ray_cluster_status: RayClusterStatus | None = None
    job_status_check_failure_start_time: Time | None = None
    observed_generation: Annotated[int, Field(json_schema_extra={"format": "int64"})] | None = None


class RayJob(_Model):
    api_version: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: RayJobSpec | None = None
    status: RayJobStatus | None = None


def parse_rayjob(obj: dict[str, Any]) -> RayJob:
    """The typed view of a RayJob manifest; raises pydantic.ValidationError on shape errors."""
    return RayJob.model_validate(obj)
