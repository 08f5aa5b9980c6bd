"""Typed model of KubeRay's `ray.io/v1` RayService (spec and status).

Field names, shapes and defaults follow KubeRay's `apis/ray/v1/rayservice_types.go` (v1.5, plus
`suspend` which the shared CRD carries). The serving cluster's spec is the RayCluster model itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from kuberay.api.rayjob_types import managed_by_field
from kuberay.api.types import (
    Condition,
    Int32,
    RayClusterSpec,
    RayClusterStatus,
    Service,
    Time,
    _Model,
)

RAYSERVICE_KIND = "RayService"

# upgradeStrategy.type
NEW_CLUSTER = "NewCluster"
NONE = "None"
INCREMENTAL = "NewClusterWithIncrementalUpgrade"
UPGRADE_TYPES = (NEW_CLUSTER, NONE, INCREMENTAL)

# Ray Serve's own application and deployment states, as the dashboard reports them.
APP_RUNNING = "RUNNING"
APP_DEPLOYING = "DEPLOYING"
APP_DEPLOY_FAILED = "DEPLOY_FAILED"
APP_UNHEALTHY = "UNHEALTHY"
APP_NOT_STARTED = "NOT_STARTED"
DEPLOYMENT_HEALTHY = "HEALTHY"

# status.serviceStatus: KubeRay keeps this deprecated field as "Running" or "".
SERVICE_RUNNING = "Running"

# Condition types and reasons.
READY = "Ready"
UPGRADE_IN_PROGRESS = "UpgradeInProgress"
REASON_INITIALIZING = "Initializing"
REASON_ZERO_ENDPOINTS = "ZeroServeEndpoints"
REASON_NONZERO_ENDPOINTS = "NonZeroServeEndpoints"
REASON_BOTH_CLUSTERS = "BothActivePendingClustersExist"
REASON_NO_PENDING = "NoPendingCluster"
REASON_NO_ACTIVE = "NoActiveCluster"
REASON_VALIDATION_FAILED = "ValidationFailed"
REASON_SUSPENDED = "SuspendComplete"

DEFAULT_DELETION_DELAY_SECONDS = 60


class ClusterUpgradeOptions(_Model):
    max_surge_percent: Int32 | None = Field(default=None, json_schema_extra={"default": 100})
    step_size_percent: Int32
    interval_seconds: Int32
    gateway_class_name: str


class RayServiceUpgradeStrategy(_Model):
    # A free string, as KubeRay's CRD: an unknown type is reported by the controller.
    type: str | None = None
    cluster_upgrade_options: ClusterUpgradeOptions | None = None


class RayServiceSpec(_Model):
    ray_cluster_deletion_delay_seconds: (
        Annotated[int, Field(ge=0, json_schema_extra={"format": "int32"})] | None
    ) = None
    service_unhealthy_second_threshold: Int32 | None = None
    deployment_unhealthy_second_threshold: Int32 | None = None
    serve_service: Service | None = None
    upgrade_strategy: RayServiceUpgradeStrategy | None = None
    managed_by: str | None = managed_by_field()
    serve_config_v2: str | None = Field(default=None, alias="serveConfigV2")
    ray_cluster_config: RayClusterSpec
    exclude_head_pod_from_serve_svc: bool | None = None
    suspend: bool | None = None


class ServeDeploymentStatus(_Model):
    status: str | None = None
    message: str | None = None


class AppStatus(_Model):
    serve_deployment_statuses: dict[str, ServeDeploymentStatus] | None = None
    status: str | None = None
    message: str | None = None


class RayServiceStatus(_Model):
    application_statuses: dict[str, AppStatus] | None = None
    target_capacity: Int32 | None = None
    traffic_routed_percent: Int32 | None = None
    last_traffic_migrated_time: Time | None = None
    ray_cluster_name: str | None = None
    ray_cluster_status: RayClusterStatus | None = None


class RayServiceStatuses(_Model):
    conditions: list[Condition] | None = Field(
        default=None,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    last_update_time: Time | None = None
    service_status: str | None = None
    active_service_status: RayServiceStatus | None = None
    pending_service_status: RayServiceStatus | None = None
    num_serve_endpoints: Int32 | None = None
    observed_generation: Annotated[int, Field(json_schema_extra={"format": "int64"})] | None = None


class RayService(_Model):
    api_version: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: RayServiceSpec | None = None
    status: RayServiceStatuses | None = None


def parse_rayservice(obj: dict[str, Any]) -> RayService:
    """The typed view of a RayService manifest; raises pydantic.ValidationError on shape errors."""
    return RayService.model_validate(obj)
