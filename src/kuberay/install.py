"""Everything that installs the operator into a cluster, as plain objects.

This is the single source of truth for the install: the Helm chart (deploy/helm/kuberay-operator)
and the kustomize base (deploy/kustomize/default) are tested to render exactly these objects, and
`kuberay install` prints or applies them for users without Helm.

RBAC holds only what the operator calls, plus what it must hold to grant the autoscaler's Role
(Kubernetes refuses to let anyone grant permissions they do not have themselves).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from kuberay.api.crd import established, render_crds
from kuberay.build.autoscaler import AUTOSCALER_RULES

COMPONENT = "kuberay-operator"
CONTAINER = "kuberay-operator"
IMAGE_REPOSITORY = "kuberay-python/operator"
METRICS_PORT = 8080
HEALTH_PORT = 8082
RBAC_API = "rbac.authorization.k8s.io"


def _version() -> str:
    try:
        return metadata.version("kuberay")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0.1.0"


DEFAULT_IMAGE = f"{IMAGE_REPOSITORY}:{_version()}"

# KubeRay's chart defaults: enough for thousands of pods' watches.
DEFAULT_RESOURCES: dict[str, Any] = {
    "limits": {"cpu": "100m", "memory": "512Mi"},
    "requests": {"cpu": "100m", "memory": "512Mi"},
}

# Namespaced rules: what the reconciler reads and writes in every watched namespace.
_OPERATOR_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": ["pods"],
        "verbs": ["create", "delete", "get", "list", "patch", "watch"],
    },
    # held only so the operator may grant it to the autoscaler (in-place pod resize)
    {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
    {
        "apiGroups": [""],
        "resources": ["services"],
        "verbs": ["create", "delete", "get", "list", "patch", "watch"],
    },
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create", "get", "list", "watch"]},
    # authOptions.mode token: the operator creates `<cluster>` holding the token; it never reads
    # other Secrets' data for anything but noticing its own exist.
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "get", "list", "watch"]},
    # headGroupSpec.enableIngress: the head's dashboard Ingress.
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingresses"],
        "verbs": ["create", "get", "list", "update", "watch"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    {
        "apiGroups": [RBAC_API],
        "resources": ["rolebindings", "roles"],
        "verbs": ["create", "get", "list", "watch"],
    },
    {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "list", "patch", "watch"]},
    {"apiGroups": ["ray.io"], "resources": ["rayclusters/status"], "verbs": ["get", "patch", "update"]},
    # RayJob: its clusters (created and deleted), its finalizer, its submitter Jobs; batch Jobs
    # also for GCS fault tolerance's Redis cleanup Job, created when a cluster is deleted
    {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["create", "delete", "update"]},
    {
        "apiGroups": ["ray.io"],
        "resources": ["rayjobs"],
        "verbs": ["delete", "get", "list", "patch", "update", "watch"],
    },
    {"apiGroups": ["ray.io"], "resources": ["rayjobs/status"], "verbs": ["get", "patch", "update"]},
    {"apiGroups": ["ray.io"], "resources": ["rayjobs/finalizers"], "verbs": ["update"]},
    # RayService: its serving clusters (the RayJob rule above creates and deletes them), its status
    {"apiGroups": ["ray.io"], "resources": ["rayservices"], "verbs": ["get", "list", "patch", "watch"]},
    {"apiGroups": ["ray.io"], "resources": ["rayservices/status"], "verbs": ["get", "patch", "update"]},
    {
        "apiGroups": ["batch"],
        "resources": ["jobs"],
        "verbs": ["create", "delete", "get", "list", "patch", "watch"],
    },
]

# kopf resolves resources by listing and watching CRDs (cluster-scoped); when it watches named
# namespaces it also lists and watches namespaces to notice them come and go.
_CRD_RULE: dict[str, Any] = {
    "apiGroups": ["apiextensions.k8s.io"],
    "resources": ["customresourcedefinitions"],
    "verbs": ["get", "list", "watch"],
}
_NAMESPACE_RULE: dict[str, Any] = {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]}

# client-go's leader election: read the Lease, create it once, then renew it by update.
_LEADER_RULES: list[dict[str, Any]] = [
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]},
]


@dataclass(frozen=True)
class InstallOptions:
    """Every knob of the install; the Helm chart's values map one to one onto these fields."""

    namespace: str = "ray-system"
    name: str = "kuberay-operator"
    image: str = DEFAULT_IMAGE
    image_pull_policy: str = "IfNotPresent"
    watch_namespaces: tuple[str, ...] = ()
    replicas: int = 1
    log_level: str = "info"
    leader_elect: bool = True
    resources: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_RESOURCES))
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    affinity: dict[str, Any] = field(default_factory=dict)
    env: tuple[dict[str, Any], ...] = ()
    # KubeRay's batchScheduler values: passed on, and refused by the operator at start.
    batch_scheduler: str = ""
    enable_batch_scheduler: bool = False
    pod_annotations: dict[str, str] = field(default_factory=dict)
    service_monitor: bool = False
    service_monitor_interval: str = "30s"
    service_monitor_labels: dict[str, str] = field(default_factory=dict)
    with_namespace: bool = True
    with_crd: bool = True


