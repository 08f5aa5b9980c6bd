"""RayCluster -> the head and worker Pods KubeRay would create (pure; no I/O).

The user's pod template is kept as given; KubeRay's additions are layered on top in KubeRay's
order: labels, generated `ray start` command, env vars, /dev/shm, log volume, autoscaler sidecar,
probes, metrics port, the wait-for-GCS init container on workers. The Ray container is the first
container of each template, as in KubeRay.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kuberay.build import auth, command, naming
from kuberay.build.autoscaler import build_autoscaler_container
from kuberay.build.naming import DEFAULT_OPTIONS, HEAD, WORKER, BuildOptions
from kuberay.build.rayservice.pods import add_serving

SHARED_MEMORY_VOLUME = "shared-mem"
SHARED_MEMORY_PATH = "/dev/shm"
RAY_LOG_VOLUME = "ray-logs"
RAY_LOG_PATH = "/tmp/ray"
WAIT_GCS_READY = "wait-gcs-ready"
HEALTH_PATH_UNIFIED = "/api/healthz"
_FAQ = (
    "For troubleshooting, refer to the FAQ at "
    "https://docs.ray.io/en/master/cluster/kubernetes/troubleshooting.html."
)
_WGET = "wget --tries 1 -T {timeout} -q -O- http://localhost:{port}/{path} | grep success"


def _field_env(name: str, field_path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def _has_env(env: list[dict[str, Any]], name: str) -> bool:
    return any(e.get("name") == name for e in env)


def _ray_container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec["containers"]
    return containers[0]


def _labels(
    cluster: dict[str, Any], node_type: str, group: str, user_labels: dict[str, str]
) -> dict[str, str]:
    labels = {
        naming.IS_RAY_NODE_LABEL: "yes",
        naming.CLUSTER_LABEL: naming.cluster_name(cluster),
        naming.NODE_TYPE_LABEL: node_type,
        naming.GROUP_LABEL: group,
        naming.IDENTIFIER_LABEL: naming.identifier(cluster, node_type),
        naming.APP_NAME_LABEL: naming.APP_NAME,
        naming.CREATED_BY_LABEL: naming.COMPONENT_NAME,
    }
    # Users may override everything except the three keys the operator selects pods by.
    protected = (naming.NODE_TYPE_LABEL, naming.GROUP_LABEL, naming.CLUSTER_LABEL)
    labels.update({k: v for k, v in user_labels.items() if k not in protected})
    return labels


def _is_overwrite_cmd(annotations: dict[str, str]) -> bool:
    return str(annotations.get(naming.OVERWRITE_CMD_ANNOTATION, "")).lower() == "true"


def is_gcs_ft_enabled(cluster: dict[str, Any]) -> bool:
    annotations = cluster["metadata"].get("annotations") or {}
    flag = str(annotations.get(naming.FT_ENABLED_ANNOTATION, "")).lower() == "true"
    return flag or cluster["spec"].get("gcsFaultToleranceOptions") is not None


def _ensure_metrics_port(container: dict[str, Any]) -> None:
    ports = container.setdefault("ports", [])
    if not any(p.get("name") == "metrics" for p in ports):
        ports.append({"name": "metrics", "containerPort": naming.DEFAULT_METRICS_PORT})


_REDIS_CREDENTIALS = (
    ("redisUsername", "REDIS_USERNAME", "redis-username"),
    ("redisPassword", "REDIS_PASSWORD", "redis-password"),
)


def _redis_credential_params(cluster: dict[str, Any]) -> dict[str, str]:
    """rayStartParams pointing `ray start` at the Redis credentials' env vars (head only)."""
    options = cluster["spec"].get("gcsFaultToleranceOptions") or {}
    return {
        param: f"${env_name}" for key, env_name, param in _REDIS_CREDENTIALS if options.get(key) is not None
    }


