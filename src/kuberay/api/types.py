"""Typed model of KubeRay's `ray.io/v1` RayCluster (spec and status).

Field names and shapes follow KubeRay's `apis/ray/v1/raycluster_types.go`. Kubernetes built-in
types embedded in the spec (pod templates, env vars, resources, services...) stay plain dicts:
they pass through to the objects we build untouched, and the CRD gets their schema from
`kubeschema`. Python attributes are snake_case; the wire names (aliases) are KubeRay's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

API_GROUP = "ray.io"
API_VERSION = "ray.io/v1"
KIND = "RayCluster"
MAX_INT32 = 2147483647


class K8sType:
    """Marks a field that holds a Kubernetes built-in type, named by its OpenAPI definition."""

    def __init__(self, definition: str) -> None:
        self.definition = definition

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        # The CRD renderer swaps this marker for the type's real structural schema.
        return {"x-k8s-type": self.definition}


def k8s(definition: str) -> K8sType:
    return K8sType(definition)


_CORE = "io.k8s.api.core.v1."
PodTemplateSpec = Annotated[dict[str, Any], k8s(_CORE + "PodTemplateSpec")]
ResourceRequirements = Annotated[dict[str, Any], k8s(_CORE + "ResourceRequirements")]
SecurityContext = Annotated[dict[str, Any], k8s(_CORE + "SecurityContext")]
EnvVar = Annotated[dict[str, Any], k8s(_CORE + "EnvVar")]
EnvFromSource = Annotated[dict[str, Any], k8s(_CORE + "EnvFromSource")]
EnvVarSource = Annotated[dict[str, Any], k8s(_CORE + "EnvVarSource")]
VolumeMount = Annotated[dict[str, Any], k8s(_CORE + "VolumeMount")]
Service = Annotated[dict[str, Any], k8s(_CORE + "Service")]
IngressTLS = Annotated[dict[str, Any], k8s("io.k8s.api.networking.v1.IngressTLS")]
NetworkPolicyIngressRule = Annotated[dict[str, Any], k8s("io.k8s.api.networking.v1.NetworkPolicyIngressRule")]
NetworkPolicyEgressRule = Annotated[dict[str, Any], k8s("io.k8s.api.networking.v1.NetworkPolicyEgressRule")]
Condition = Annotated[dict[str, Any], k8s("io.k8s.apimachinery.pkg.apis.meta.v1.Condition")]
# A resource.Quantity: "500m", "2Gi", 4 ...
Quantity = Annotated[int | str, k8s("io.k8s.apimachinery.pkg.api.resource.Quantity")]
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Int32 = Annotated[int, Field(json_schema_extra={"format": "int32"})]
NonNegInt32 = Annotated[int, Field(ge=0, le=MAX_INT32, json_schema_extra={"format": "int32"})]

UpscalingMode = Literal["Default", "Aggressive", "Conservative"]
AutoscalerVersion = Literal["v1", "v2"]
ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
PullPolicy = Literal["Always", "IfNotPresent", "Never"]
ClusterState = Literal["ready", "failed", "suspended"]


class _Model(BaseModel):
    # Unknown fields are ignored, not rejected: the API server prunes them before we ever see them.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ScaleStrategy(_Model):
    workers_to_delete: list[str] | None = None


class AutoscalerOptions(_Model):
    resources: ResourceRequirements | None = None
    image: str | None = None
    image_pull_policy: PullPolicy | None = None
    security_context: SecurityContext | None = None
    idle_timeout_seconds: Int32 | None = None
    upscaling_mode: UpscalingMode | None = None
    version: AutoscalerVersion | None = None
    env: list[EnvVar] | None = None
    env_from: list[EnvFromSource] | None = None
    volume_mounts: list[VolumeMount] | None = None
    command: list[str] | None = None
    args: list[str] | None = None


class IngressOptions(_Model):
    host: str | None = None
    path: str | None = None
    path_type: Literal["Exact", "Prefix", "ImplementationSpecific"] | None = None
    tls: list[IngressTLS] | None = None


class HeadGroupSpec(_Model):
    template: PodTemplateSpec
    head_service: Service | None = None
    enable_ingress: bool | None = None
    ingress_options: IngressOptions | None = None
    resources: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    # Optional since KubeRay 1.4 (kept without `required` in the CRD so old and new manifests pass).
    ray_start_params: dict[str, str] | None = None
    service_type: ServiceType | None = None


class WorkerGroupSpec(_Model):
    suspend: bool | None = None
    group_name: str
    replicas: NonNegInt32 | None = Field(default=None, json_schema_extra={"default": 0})
    min_replicas: NonNegInt32 | None = Field(default=None, json_schema_extra={"default": 0})
    max_replicas: NonNegInt32 | None = Field(default=None, json_schema_extra={"default": MAX_INT32})
    idle_timeout_seconds: Int32 | None = None
    priority: Int32 | None = Field(default=None, json_schema_extra={"default": 0})
    resources: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    ray_start_params: dict[str, str] | None = None
    template: PodTemplateSpec
    scale_strategy: ScaleStrategy | None = None
    num_of_hosts: Annotated[int, Field(ge=1, le=MAX_INT32)] | None = Field(
        default=None, json_schema_extra={"default": 1, "format": "int32"}
    )


class RedisCredential(_Model):
    value_from: EnvVarSource | None = None
    value: str | None = None


class GcsEmbeddedStorage(_Model):
    claim_name: str | None = None
    size: Quantity | None = None
    storage_class_name: str | None = None
    access_modes: list[str] | None = None
    sub_path: str | None = None
    deletion_policy: Literal["DeleteWithCluster", "Retain"] | None = None


class GcsFaultToleranceOptions(_Model):
    backend: Literal["redis", "rocksdb"] | None = Field(
        default=None,
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "self == oldSelf", "message": "gcsFaultToleranceOptions.backend is immutable"}
            ]
        },
    )
    redis_username: RedisCredential | None = None
    redis_password: RedisCredential | None = None
    external_storage_namespace: str | None = None
    redis_address: str | None = None
    storage: GcsEmbeddedStorage | None = None


class CollectorOptions(_Model):
    image: str | None = None
    image_pull_policy: PullPolicy | None = None
    resources: ResourceRequirements | None = None
    env: list[EnvVar] | None = None


class HistoryServerOptions(_Model):
    collector_options: CollectorOptions | None = None


class NetworkPolicyRules(_Model):
    ingress_rules: list[NetworkPolicyIngressRule] | None = None
    egress_rules: list[NetworkPolicyEgressRule] | None = None


class WorkerGroupNetworkPolicyRules(NetworkPolicyRules):
    group_name: str


class NetworkPolicyConfig(_Model):
    mode: Literal["DenyAll", "DenyAllIngress", "DenyAllEgress"] | None = Field(
        default=None, json_schema_extra={"default": "DenyAll"}
    )
    head: NetworkPolicyRules | None = None
    worker: NetworkPolicyRules | None = None
    worker_groups: list[WorkerGroupNetworkPolicyRules] | None = None


class TLSOptions(_Model):
    enabled: bool | None = None


class RayClusterUpgradeStrategy(_Model):
    type: Literal["Recreate", "None"] | None = None


class AuthOptions(_Model):
    enable_k8s_token_auth: bool | None = Field(default=None, alias="enableK8sTokenAuth")
    secret_name: str | None = None
    mode: Literal["disabled", "token"] | None = None


MANAGED_BY_VALUES = ("ray.io/kuberay-operator", "kueue.x-k8s.io/multikueue")


class RayClusterSpec(_Model):
    upgrade_strategy: RayClusterUpgradeStrategy | None = None
    auth_options: AuthOptions | None = None
    suspend: bool | None = None
    # Set once at creation: it decides which controller owns the cluster for its whole life.
    managed_by: Literal["ray.io/kuberay-operator", "kueue.x-k8s.io/multikueue"] | None = Field(
        default=None,
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "self == oldSelf", "message": "the managedBy field is immutable"}
            ]
        },
    )
    autoscaler_options: AutoscalerOptions | None = None
    head_service_annotations: dict[str, str] | None = None
    enable_in_tree_autoscaling: bool | None = None
    gcs_fault_tolerance_options: GcsFaultToleranceOptions | None = None
    history_server_options: HistoryServerOptions | None = None
    network_policy: NetworkPolicyConfig | None = None
    tls_options: TLSOptions | None = Field(default=None, alias="tlsOptions")
    head_group_spec: HeadGroupSpec
    ray_version: str | None = None
    worker_group_specs: list[WorkerGroupSpec] | None = None


class HeadInfo(_Model):
    pod_ip: str | None = Field(default=None, alias="podIP")
    service_ip: str | None = Field(default=None, alias="serviceIP")
    pod_name: str | None = None
    service_name: str | None = None


class RayClusterStatus(_Model):
    state: str | None = None
    desired_cpu: Quantity | None = Field(default=None, alias="desiredCPU")
    desired_memory: Quantity | None = Field(default=None, alias="desiredMemory")
    desired_gpu: Quantity | None = Field(default=None, alias="desiredGPU")
    desired_tpu: Quantity | None = Field(default=None, alias="desiredTPU")
    last_update_time: Time | None = None
    state_transition_times: dict[str, Time] | None = None
    endpoints: dict[str, str] | None = None
    head: HeadInfo | None = None
    reason: str | None = None
    conditions: list[Condition] | None = Field(
        default=None,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    ready_worker_replicas: Int32 | None = None
    available_worker_replicas: Int32 | None = None
    desired_worker_replicas: Int32 | None = None
    min_worker_replicas: Int32 | None = None
    max_worker_replicas: Int32 | None = None
    observed_generation: Annotated[int, Field(json_schema_extra={"format": "int64"})] | None = None


class RayCluster(_Model):
    api_version: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: RayClusterSpec
    status: RayClusterStatus | None = None


def parse_raycluster(obj: dict[str, Any]) -> RayCluster:
    """The typed view of a RayCluster manifest; raises pydantic.ValidationError on shape errors."""
    return RayCluster.model_validate(obj)