def operator_rules() -> list[dict[str, Any]]:
    """The namespaced rules, with the autoscaler's grants merged in so the operator may grant them."""
    rules = copy.deepcopy(_OPERATOR_RULES)
    for extra in AUTOSCALER_RULES:
        if not any(_covers(rule, extra) for rule in rules):
            rules.append(copy.deepcopy(extra))
    return rules


def _covers(rule: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return (
        set(wanted["apiGroups"]) <= set(rule["apiGroups"])
        and set(wanted["resources"]) <= set(rule["resources"])
        and set(wanted["verbs"]) <= set(rule["verbs"])
    )


def selector_labels(opts: InstallOptions) -> dict[str, str]:
    return {"app.kubernetes.io/name": COMPONENT, "app.kubernetes.io/instance": opts.name}


def labels(opts: InstallOptions) -> dict[str, str]:
    return {**selector_labels(opts), "app.kubernetes.io/component": COMPONENT}


def _meta(opts: InstallOptions, name: str, namespace: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = labels(opts)
    return meta


def operator_args(opts: InstallOptions) -> list[str]:
    args = [
        f"--metrics-addr=:{METRICS_PORT}",
        f"--health-addr=:{HEALTH_PORT}",
        f"--log-level={opts.log_level}",
    ]
    if opts.leader_elect:
        args.append("--leader-elect")
    args.extend(f"--namespace={ns}" for ns in opts.watch_namespaces)
    if opts.batch_scheduler:
        args.append(f"--batch-scheduler={opts.batch_scheduler}")
    if opts.enable_batch_scheduler:
        args.append("--enable-batch-scheduler")
    return args


def _binding(
    opts: InstallOptions, kind: str, name: str, namespace: str | None, role_kind: str
) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_API}/v1",
        "kind": kind,
        "metadata": _meta(opts, name, namespace),
        "roleRef": {"apiGroup": RBAC_API, "kind": role_kind, "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": opts.name, "namespace": opts.namespace}],
    }


def _role(
    opts: InstallOptions, kind: str, name: str, namespace: str | None, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_API}/v1",
        "kind": kind,
        "metadata": _meta(opts, name, namespace),
        "rules": copy.deepcopy(rules),
    }


def rbac_objects(opts: InstallOptions) -> list[dict[str, Any]]:
    """Cluster-wide: one ClusterRole with everything. Namespaced: the cluster-scoped reads stay in a
    ClusterRole, the rest is a Role in each watched namespace."""
    objects: list[dict[str, Any]] = []
    if opts.watch_namespaces:
        cluster_rules = [_CRD_RULE, _NAMESPACE_RULE]
    else:
        cluster_rules = [*operator_rules(), _CRD_RULE]
    objects.append(_role(opts, "ClusterRole", opts.name, None, cluster_rules))
    objects.append(_binding(opts, "ClusterRoleBinding", opts.name, None, "ClusterRole"))
    for ns in opts.watch_namespaces:
        objects.append(_role(opts, "Role", opts.name, ns, operator_rules()))
        objects.append(_binding(opts, "RoleBinding", opts.name, ns, "Role"))
    if opts.leader_elect:
        leader = f"{opts.name}-leader-election"
        objects.append(_role(opts, "Role", leader, opts.namespace, _LEADER_RULES))
        objects.append(_binding(opts, "RoleBinding", leader, opts.namespace, "Role"))
    return objects