def _configure_gcs_ft(
    cluster: dict[str, Any], template: dict[str, Any], params: dict[str, str], node_type: str
) -> None:
    enabled = is_gcs_ft_enabled(cluster)
    annotations = template["metadata"].setdefault("annotations", {})
    if node_type == HEAD:
        annotations[naming.FT_ENABLED_ANNOTATION] = "true" if enabled else "false"
    if not enabled:
        return
    container = _ray_container(template["spec"])
    env = container.setdefault("env", [])
    if node_type == WORKER:
        # Workers wait up to 600 s for a restarted GCS instead of Ray's default 60 s.
        if not _has_env(env, "RAY_gcs_rpc_server_reconnect_timeout_s"):
            env.append({"name": "RAY_gcs_rpc_server_reconnect_timeout_s", "value": "600"})
        return
    options = cluster["spec"].get("gcsFaultToleranceOptions")
    cluster_annotations = cluster["metadata"].get("annotations") or {}
    storage_ns = str(cluster["metadata"].get("uid", ""))
    storage_ns = cluster_annotations.get(naming.EXTERNAL_STORAGE_NS_ANNOTATION, storage_ns)
    if options and options.get("externalStorageNamespace"):
        storage_ns = options["externalStorageNamespace"]
    annotations[naming.EXTERNAL_STORAGE_NS_ANNOTATION] = storage_ns
    if not _has_env(env, "RAY_external_storage_namespace"):
        env.append({"name": "RAY_external_storage_namespace", "value": storage_ns})
    if options is not None:
        env.append({"name": "RAY_REDIS_ADDRESS", "value": options.get("redisAddress", "")})
        for key, env_name, _ in _REDIS_CREDENTIALS:
            cred = options.get(key)
            if cred is not None:
                entry: dict[str, Any] = {"name": env_name}
                if cred.get("value"):
                    entry["value"] = cred["value"]
                if cred.get("valueFrom"):
                    entry["valueFrom"] = copy.deepcopy(cred["valueFrom"])
                env.append(entry)
    elif not _has_env(env, "REDIS_PASSWORD") and "redis-password" in params:
        env.append({"name": "REDIS_PASSWORD", "value": params["redis-password"]})


def start_params(
    cluster: dict[str, Any], group: dict[str, Any], node_type: str, options: BuildOptions
) -> dict[str, str]:
    """The `ray start` flags of a head or worker group: the user's rayStartParams plus what KubeRay
    derives from the group, the cluster and the Ray container's resources (a new dict)."""
    params = dict(group.get("rayStartParams") or {})
    command.apply_group_resources(params, group.get("resources"))
    command.apply_group_labels(params, group.get("labels"))
    fqdn = naming.head_fqdn(cluster, options) if node_type == WORKER else ""
    command.set_missing_params(params, node_type, naming.head_port(cluster), fqdn)
    if node_type == HEAD:
        if naming.is_autoscaling_enabled(cluster):
            # Ray's own monitor cannot drive Kubernetes; the sidecar autoscaler does instead.
            params["no-monitor"] = "true"
        params.update(_redis_credential_params(cluster))
    containers = ((group.get("template") or {}).get("spec") or {}).get("containers") or [{}]
    command.add_resource_params(params, containers[0].get("resources") or {})
    return params


def _add_autoscaler(cluster: dict[str, Any], spec: dict[str, Any], options: BuildOptions) -> None:
    """The head's autoscaler sidecar, its service account and the autoscaler version's env."""
    spec["serviceAccountName"] = naming.autoscaler_service_account_name(cluster)
    image = _ray_container(spec).get("image", "")
    spec["containers"].append(build_autoscaler_container(cluster, image, options))
    version = naming.autoscaler_version(cluster)
    ray_env = _ray_container(spec).setdefault("env", [])
    if version == "v2":
        ray_env.append({"name": "RAY_enable_autoscaler_v2", "value": "true"})
        spec["restartPolicy"] = "Never"
    elif version == "v1":
        ray_env.append({"name": "RAY_enable_autoscaler_v2", "value": "false"})


@dataclass(frozen=True)
class _Place:
    """Where a pod sits in its cluster: node type, group, and (workers) its replica and host."""

    node_type: str
    group: dict[str, Any]
    replica_index: int = 0
    replica_name: str | None = None
    host_index: int = 0

    @property
    def group_label(self) -> str:
        return naming.HEAD_GROUP_LABEL_VALUE if self.node_type == HEAD else str(self.group["groupName"])


