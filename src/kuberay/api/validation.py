"""Semantic validation of a RayCluster: what a schema cannot express (pure).

Covers KubeRay's ValidateRayClusterMetadata/Spec/Status checks and a few more that KubeRay only
discovers when Ray fails to start (malformed rayStartParams values, workersToDelete naming pods of
another group). Every Problem names the field, what is wrong, and what to do about it.
Never raises: malformed input is reported, not crashed on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_CLUSTER_NAME_LENGTH = 53  # 63 minus the longest service suffix KubeRay appends ("-serve-svc")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NUMBER = re.compile(r"^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+]?\d+$")
_ENV_REF = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")

# rayStartParams whose values `ray start` parses as numbers or ports.
_FLOAT_PARAMS = ("num-cpus", "num-gpus")
_INT_PARAMS = ("memory", "object-store-memory", "redis-max-memory", "min-worker-port", "max-worker-port")
_PORT_PARAMS = (
    "port",
    "node-manager-port",
    "object-manager-port",
    "dashboard-port",
    "dashboard-agent-listen-port",
    "dashboard-agent-grpc-port",
    "metrics-export-port",
    "ray-client-server-port",
    "runtime-env-agent-port",
    "gcs-server-port",
)


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "spec.workerGroupSpecs[1].groupName"
    message: str  # what is wrong
    fix: str  # what the user should do

    def __str__(self) -> str:
        return f"{self.path}: {self.message}. {self.fix}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _env(container: dict[str, Any]) -> dict[Any, Any]:
    return {e.get("name"): e.get("value") for e in _list(container.get("env")) if isinstance(e, dict)}


def _version(raw: Any) -> tuple[int, ...] | None:
    if not isinstance(raw, str):
        return None
    m = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", raw)
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


def _is_true(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def validate_metadata(metadata: dict[str, Any]) -> list[Problem]:
    name = metadata.get("name")
    problems = []
    if not isinstance(name, str) or not name:
        return [
            Problem("metadata.name", "the RayCluster has no name", "Give the RayCluster a metadata.name.")
        ]
    if len(name) > MAX_CLUSTER_NAME_LENGTH:
        problems.append(
            Problem(
                "metadata.name",
                f"RayCluster name should be no more than {MAX_CLUSTER_NAME_LENGTH} characters "
                f"(it has {len(name)})",
                f"Use a name of at most {MAX_CLUSTER_NAME_LENGTH} characters so the derived pod and service "
                "names stay within Kubernetes' 63-character limit.",
            )
        )
    if not _DNS1035.match(name):
        problems.append(
            Problem(
                "metadata.name",
                f"RayCluster name {name!r} should be a valid DNS1035 label",
                "Use lower-case letters, digits and '-', starting with a letter and ending with a letter "
                "or digit.",
            )
        )
    return problems


def _validate_params(path: str, params: Any) -> list[Problem]:
    if params is None:
        return []
    if not isinstance(params, dict):
        return [
            Problem(path, "rayStartParams must be a map of strings", 'Write rayStartParams as key: "value".')
        ]
    problems = []
    for key, value in params.items():
        where = f"{path}.{key}"
        if not isinstance(value, str):
            problems.append(
                Problem(where, f"value {value!r} is not a string", f'Quote it: {key}: "{value}".')
            )
            continue
        if _ENV_REF.match(value):
            continue  # resolved by the shell from the container's environment
        if key in _FLOAT_PARAMS and not _NUMBER.match(value):
            problems.append(
                Problem(
                    where, f"{key} must be a non-negative number, got {value!r}", f'Set it like {key}: "2".'
                )
            )
        elif key in _INT_PARAMS and not _INTEGER.match(value):
            problems.append(
                Problem(
                    where,
                    f"{key} must be a whole number of bytes, got {value!r}",
                    f'Give the byte count, e.g. {key}: "1073741824"; ray start does not accept units.',
                )
            )
        elif key in _PORT_PARAMS and (not _INTEGER.match(value) or not 0 < int(value) < 65536):
            problems.append(
                Problem(
                    where,
                    f"{key} must be a port number (1-65535), got {value!r}",
                    f'Set it like {key}: "6379".',
                )
            )
        elif key == "resources":
            problems.extend(_validate_resources_param(where, value))
    return problems


def _validate_resources_param(where: str, value: str) -> list[Problem]:
    fix = """Write it as a JSON object of numbers in quotes, e.g. resources: '"{\\"Custom1\\": 1}"'."""
    try:
        parsed = json.loads(value.strip("'\"` ").replace('\\"', '"'))
    except json.JSONDecodeError:
        return [Problem(where, f"resources is not a JSON object: {value!r}", fix)]
    if not isinstance(parsed, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in parsed.values()
    ):
        return [Problem(where, f"resources must map resource names to numbers, got {value!r}", fix)]
    return []


def _validate_group_resources_and_labels(path: str, group: dict[str, Any]) -> list[Problem]:
    problems = []
    params = _dict(group.get("rayStartParams"))
    resources = _dict(group.get("resources"))
    if resources and any(params.get(k) for k in ("num-cpus", "num-gpus", "memory", "resources")):
        problems.append(
            Problem(
                f"{path}.resources",
                "resource fields are set both in rayStartParams and in resources",
                "Use only one: either the group's resources field or num-cpus/num-gpus/memory/resources in "
                "rayStartParams.",
            )
        )
    if "labels" in params:
        problems.append(
            Problem(
                f"{path}.rayStartParams.labels",
                "rayStartParams['labels'] is not supported",
                f"Move the Ray node labels to {path}.labels.",
            )
        )
    for key, value in _dict(group.get("labels")).items():
        prefix, _, name = key.rpartition("/")
        if (
            not _QUALIFIED_NAME.match(name)
            or len(name) > 63
            or (prefix and not _DNS1123_SUBDOMAIN.match(prefix))
        ):
            problems.append(
                Problem(
                    f"{path}.labels",
                    f"invalid label key {key!r}",
                    "Use a Kubernetes label key: [prefix/]name.",
                )
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(
                Problem(
                    f"{path}.labels.{key}",
                    f"invalid label value {value!r}",
                    "Use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter "
                    "or digit.",
                )
            )
    return problems


def _containers(template: Any) -> list[Any]:
    return _list(_dict(_dict(template).get("spec")).get("containers"))


def _bad_containers(path: str, containers: list[Any]) -> list[Problem]:
    return [
        Problem(
            f"{path}[{i}]", "a container must be an object with a name", "Write it as name: ..., image: ...."
        )
        for i, c in enumerate(containers)
        if not isinstance(c, dict) or not c.get("name")
    ]


def _restart_policy(template: Any) -> str:
    return str(_dict(_dict(template).get("spec")).get("restartPolicy") or "")


def _group_prefix(cluster_name: str, group_name: str) -> str:
    return f"{cluster_name}-{group_name}-worker-"[:58].lower()


def _validate_workers_to_delete(
    spec: dict[str, Any], cluster_name: str, pods: list[dict[str, Any]] | None
) -> list[Problem]:
    problems = []
    groups = [g for g in _list(spec.get("workerGroupSpecs")) if isinstance(g, dict)]
    names = [str(g.get("groupName", "")) for g in groups]
    pod_groups = {
        _dict(p.get("metadata")).get("name"): _dict(_dict(p.get("metadata")).get("labels")).get(
            "ray.io/group"
        )
        for p in pods or []
    }
    for i, group in enumerate(groups):
        own = names[i]
        for j, pod_name in enumerate(_list(_dict(group.get("scaleStrategy")).get("workersToDelete"))):
            path = f"spec.workerGroupSpecs[{i}].scaleStrategy.workersToDelete[{j}]"
            other = pod_groups.get(pod_name)
            if other is None and pods is None and isinstance(pod_name, str):
                # Without the pod list, fall back to KubeRay's naming: <cluster>-<group>-worker-xxxxx.
                owners = [n for n in names if pod_name.startswith(_group_prefix(cluster_name, n))]
                longest = max(owners, key=len) if owners else None
                other = longest
            if other is not None and other != own:
                problems.append(
                    Problem(
                        path,
                        f"pod {pod_name} belongs to worker group {other!r}, not {own!r}",
                        f"List it under the scaleStrategy of group {other!r} instead.",
                    )
                )
    return problems


def _validate_worker_group(i: int, group: Any, spec: dict[str, Any], autoscaling: bool) -> list[Problem]:
    path = f"spec.workerGroupSpecs[{i}]"
    if not isinstance(group, dict):
        return [Problem(path, "a worker group must be an object", "Write the group as a map of its fields.")]
    problems = []
    name = group.get("groupName")
    if not isinstance(name, str) or not name:
        problems.append(
            Problem(f"{path}.groupName", "the worker group has no groupName", "Give it a groupName.")
        )
    if not _containers(group.get("template")):
        problems.append(
            Problem(
                f"{path}.template.spec.containers",
                "workerGroupSpec should have at least one container",
                "Add the Ray worker container as the first entry of template.spec.containers.",
            )
        )
    problems.extend(_bad_containers(f"{path}.template.spec.containers", _containers(group.get("template"))))
    low, high = group.get("minReplicas"), group.get("maxReplicas")
    if not autoscaling and (low is None or high is None):
        problems.append(
            Problem(
                path,
                f"worker group {name} must set both minReplicas and maxReplicas when autoscaling is disabled",
                "Set minReplicas and maxReplicas on the group.",
            )
        )
    for key, value in (("minReplicas", low), ("maxReplicas", high), ("replicas", group.get("replicas"))):
        if value is not None and (not isinstance(value, int) or value < 0):
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"{key} must be a non-negative integer, got {value!r}",
                    f"Set {key} >= 0.",
                )
            )
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            Problem(
                f"{path}.minReplicas",
                f"worker group {name} has minReplicas {low} greater than maxReplicas {high}",
                "Lower minReplicas or raise maxReplicas so that minReplicas <= maxReplicas.",
            )
        )
    hosts = group.get("numOfHosts")
    if hosts is not None and (not isinstance(hosts, int) or hosts < 1):
        problems.append(
            Problem(
                f"{path}.numOfHosts", f"numOfHosts must be at least 1, got {hosts!r}", "Set numOfHosts >= 1."
            )
        )
    problems.extend(_validate_params(f"{path}.rayStartParams", group.get("rayStartParams")))
    problems.extend(_validate_group_resources_and_labels(path, group))
    v2 = _autoscaler_v2(spec)
    idle = group.get("idleTimeoutSeconds")
    if idle is not None:
        if not isinstance(idle, int) or idle < 0:
            problems.append(
                Problem(
                    f"{path}.idleTimeoutSeconds",
                    f"idleTimeoutSeconds must be non-negative, got {idle!r}",
                    "Set it >= 0.",
                )
            )
        elif not v2:
            problems.append(
                Problem(
                    f"{path}.idleTimeoutSeconds",
                    f"worker group {name}: idleTimeoutSeconds is set, but autoscaler v2 is not enabled",
                    "Set spec.autoscalerOptions.version to v2, or remove the group's idleTimeoutSeconds.",
                )
            )
    priority = group.get("priority")
    if priority not in (None, 0):
        version = _version(spec.get("rayVersion"))
        if version is None or version < (2, 56, 0):
            problems.append(
                Problem(
                    f"{path}.priority",
                    f"worker group {name}: priority needs Ray 2.56.0 or later "
                    f"(rayVersion is {spec.get('rayVersion')!r})",
                    "Set spec.rayVersion to 2.56.0 or later, or remove priority.",
                )
            )
        elif not v2:
            problems.append(
                Problem(
                    f"{path}.priority",
                    f"worker group {name}: priority is set to {priority}, but autoscaler v2 is not enabled",
                    "Set spec.autoscalerOptions.version to v2, or remove priority.",
                )
            )
    if autoscaling and group.get("suspend"):
        problems.append(
            Problem(
                f"{path}.suspend",
                f"worker group {name} cannot be suspended with Autoscaler enabled",
                "Remove suspend from the group, or set enableInTreeAutoscaling to false.",
            )
        )
    if autoscaling and v2 and _restart_policy(group.get("template")) not in ("", "Never"):
        problems.append(
            Problem(
                f"{path}.template.spec.restartPolicy",
                f"restartPolicy for worker group {name} should be Never or unset when using autoscaler V2",
                "Remove restartPolicy or set it to Never.",
            )
        )
    return problems


def _autoscaler_v2(spec: dict[str, Any]) -> bool:
    if _dict(spec.get("autoscalerOptions")).get("version") == "v2":
        return True
    head_containers = _containers(_dict(spec.get("headGroupSpec")).get("template"))
    head_env = _env(head_containers[0]) if head_containers and isinstance(head_containers[0], dict) else {}
    return _is_true(head_env.get("RAY_enable_autoscaler_v2"))


def _validate_autoscaler(spec: dict[str, Any], head_env: dict[str, Any], autoscaling: bool) -> list[Problem]:
    problems = []
    options = spec.get("autoscalerOptions")
    if options is not None and not isinstance(options, dict):
        return [
            Problem("spec.autoscalerOptions", "autoscalerOptions must be an object", "Write it as a map.")
        ]
    options = _dict(options)
    version = options.get("version")
    if version is not None and version not in ("v1", "v2"):
        problems.append(
            Problem(
                "spec.autoscalerOptions.version",
                f"autoscalerOptions.version must be v1 or v2, got {version!r}",
                "Set version to v1 or v2 (v2 needs Ray 2.10 or later).",
            )
        )
    mode = options.get("upscalingMode")
    if mode is not None and mode not in ("Default", "Aggressive", "Conservative"):
        problems.append(
            Problem(
                "spec.autoscalerOptions.upscalingMode",
                f"upscalingMode must be Default, Aggressive or Conservative, got {mode!r}",
                "Pick one of Default, Aggressive, Conservative.",
            )
        )
    idle = options.get("idleTimeoutSeconds")
    if idle is not None and (not isinstance(idle, int) or idle < 0):
        problems.append(
            Problem(
                "spec.autoscalerOptions.idleTimeoutSeconds",
                f"autoscalerOptions.idleTimeoutSeconds must be non-negative, got {idle!r}",
                "Set it to 0 or more seconds.",
            )
        )
    for j, entry in enumerate(_list(options.get("env"))):
        if isinstance(entry, dict) and entry.get("name") == "KUBERAY_GEN_AUTOSCALER_START_CMD":
            problems.append(
                Problem(
                    f"spec.autoscalerOptions.env[{j}]",
                    "autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD",
                    "Remove it: the operator injects it into the autoscaler container.",
                )
            )
    v2_env = head_env.get("RAY_enable_autoscaler_v2")
    if not autoscaling and v2_env is not None and _is_true(v2_env):
        problems.append(
            Problem(
                "spec.headGroupSpec.template.spec.containers[0].env",
                f"environment variable RAY_enable_autoscaler_v2 cannot be set to {v2_env!r} when "
                "enableInTreeAutoscaling is false",
                "Set enableInTreeAutoscaling: true to use autoscaler v2, or remove the variable.",
            )
        )
    if autoscaling and version is not None and "RAY_enable_autoscaler_v2" in head_env:
        problems.append(
            Problem(
                "spec.autoscalerOptions.version",
                "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set",
                "Keep autoscalerOptions.version and remove RAY_enable_autoscaler_v2 from the head container.",
            )
        )
    return problems


def _validate_gcs_ft(
    spec: dict[str, Any], annotations: dict[str, Any], head: dict[str, Any]
) -> list[Problem]:
    problems = []
    options = spec.get("gcsFaultToleranceOptions")
    head_env = _env(head) if head else {}
    params = _dict(_dict(spec.get("headGroupSpec")).get("rayStartParams"))
    ft_enabled = _is_true(annotations.get("ray.io/ft-enabled")) or options is not None
    env_path = "spec.headGroupSpec.template.spec.containers[0].env"
    if annotations.get("ray.io/ft-enabled") and options is not None:
        problems.append(
            Problem(
                "metadata.annotations",
                "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set",
                "Remove the annotation and configure GCS fault tolerance with gcsFaultToleranceOptions only.",
            )
        )
    if not ft_enabled and "RAY_REDIS_ADDRESS" in head_env:
        problems.append(
            Problem(
                env_path,
                "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but "
                "GcsFaultToleranceOptions is not set",
                "Set spec.gcsFaultToleranceOptions.redisAddress instead of the env var.",
            )
        )
    if options is not None:
        opts = _dict(options)
        if params.get("redis-password"):
            problems.append(
                Problem(
                    "spec.headGroupSpec.rayStartParams.redis-password",
                    "cannot set `redis-password` in rayStartParams when GcsFaultToleranceOptions is enabled",
                    "Use gcsFaultToleranceOptions.redisPassword instead.",
                )
            )
        for var, field_name in (("REDIS_PASSWORD", "redisPassword"), ("RAY_REDIS_ADDRESS", "redisAddress")):
            if var in head_env:
                problems.append(
                    Problem(
                        env_path,
                        f"cannot set `{var}` env var in head Pod when GcsFaultToleranceOptions is enabled",
                        f"Use gcsFaultToleranceOptions.{field_name} instead.",
                    )
                )
        if annotations.get("ray.io/external-storage-namespace"):
            problems.append(
                Problem(
                    "metadata.annotations",
                    "cannot set `ray.io/external-storage-namespace` annotation when "
                    "GcsFaultToleranceOptions is enabled",
                    "Use gcsFaultToleranceOptions.externalStorageNamespace instead.",
                )
            )
        if opts.get("backend") == "rocksdb":
            problems.append(
                Problem(
                    "spec.gcsFaultToleranceOptions.backend",
                    "the embedded RocksDB GCS fault tolerance backend is not supported by this operator",
                    "Use the redis backend (set redisAddress) or leave backend unset.",
                )
            )
        elif opts.get("storage") is not None:
            problems.append(
                Problem(
                    "spec.gcsFaultToleranceOptions.storage",
                    "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis'",
                    "Remove storage; it only applies to the 'rocksdb' backend.",
                )
            )
    if params.get("redis-username") or "REDIS_USERNAME" in head_env:
        problems.append(
            Problem(
                "spec.headGroupSpec",
                "cannot set redis username in rayStartParams or environment variables",
                "Use gcsFaultToleranceOptions.redisUsername instead.",
            )
        )
    return problems


def _validate_auth(spec: dict[str, Any]) -> list[Problem]:
    options = _dict(spec.get("authOptions"))
    k8s_auth = bool(options.get("enableK8sTokenAuth"))
    if options.get("mode") != "token":
        if k8s_auth:
            return [
                Problem(
                    "spec.authOptions.enableK8sTokenAuth",
                    "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'",
                    "Set authOptions.mode: token.",
                )
            ]
        return []
    version = _version(spec.get("rayVersion"))
    if version is None or version < (2, 52, 0):
        return [
            Problem(
                "spec.rayVersion",
                "authOptions.mode is 'token' but the minimum Ray version is 2.52.0, "
                f"got {spec.get('rayVersion')!r}",
                "Set spec.rayVersion to 2.52.0 or later (and use such an image).",
            )
        ]
    if k8s_auth and version < (2, 55, 0):
        return [
            Problem(
                "spec.rayVersion",
                "authOptions.enableK8sTokenAuth needs Ray 2.55.0 or later",
                "Set spec.rayVersion to 2.55.0 or later.",
            )
        ]
    if k8s_auth and options.get("secretName"):
        return [
            Problem(
                "spec.authOptions.secretName",
                "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set",
                "Remove secretName, or disable enableK8sTokenAuth.",
            )
        ]
    return []


def _validate_status(status: dict[str, Any]) -> list[Problem]:
    true = {
        c.get("type")
        for c in _list(status.get("conditions"))
        if isinstance(c, dict) and c.get("status") == "True"
    }
    if {"RayClusterSuspending", "RayClusterSuspended"} <= true:
        return [
            Problem(
                "status.conditions",
                "RayClusterSuspending and RayClusterSuspended conditions should not be both true",
                "Clear the status (the operator recomputes it).",
            )
        ]
    return []


def validate_raycluster(obj: dict[str, Any], pods: list[dict[str, Any]] | None = None) -> list[Problem]:
    """All problems that keep this RayCluster from being reconciled; empty when it is fine.

    `pods` (the cluster's current pods), when given, lets workersToDelete entries be checked
    against the pods' real groups rather than their names.
    """
    if not isinstance(obj, dict):
        return [Problem("", "a RayCluster must be an object", "Submit a RayCluster manifest.")]
    metadata = _dict(obj.get("metadata"))
    problems = validate_metadata(metadata)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*problems, Problem("spec", "the RayCluster has no spec", "Add a spec with a headGroupSpec.")]
    annotations = _dict(metadata.get("annotations"))
    head = spec.get("headGroupSpec")
    if not isinstance(head, dict):
        problems.append(
            Problem(
                "spec.headGroupSpec", "headGroupSpec is missing", "Add a headGroupSpec with a pod template."
            )
        )
        head = {}
    head_containers = _containers(head.get("template"))
    ray_head: dict[str, Any] = (
        head_containers[0] if head_containers and isinstance(head_containers[0], dict) else {}
    )
    if not head_containers:
        problems.append(
            Problem(
                "spec.headGroupSpec.template.spec.containers",
                "headGroupSpec should have at least one container",
                "Add the Ray head container as the first entry of "
                "spec.headGroupSpec.template.spec.containers.",
            )
        )
    problems.extend(_bad_containers("spec.headGroupSpec.template.spec.containers", head_containers))
    problems.extend(_validate_params("spec.headGroupSpec.rayStartParams", head.get("rayStartParams")))
    problems.extend(_validate_group_resources_and_labels("spec.headGroupSpec", head))
    service_type = head.get("serviceType")
    if service_type not in (None, "", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        problems.append(
            Problem(
                "spec.headGroupSpec.serviceType",
                f"unknown serviceType {service_type!r}",
                "Use ClusterIP, NodePort, LoadBalancer or ExternalName.",
            )
        )

    autoscaling = bool(spec.get("enableInTreeAutoscaling"))
    groups = _list(spec.get("workerGroupSpecs"))
    seen: dict[str, int] = {}
    for i, group in enumerate(groups):
        problems.extend(_validate_worker_group(i, group, spec, autoscaling))
        name = _dict(group).get("groupName")
        if isinstance(name, str) and name:
            if name in seen:
                problems.append(
                    Problem(
                        f"spec.workerGroupSpecs[{i}].groupName",
                        f"duplicate worker group name {name!r} (also spec.workerGroupSpecs[{seen[name]}])",
                        "Give every worker group a unique groupName.",
                    )
                )
            else:
                seen[name] = i
    problems.extend(_validate_workers_to_delete(spec, str(metadata.get("name", "")), pods))
    if autoscaling and _autoscaler_v2(spec) and _restart_policy(head.get("template")) not in ("", "Never"):
        problems.append(
            Problem(
                "spec.headGroupSpec.template.spec.restartPolicy",
                "restartPolicy for head Pod should be Never or unset when using autoscaler V2",
                "Remove restartPolicy or set it to Never.",
            )
        )
    problems.extend(_validate_autoscaler(spec, _env(ray_head), autoscaling))
    problems.extend(_validate_gcs_ft(spec, annotations, ray_head))
    problems.extend(_validate_auth(spec))

    upgrade = _dict(spec.get("upgradeStrategy")).get("type")
    if upgrade is not None and upgrade not in ("Recreate", "None"):
        problems.append(
            Problem(
                "spec.upgradeStrategy.type",
                f"Spec.UpgradeStrategy.Type value {upgrade} is invalid",
                "Valid options are Recreate or None.",
            )
        )
    managed_by = spec.get("managedBy")
    if managed_by is not None and managed_by not in ("ray.io/kuberay-operator", "kueue.x-k8s.io/multikueue"):
        problems.append(
            Problem(
                "spec.managedBy",
                "the managedBy field value must be either 'ray.io/kuberay-operator' or "
                "'kueue.x-k8s.io/multikueue'",
                "Remove managedBy, or set it to one of those values.",
            )
        )
    for field_name, gate in (
        ("networkPolicy", "RayClusterNetworkPolicy"),
        ("tlsOptions", "RayClusterMTLS"),
        ("historyServerOptions", "RayClusterHistoryServer"),
    ):
        if spec.get(field_name) is not None:
            problems.append(
                Problem(
                    f"spec.{field_name}",
                    f"spec.{field_name} requires the {gate} feature, which this operator does not provide",
                    f"Remove spec.{field_name}.",
                )
            )
    problems.extend(_validate_serve_service(annotations, ray_head))
    problems.extend(_validate_status(_dict(obj.get("status"))))
    return problems


def _validate_serve_service(annotations: dict[str, Any], ray_head: dict[str, Any]) -> list[Problem]:
    """KubeRay fails every reconcile of such a cluster; we say so once, up front. A head container
    that declares no ports gets KubeRay's default ports, serve (8000) among them."""
    if annotations.get("ray.io/enable-serve-service") != "true":
        return []
    names = [p.get("name") or "" for p in _list(ray_head.get("ports")) if isinstance(p, dict)]
    if not names or any(n == "serve" or n.startswith("serve-") for n in names):
        return []
    return [
        Problem(
            "metadata.annotations[ray.io/enable-serve-service]",
            "the Serve Service needs a port named 'serve' (or with the prefix 'serve-', e.g. 'serve-grpc') "
            "in the Ray head container",
            "Add a containerPort named serve to spec.headGroupSpec.template.spec.containers[0].ports, "
            "or remove the annotation.",
        )
    ]