def deployment(opts: InstallOptions) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": opts.image,
        "imagePullPolicy": opts.image_pull_policy,
        # Explicit, not left to the image's ENTRYPOINT, so runtimes without images (localkube) run it too.
        "command": ["kuberay", "operator"],
        "args": operator_args(opts),
        "ports": [
            {"name": "http", "containerPort": METRICS_PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": HEALTH_PORT},
            "initialDelaySeconds": 10,
            "periodSeconds": 5,
            "failureThreshold": 5,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": HEALTH_PORT},
            "initialDelaySeconds": 5,
            "periodSeconds": 5,
            "failureThreshold": 5,
        },
        "resources": copy.deepcopy(opts.resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if opts.env:
        container["env"] = [copy.deepcopy(e) for e in opts.env]
    pod_meta: dict[str, Any] = {"labels": labels(opts)}
    if opts.pod_annotations:
        pod_meta["annotations"] = dict(opts.pod_annotations)
    pod_spec: dict[str, Any] = {
        "serviceAccountName": opts.name,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000},
        "containers": [container],
    }
    if opts.node_selector:
        pod_spec["nodeSelector"] = dict(opts.node_selector)
    if opts.tolerations:
        pod_spec["tolerations"] = [copy.deepcopy(t) for t in opts.tolerations]
    if opts.affinity:
        pod_spec["affinity"] = copy.deepcopy(opts.affinity)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(opts, opts.name, opts.namespace),
        "spec": {
            "replicas": opts.replicas,
            "selector": {"matchLabels": selector_labels(opts)},
            "template": {"metadata": pod_meta, "spec": pod_spec},
        },
    }


def metrics_service(opts: InstallOptions) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(opts, opts.name, opts.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(opts),
            "ports": [{"name": "http", "port": METRICS_PORT, "targetPort": METRICS_PORT, "protocol": "TCP"}],
        },
    }


def service_monitor(opts: InstallOptions) -> dict[str, Any]:
    meta = _meta(opts, opts.name, opts.namespace)
    meta["labels"] = {**meta["labels"], **opts.service_monitor_labels}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": selector_labels(opts)},
            "namespaceSelector": {"matchNames": [opts.namespace]},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": opts.service_monitor_interval}],
        },
    }


def render(opts: InstallOptions) -> list[dict[str, Any]]:
    """All objects, in an order `kubectl apply -f` can create them in one pass."""
    objects: list[dict[str, Any]] = []
    if opts.with_namespace:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": opts.namespace}})
    if opts.with_crd:
        objects.extend(render_crds())
    objects.append(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(opts, opts.name, opts.namespace)}
    )
    objects.extend(rbac_objects(opts))
    objects.append(metrics_service(opts))
    if opts.service_monitor:
        objects.append(service_monitor(opts))
    objects.append(deployment(opts))
    return objects


def render_install(
    namespace: str = "ray-system",
    image: str = DEFAULT_IMAGE,
    watch_namespaces: Sequence[str] = (),
    replicas: int = 1,
    *,
    name: str = "kuberay-operator",
    log_level: str = "info",
) -> list[dict[str, Any]]:
    """The install as `kuberay install` prints it: namespace, CRD, RBAC, Service, Deployment."""
    return render(
        InstallOptions(
            namespace=namespace,
            name=name,
            image=image,
            watch_namespaces=tuple(watch_namespaces),
            replicas=replicas,
            log_level=log_level,
        )
    )