def _pod_metadata(
    cluster: dict[str, Any], meta: dict[str, Any], place: _Place, options: BuildOptions
) -> None:
    """Name (or generateName), namespace and KubeRay's labels on the template's metadata."""
    name = naming.cluster_name(cluster)
    if place.node_type == HEAD and options.deterministic_head_pod_name:
        meta["name"] = naming.pod_name_prefix(name, HEAD, generate=False)
    else:
        # Replicas share one template, so a fixed name would collide (KubeRay names heads randomly too).
        meta.pop("name", None)
        prefix = name if place.node_type == HEAD else f"{name}-{place.group['groupName']}"
        meta["generateName"] = naming.pod_name_prefix(prefix, place.node_type)
    meta["namespace"] = naming.cluster_namespace(cluster)
    user_labels = {**(meta.get("labels") or {}), **(place.group.get("labels") or {})}
    labels = _labels(cluster, place.node_type, place.group_label, user_labels)
    if place.node_type == WORKER:
        labels[naming.REPLICA_INDEX_LABEL] = str(place.replica_index)
        if int(place.group.get("numOfHosts") or 1) > 1:
            labels[naming.REPLICA_NAME_LABEL] = place.replica_name or ""
            labels[naming.HOST_INDEX_LABEL] = str(place.host_index)
    meta["labels"] = labels


def _template(
    cluster: dict[str, Any], place: _Place, params: dict[str, str], options: BuildOptions
) -> dict[str, Any]:
    """The group's pod template with KubeRay's additions, one path for head and workers."""
    template = copy.deepcopy(place.group["template"])
    meta = template.setdefault("metadata", {})
    spec = template.setdefault("spec", {})
    if place.node_type == WORKER and options.enable_init_container_injection:
        # Copied from the Ray container before anything is added to it, as KubeRay does.
        fqdn, port = naming.head_fqdn(cluster, options), naming.head_port(cluster)
        spec.setdefault("initContainers", []).append(
            _wait_gcs_ready_container(_ray_container(spec), fqdn, port, options)
        )
    _pod_metadata(cluster, meta, place, options)
    _init_annotations(cluster, template)
    autoscaling = naming.is_autoscaling_enabled(cluster)
    if place.node_type == HEAD and autoscaling:
        _add_autoscaler(cluster, spec, options)
    _configure_gcs_ft(cluster, template, params, place.node_type)
    _ensure_metrics_port(_ray_container(spec))
    if place.node_type == WORKER and autoscaling and naming.autoscaler_version(cluster) == "v2":
        spec["restartPolicy"] = "Never"
    if auth.is_auth_enabled(cluster):
        auth.configure_pod_auth(cluster, spec)
    return template


def _build_pod(cluster: dict[str, Any], place: _Place, options: BuildOptions) -> dict[str, Any]:
    params = start_params(cluster, place.group, place.node_type, options)
    return _finish_pod(cluster, _template(cluster, place, params, options), place.node_type, params, options)


def _init_annotations(cluster: dict[str, Any], template: dict[str, Any]) -> None:
    annotations = template["metadata"].setdefault("annotations", {})
    if _is_overwrite_cmd(cluster["metadata"].get("annotations") or {}):
        annotations[naming.OVERWRITE_CMD_ANNOTATION] = "true"


def _wait_gcs_ready_container(
    ray: dict[str, Any], fqdn: str, port: str, options: BuildOptions
) -> dict[str, Any]:
    # Workers start only once the head's GCS answers; a quiet loop first, verbose after 2 minutes.
    script = f"""
SECONDS=0
while true; do
  if (( SECONDS <= 120 )); then
    if ray health-check --address {fqdn}:{port} > /dev/null 2>&1; then
      echo "GCS is ready."
      break
    fi
    echo "$SECONDS seconds elapsed: Waiting for GCS to be ready."
  else
    if ray health-check --address {fqdn}:{port}; then
      echo "GCS is ready. Any error messages above can be safely ignored."
      break
    fi
    echo "$SECONDS seconds elapsed: Still waiting for GCS to be ready. {_FAQ}"
  fi
  sleep 5
done
"""
    init: dict[str, Any] = {
        "name": WAIT_GCS_READY,
        "image": ray.get("image", ""),
        "command": command.container_shell(options),
        "args": [script],
        # TLS settings and the files they name live in the Ray container's env and mounts.
        "env": copy.deepcopy(ray.get("env") or []),
        "volumeMounts": copy.deepcopy(ray.get("volumeMounts") or []),
        "resources": {
            "limits": {"cpu": "200m", "memory": "256Mi"},
            "requests": {"cpu": "200m", "memory": "256Mi"},
        },
    }
    if ray.get("imagePullPolicy"):
        init["imagePullPolicy"] = ray["imagePullPolicy"]
    if ray.get("securityContext") is not None:
        init["securityContext"] = copy.deepcopy(ray["securityContext"])
    return init


