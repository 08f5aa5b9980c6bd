"""Ray's autoscaler sidecar for the head pod, and the RBAC it runs under (pure).

The sidecar runs Ray's own `ray kuberay-autoscaler`, which reads the RayCluster (including
autoscalerOptions.idleTimeoutSeconds and upscalingMode) and patches `replicas` and
`scaleStrategy.workersToDelete`. The Role grants exactly what KubeRay grants it.
"""

from __future__ import annotations

import copy
from typing import Any

from kuberay.build import auth, naming
from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions

AUTOSCALER_CONTAINER = "autoscaler"
AUTOSCALER_START_CMD = (
    "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"
)
DEFAULT_AUTOSCALER_RESOURCES: dict[str, Any] = {
    "limits": {"cpu": "500m", "memory": "512Mi"},
    "requests": {"cpu": "500m", "memory": "512Mi"},
}


def build_autoscaler_container(
    cluster: dict[str, Any], ray_image: str, options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """The `autoscaler` container with every autoscalerOptions override applied."""
    container: dict[str, Any] = {
        "name": AUTOSCALER_CONTAINER,
        "image": ray_image,
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {
                "name": "RAY_CLUSTER_NAME",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{naming.CLUSTER_LABEL}']"}},
            },
            {"name": "RAY_CLUSTER_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "RAY_HEAD_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "KUBERAY_CRD_VER", "value": "v1"},
            # Lets users who override `args` still run the generated command.
            {"name": "KUBERAY_GEN_AUTOSCALER_START_CMD", "value": AUTOSCALER_START_CMD},
        ],
        "command": ["/bin/bash", "-cl" if options.enable_login_shell else "-c", "--"],
        "args": [AUTOSCALER_START_CMD],
        "resources": copy.deepcopy(DEFAULT_AUTOSCALER_RESOURCES),
    }
    if auth.is_auth_enabled(cluster):
        # The autoscaler talks to the GCS and dashboard, which demand the token too.
        auth.set_container_auth(cluster, container)
    overrides = cluster["spec"].get("autoscalerOptions") or {}
    if overrides.get("resources") is not None:
        container["resources"] = copy.deepcopy(overrides["resources"])
    if overrides.get("image") is not None:
        container["image"] = overrides["image"]
    if overrides.get("imagePullPolicy") is not None:
        container["imagePullPolicy"] = overrides["imagePullPolicy"]
    if overrides.get("env"):
        container["env"].extend(copy.deepcopy(overrides["env"]))
    if overrides.get("envFrom"):
        container.setdefault("envFrom", []).extend(copy.deepcopy(overrides["envFrom"]))
    if overrides.get("volumeMounts"):
        container.setdefault("volumeMounts", []).extend(copy.deepcopy(overrides["volumeMounts"]))
    if overrides.get("securityContext") is not None:
        container["securityContext"] = copy.deepcopy(overrides["securityContext"])
    if overrides.get("command"):
        container["command"] = list(overrides["command"])
    if overrides.get("args"):
        container["args"] = list(overrides["args"])
    return container


def _rbac_labels(cluster: dict[str, Any]) -> dict[str, str]:
    return {
        naming.CLUSTER_LABEL: naming.cluster_name(cluster),
        naming.APP_NAME_LABEL: naming.APP_NAME,
        naming.CREATED_BY_LABEL: naming.COMPONENT_NAME,
    }


# What `ray kuberay-autoscaler` calls: read/list/watch/patch pods (v2 also resizes them in place),
# read and patch its RayCluster.
AUTOSCALER_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
    {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "patch"]},
]


def build_autoscaler_rbac(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding for the autoscaler, all owned by the RayCluster.

    Empty when in-tree autoscaling is off. When the head template names its own
    serviceAccountName, the user owns that ServiceAccount (KubeRay does not create it), so only
    the Role and RoleBinding are returned.
    """
    if not naming.is_autoscaling_enabled(cluster):
        return []
    namespace = naming.cluster_namespace(cluster)
    owner = [naming.owner_reference(cluster)]
    sa_name = naming.autoscaler_service_account_name(cluster)
    role_name = naming.check_name(naming.cluster_name(cluster))

    def meta(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": namespace,
            "labels": _rbac_labels(cluster),
            "ownerReferences": owner,
        }

    objects: list[dict[str, Any]] = []
    template_sa = cluster["spec"]["headGroupSpec"]["template"].get("spec", {}).get("serviceAccountName")
    if not template_sa:
        objects.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(sa_name)})
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta(role_name),
            "rules": copy.deepcopy(AUTOSCALER_RULES),
        }
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta(role_name),
            "subjects": [{"kind": "ServiceAccount", "name": sa_name, "namespace": namespace}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        }
    )
    return objects