# The kustomize base: names as seed 003 shows them (`ray-operator` in `ray-system`).
KUSTOMIZE_OPTIONS = InstallOptions(namespace="ray-system", name="ray-operator")


def _crd_file(crd: dict[str, Any]) -> str:
    """KubeRay's file name for a CRD: `rayjobs.ray.io` -> `ray.io_rayjobs.yaml`."""
    plural, group = crd["metadata"]["name"].split(".", 1)
    return f"{group}_{plural}.yaml"


_KUSTOMIZE_FILES = {
    "Namespace": "namespace.yaml",
    "Service": "manager.yaml",
    "Deployment": "manager.yaml",
}
_KUSTOMIZATION = """\
# kubectl create -k deploy/kustomize/default
# The operator `ray-operator` in namespace `ray-system`, watching RayClusters in all namespaces.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ray-system
resources:
  - namespace.yaml
  - ray.io_rayclusters.yaml
  - ray.io_rayjobs.yaml
  - ray.io_rayservices.yaml
  - rbac.yaml
  - manager.yaml
"""
_GENERATED = (
    "# Generated by kuberay.install.kustomize_files (python -m kuberay.install); a test keeps it equal.\n"
)


def kustomize_files(opts: InstallOptions = KUSTOMIZE_OPTIONS) -> dict[str, str]:
    """File name -> content of deploy/kustomize/default."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for obj in render(opts):
        name = _crd_file(obj) if obj["kind"] == "CustomResourceDefinition" else None
        grouped.setdefault(name or _KUSTOMIZE_FILES.get(obj["kind"], "rbac.yaml"), []).append(obj)
    files = {"kustomization.yaml": _KUSTOMIZATION}
    for name, objects in grouped.items():
        text = dump_yaml(objects)
        # each CRD file stays byte-identical to `kuberay crd --kind KIND`
        files[name] = text if name.startswith("ray.io_") else _GENERATED + text
    return files


# ---------------------------------------------------------------------------------------------- I/O

# (apiVersion, kind) -> (path prefix, plural, namespaced), for the kinds the install holds.
_ROUTES: dict[tuple[str, str], tuple[str, str, bool]] = {
    ("v1", "Namespace"): ("/api/v1", "namespaces", False),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts", True),
    ("v1", "Service"): ("/api/v1", "services", True),
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments", True),
    (f"{RBAC_API}/v1", "ClusterRole"): (f"/apis/{RBAC_API}/v1", "clusterroles", False),
    (f"{RBAC_API}/v1", "ClusterRoleBinding"): (f"/apis/{RBAC_API}/v1", "clusterrolebindings", False),
    (f"{RBAC_API}/v1", "Role"): (f"/apis/{RBAC_API}/v1", "roles", True),
    (f"{RBAC_API}/v1", "RoleBinding"): (f"/apis/{RBAC_API}/v1", "rolebindings", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): (
        "/apis/apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        False,
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): (
        "/apis/monitoring.coreos.com/v1",
        "servicemonitors",
        True,
    ),
}


def object_path(obj: dict[str, Any], named: bool) -> str:
    prefix, plural, namespaced = _ROUTES[(obj["apiVersion"], obj["kind"])]
    meta = obj["metadata"]
    path = prefix
    if namespaced:
        path += f"/namespaces/{meta['namespace']}"
    path += f"/{plural}"
    if named:
        path += f"/{meta['name']}"
    return path


def describe(obj: dict[str, Any]) -> str:
    """`kubectl apply`'s way of naming an object: deployment.apps/kuberay-operator."""
    group = obj["apiVersion"].rpartition("/")[0]
    resource = obj["kind"].lower() + (f".{group}" if group else "")
    return f"{resource}/{obj['metadata']['name']}"