def _memory_size_limit(container: dict[str, Any]) -> Any:
    resources = container.get("resources") or {}
    for kind in ("limits", "requests"):
        value = (resources.get(kind) or {}).get("memory")
        if value is not None:
            return value
    return None


def _add_empty_dir(
    pod: dict[str, Any], container: dict[str, Any], name: str, path: str, memory: bool
) -> None:
    mounts = container.setdefault("volumeMounts", [])
    if any(m.get("mountPath") == path for m in mounts):
        return
    volumes = pod["spec"].setdefault("volumes", [])
    if not any(v.get("name") == name for v in volumes):
        empty_dir: dict[str, Any] = {}
        if memory:
            empty_dir["medium"] = "Memory"
            size = _memory_size_limit(container)
            if size is not None:
                empty_dir["sizeLimit"] = size
        volumes.append({"name": name, "emptyDir": empty_dir})
    mounts.append({"mountPath": path, "name": name})


def _supports_unified_health_check(ray_version: str | None) -> bool:
    """Ray >= 2.53 serves one HTTP health endpoint; older Rays get KubeRay's wget exec probes."""
    if not ray_version:
        return False
    parts = ray_version.lstrip("v").split("-", 1)[0].split("+", 1)[0].split(".")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return False
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers[:3]) >= (2, 53, 0)


def _probe_port(params: dict[str, str], key: str, default: int) -> int:
    try:
        value = int(params[key])
    except (KeyError, ValueError):
        return default
    return value if -(2**31) <= value < 2**31 else default


def _add_probes(
    container: dict[str, Any], node_type: str, params: dict[str, str], ray_version: str | None
) -> None:
    agent_port = _probe_port(
        params, "dashboard-agent-listen-port", naming.DEFAULT_DASHBOARD_AGENT_LISTEN_PORT
    )
    dashboard_port = _probe_port(params, "dashboard-port", naming.DEFAULT_DASHBOARD_PORT)
    checks = [_WGET.format(timeout=2, port=agent_port, path="api/local_raylet_healthz")]
    if node_type == HEAD:
        # KubeRay passes its readiness failure threshold (10) as this wget's timeout.
        checks.append(_WGET.format(timeout=10, port=dashboard_port, path="api/gcs_healthz"))
    if _supports_unified_health_check(ray_version):
        action: dict[str, Any] = {"httpGet": {"path": HEALTH_PATH_UNIFIED, "port": agent_port}}
    else:
        action = {"exec": {"command": ["bash", "-c", " && ".join(checks)]}}
    head = node_type == HEAD
    if container.get("livenessProbe") is None:
        container["livenessProbe"] = {
            "initialDelaySeconds": 30,
            "timeoutSeconds": 5 if head else 2,
            "periodSeconds": 5,
            "successThreshold": 1,
            "failureThreshold": 120,
            **copy.deepcopy(action),
        }
    if container.get("readinessProbe") is None:
        container["readinessProbe"] = {
            "initialDelaySeconds": 10,
            "timeoutSeconds": 5 if head else 2,
            "periodSeconds": 5,
            "successThreshold": 1,
            "failureThreshold": 10,
            **copy.deepcopy(action),
        }


def _ray_env(
    cluster: dict[str, Any], container: dict[str, Any], node_type: str, start_cmd: str, options: BuildOptions
) -> None:
    env = container.setdefault("env", [])
    fqdn = naming.head_fqdn(cluster, options)
    port = naming.head_port(cluster)
    ip = "127.0.0.1"
    if node_type == WORKER:
        ip = fqdn
        env.append({"name": "FQ_RAY_IP", "value": fqdn})
        env.append({"name": "RAY_IP", "value": fqdn.split(".")[0]})  # deprecated, kept for old scripts
    env.append(_field_env("RAY_CLUSTER_NAME", f"metadata.labels['{naming.CLUSTER_LABEL}']"))
    env.append(_field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"))
    env.append(_field_env("RAY_CLOUD_INSTANCE_ID", "metadata.name"))
    env.append(_field_env("RAY_NODE_TYPE_NAME", f"metadata.labels['{naming.GROUP_LABEL}']"))
    env.append({"name": "KUBERAY_GEN_RAY_START_CMD", "value": start_cmd})
    if not _has_env(env, "RAY_PORT"):
        env.append({"name": "RAY_PORT", "value": port})
    if not _has_env(env, "RAY_ADDRESS"):
        env.append({"name": "RAY_ADDRESS", "value": f"{ip}:{port}"})
    if not _has_env(env, "RAY_USAGE_STATS_KUBERAY_IN_USE"):
        env.append({"name": "RAY_USAGE_STATS_KUBERAY_IN_USE", "value": "1"})
    if node_type == HEAD:
        tags = f"kuberay_version={options.kuberay_version};kuberay_crd=RayCluster"
        env.append({"name": "RAY_USAGE_STATS_EXTRA_TAGS", "value": tags})
    if not _has_env(env, "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE"):
        env.append({"name": "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "value": "1"})


def _finish_pod(
    cluster: dict[str, Any],
    template: dict[str, Any],
    node_type: str,
    params: dict[str, str],
    options: BuildOptions,
) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template.get("metadata", {}),
        "spec": template["spec"],
    }
    pod["metadata"]["ownerReferences"] = [naming.owner_reference(cluster)]
    ray = _ray_container(pod["spec"])
    if "plasma-directory" not in params:
        _add_empty_dir(pod, ray, SHARED_MEMORY_VOLUME, SHARED_MEMORY_PATH, memory=True)
    if node_type == HEAD and naming.is_autoscaling_enabled(cluster):
        # The autoscaler writes event logs the head's dashboard reads: share /tmp/ray.
        autoscaler = next(c for c in pod["spec"]["containers"] if c.get("name") == "autoscaler")
        _add_empty_dir(pod, ray, RAY_LOG_VOLUME, RAY_LOG_PATH, memory=False)
        _add_empty_dir(pod, autoscaler, RAY_LOG_VOLUME, RAY_LOG_PATH, memory=False)

    start_cmd = command.ray_start_command(node_type, params)
    user_cmd = command.user_command_string(ray)
    annotations = pod["metadata"].get("annotations") or {}
    if not _is_overwrite_cmd(annotations) and "ray start" not in user_cmd:
        generated = f"{command.ULIMIT_CMD}; {start_cmd}"
        ray["command"] = command.container_shell(options)
        # `--block` never returns, so the user's own command has to run first.
        ray["args"] = [f"{user_cmd} && {generated}" if user_cmd else generated]

    fqdn = naming.head_fqdn(cluster, options)
    for init in pod["spec"].get("initContainers") or []:
        init.setdefault("env", []).extend(
            [{"name": "FQ_RAY_IP", "value": fqdn}, {"name": "RAY_IP", "value": fqdn.split(".")[0]}]
        )
    _ray_env(cluster, ray, node_type, start_cmd, options)
    probe_injected = options.enable_probes_injection and ray.get("readinessProbe") is None
    if options.enable_probes_injection:
        _add_probes(ray, node_type, params, cluster["spec"].get("rayVersion"))
    add_serving(cluster, pod, node_type, probe_injected=probe_injected)
    _drop_empty(pod)
    return pod


def _drop_empty(pod: dict[str, Any]) -> None:
    """Omit empty maps and lists we introduced, as Kubernetes' omitempty serialization does."""
    meta = pod["metadata"]
    for key in ("annotations", "labels"):
        if key in meta and not meta[key]:
            del meta[key]
    for container in pod["spec"].get("initContainers") or []:
        for key in ("env", "volumeMounts"):
            if key in container and not container[key]:
                del container[key]


def build_head_pod(cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """The head Pod KubeRay creates for this RayCluster (metadata.generateName, no name)."""
    pod = _build_pod(cluster, _Place(HEAD, cluster["spec"]["headGroupSpec"]), options)
    # What upgradeStrategy Recreate compares against (see scaling.needs_recreate).
    annotations = pod["metadata"].setdefault("annotations", {})
    annotations[naming.UPGRADE_HASH_ANNOTATION] = naming.spec_hash(cluster)
    annotations[naming.KUBERAY_VERSION_ANNOTATION] = options.kuberay_version
    return pod


def build_worker_pod(
    cluster: dict[str, Any],
    group: int | str,
    *,
    replica_index: int = 0,
    replica_name: str | None = None,
    host_index: int = 0,
    options: BuildOptions = DEFAULT_OPTIONS,
) -> dict[str, Any]:
    """A worker Pod of `group` (index or groupName). Multi-host groups (numOfHosts > 1) name the
    replica (`replica_name`, shared by its hosts) and the host within it (`host_index`)."""
    place = _Place(WORKER, naming.find_group(cluster, group), replica_index, replica_name, host_index)
    return _build_pod(cluster, place, options)