async def apply(objects: Sequence[dict[str, Any]], kubeconfig: str | None) -> list[str]:
    """Create each object, or merge-patch it when it exists; returns kubectl-style result lines.

    Merge patch replaces lists whole, so rules, args and ports end up exactly as rendered, while
    fields the server owns (a Service's clusterIP) are kept.
    """
    from kuberay.controller.connection import connect
    from kuberay.controller.kubeapi import KubeAPI

    conn = await connect(kubeconfig)
    lines: list[str] = []
    async with conn.api_client() as api_client:
        api = KubeAPI(api_client)

        async def call(method: str, path: str, body: Any, content_type: str) -> tuple[int, dict[str, Any]]:
            return await api.raw(method, path, str(body.get("kind", "")), body, content_type)

        for obj in objects:
            status, payload = await call("POST", object_path(obj, named=False), obj, "application/json")
            if status == 409:
                status, payload = await call(
                    "PATCH", object_path(obj, named=True), obj, "application/merge-patch+json"
                )
                verb = "configured"
            else:
                verb = "created"
            if not 200 <= status < 300:
                raise InstallError(f"{describe(obj)}: {status} {payload.get('message', payload)}")
            lines.append(f"{describe(obj)} {verb}")
        # A RayCluster applied right after `install --apply` must find its CRD served: real
        # kube-apiserver serves a new CRD only once Established, a moment later (`kubectl wait`).
        for crd in (o for o in objects if o["kind"] == "CustomResourceDefinition"):
            path = object_path(crd, named=True)
            deadline = asyncio.get_running_loop().time() + CRD_ESTABLISHED_TIMEOUT
            while not established(payload := (await call("GET", path, crd, "application/json"))[1]):
                if asyncio.get_running_loop().time() > deadline:
                    raise InstallError(
                        f"{describe(crd)}: not Established after {CRD_ESTABLISHED_TIMEOUT:.0f} s "
                        f"(conditions: {(payload.get('status') or {}).get('conditions')})"
                    )
                await asyncio.sleep(0.2)
    return lines


CRD_ESTABLISHED_TIMEOUT = 60.0


class InstallError(Exception):
    """The API server refused one of the install's objects."""


def dump_yaml(objects: Sequence[dict[str, Any]]) -> str:
    import yaml

    return yaml.safe_dump_all(list(objects), sort_keys=False, default_flow_style=False)


def add_install_subcommand(sub: Any) -> None:
    """`kuberay install`: registered by kuberay.cli."""
    import argparse

    p: argparse.ArgumentParser = sub.add_parser(
        "install", help="print (or --apply) the operator's namespace, CRD, RBAC, Service and Deployment"
    )
    p.add_argument("--namespace", default="ray-system", help="namespace the operator runs in")
    p.add_argument(
        "--name", default="kuberay-operator", help="name of the Deployment, ServiceAccount and RBAC"
    )
    p.add_argument("--image", default=DEFAULT_IMAGE, help="operator container image")
    p.add_argument("--replicas", type=int, default=1, help="operator replicas (one leads at a time)")
    p.add_argument(
        "--watch-namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch only this namespace, with a Role there instead of a ClusterRole (repeatable)",
    )
    p.add_argument("--log-level", default="info")
    p.add_argument("--apply", action="store_true", help="create/update the objects through the API")
    p.add_argument("--kubeconfig", default=None, help="kubeconfig for --apply (default: $KUBECONFIG)")
    p.set_defaults(func=run_install_command)


def run_install_command(args: Any) -> int:
    import sys

    objects = render_install(
        args.namespace,
        args.image,
        args.watch_namespace,
        args.replicas,
        name=args.name,
        log_level=args.log_level,
    )
    if not args.apply:
        sys.stdout.write(dump_yaml(objects))
        return 0
    try:
        lines = asyncio.run(apply(objects, args.kubeconfig))
    except InstallError as e:
        print(f"kuberay install: {e}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":  # regenerate the committed kustomize base and the chart's CRD
    from pathlib import Path

    _deploy = Path(__file__).resolve().parents[2] / "deploy"
    for _name, _text in kustomize_files().items():
        (_deploy / "kustomize" / "default" / _name).write_text(_text)
    for _crd in render_crds():
        (_deploy / "helm" / "kuberay-operator" / "crds" / _crd_file(_crd)).write_text(dump_yaml([_crd]))
