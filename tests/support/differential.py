"""What KubeRay's operator and ours made for the same RayCluster, flattened so the two can be compared
(issue 11): names, uids, hashes and namespaces normalised away, every remaining field a path, and
the known, explained differences read from docs/differences.md. Pure, apart from `snapshot`, which
lists the objects."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes

from support.paths import REPO

DIFFERENCES_DOC = REPO / "docs" / "differences.md"
# The section of docs/differences.md the tests read: one bullet per difference, "- `pattern`: why".
_SECTION = "## Differences the tests know"
_BULLET = re.compile(r"^- `([^`]+)`: (.+)$")

# Set by the API server or by the test playing the kubelet, not by either operator.
_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "namespace",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_POD_SERVER_SPEC = ("nodeName",)
_SERVICE_SERVER_SPEC = ("clusterIP", "clusterIPs", "healthCheckNodePort")
# kube-apiserver's ServiceAccount admission mounts the API token under a random name.
_TOKEN_VOLUME = re.compile(r"^kube-api-access-[a-z0-9]{5}$")
_RANDOM_SUFFIX = re.compile(r"-[a-z0-9]{5}$")
# List items keyed by a field rather than their position, so that an extra env var does not shift
# every later one into a difference of its own.
_LIST_KEYS = ("name", "mountPath", "containerPort", "port", "type", "key", "ip")
# KubeRay 1.6's open-files limit (overridable by an env var) in the form v1.5 hard-codes: the one
# known difference in the Ray containers' command lines (docs/differences.md), taken out here so
# that any other difference in them still fails.
_ULIMIT_16 = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}"
_ULIMIT_15 = "ulimit -n 65536"


def load_known(path: Path = DIFFERENCES_DOC) -> dict[str, str]:
    """pattern -> reason, from the known-differences section of docs/differences.md."""
    known: dict[str, str] = {}
    inside = False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            inside = line.strip() == _SECTION
            continue
        if inside and (m := _BULLET.match(line.strip())):
            known[m.group(1)] = m.group(2)
    return known


def _glob(pattern: str) -> re.Pattern[str]:
    """`*` matches anything; every other character, brackets of `env[NAME]` included, itself."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def explained(path: str, known: Mapping[str, str]) -> str | None:
    """The reason a differing path is expected, if docs/differences.md lists it."""
    for pattern, why in known.items():
        if _glob(pattern).fullmatch(path):
            return why
    return None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of `value` as `a.b[key].c` -> leaf. Lists of objects are keyed by their name (or
    port, mountPath...), lists of scalars stay whole leaves."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        if not value:
            out[prefix] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        key = next((k for k in _LIST_KEYS if all(k in v for v in value)), None)
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            label = str(item[key]) if key else str(i)
            n = seen.get(label, 0)
            seen[label] = n + 1
            out.update(flatten(item, f"{prefix}[{label}{'#' + str(n) if n else ''}]"))
    else:
        out[prefix] = value
    return out


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _scrub(value: Any, namespace: str) -> Any:
    """The namespace's name replaced by <ns> in every string (service DNS names, addresses,
    RoleBinding subjects); generated UUIDs (GCS FT's external storage namespace) by <uuid>."""
    if isinstance(value, str):
        if value == namespace:
            return "<ns>"
        if _UUID.match(value):
            return "<uuid>"
        return value.replace(f".{namespace}.", ".<ns>.").replace(f".{namespace}", ".<ns>")
    if isinstance(value, dict):
        return {k: _scrub(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, namespace) for v in value]
    return value


def _base_name(meta: Mapping[str, Any]) -> str:
    if meta.get("generateName"):
        return str(meta["generateName"]).rstrip("-") + "-*"
    return str(meta.get("name", ""))


def normalise(obj: Mapping[str, Any], namespace: str) -> tuple[str, dict[str, Any]]:
    """(Kind/name with random suffixes replaced by *, the object without what the API server or
    the kubelet set)."""
    obj = _scrub(obj, namespace)
    kind = obj["kind"]
    meta = dict(obj.get("metadata") or {})
    for k in _SERVER_METADATA:
        meta.pop(k, None)
    name = _base_name(meta)
    meta.pop("name", None)
    meta.pop("generateName", None)
    if refs := meta.get("ownerReferences"):
        meta["ownerReferences"] = [{k: v for k, v in r.items() if k != "uid"} for r in refs]
    for field in ("annotations", "labels"):
        if values := meta.get(field):
            meta[field] = {k: ("<hash>" if "hash" in k else v) for k, v in values.items()}
    out: dict[str, Any] = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
    out["metadata"] = meta
    if kind == "Pod":
        spec = {k: v for k, v in (obj.get("spec") or {}).items() if k not in _POD_SERVER_SPEC}
        spec["volumes"] = [v for v in spec.get("volumes") or [] if not _TOKEN_VOLUME.match(v["name"])]
        spec["containers"] = [_comparable_container(c) for c in spec.get("containers") or []]
        if spec.get("initContainers"):
            spec["initContainers"] = [_comparable_container(c) for c in spec["initContainers"]]
        out["spec"] = spec
    elif kind == "Service":
        spec = {k: v for k, v in (obj.get("spec") or {}).items() if k not in _SERVICE_SERVER_SPEC}
        spec["ports"] = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports") or []]
        out["spec"] = spec
    elif kind == "Secret":
        # generated tokens: only which keys exist can be the same
        out["data"] = {k: "<value>" for k in obj.get("data") or {}}
    return f"{kind}/{name}", out


def _comparable_container(container: Mapping[str, Any]) -> dict[str, Any]:
    """The container without the API server's token mount, its ulimit in v1.5's form."""
    c = dict(container)
    for field in ("command", "args"):
        if isinstance(c.get(field), list):
            c[field] = [a.replace(_ULIMIT_16, _ULIMIT_15) if isinstance(a, str) else a for a in c[field]]
    mounts = [m for m in c.get("volumeMounts") or [] if not _TOKEN_VOLUME.match(m["name"])]
    if mounts:
        c["volumeMounts"] = mounts
    else:
        c.pop("volumeMounts", None)
    return c


def children(objects: Iterable[Mapping[str, Any]], namespace: str) -> dict[str, Any]:
    """The normalised objects by `Kind/name`; several with the same normalised name (a group's
    workers) become `Kind/name#0`, `#1`... in the order of their content, so equal ones pair up."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        key, norm = normalise(obj, namespace)
        grouped.setdefault(key, []).append(norm)
    out: dict[str, Any] = {}
    for key, items in grouped.items():
        if len(items) == 1:
            out[key] = items[0]
            continue
        for i, item in enumerate(sorted(items, key=lambda o: repr(sorted(flatten(o).items())))):
            out[f"{key}#{i}"] = item
    return out


_STATUS_TIMES = ("lastUpdateTime", "stateTransitionTimes", "observedGeneration")


def cluster_status(status: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """The RayCluster's status without timestamps; the head pod's name without its suffix and its
    IP (the test's kubelet hands them out)."""
    out = {k: v for k, v in _scrub(dict(status), namespace).items() if k not in _STATUS_TIMES}
    if endpoints := out.get("endpoints"):
        # a NodePort service's ports are allocated by the API server
        out["endpoints"] = {
            k: "<nodePort>" if str(v).isdigit() and int(v) >= 30000 else v for k, v in endpoints.items()
        }
    if conditions := out.get("conditions"):
        out["conditions"] = [{k: v for k, v in c.items() if k != "lastTransitionTime"} for c in conditions]
    if head := out.get("head"):
        head = dict(head)
        if head.get("podName"):
            head["podName"] = _RANDOM_SUFFIX.sub("-*", head["podName"])
        for k in ("podIP", "serviceIP"):
            if head.get(k):
                head[k] = "<ip>"
        out["head"] = head
    return out


@dataclass(frozen=True)
class Difference:
    path: str
    kuberay: Any
    ours: Any

    def __str__(self) -> str:
        return f"{self.path}: KubeRay {self.kuberay!r}, ours {self.ours!r}"


_MISSING = "<absent>"


def differences(kuberay: Mapping[str, Any], ours: Mapping[str, Any]) -> list[Difference]:
    """Every path whose value differs between the two flattened views, absent ones included."""
    a, b = flatten(dict(kuberay)), flatten(dict(ours))
    found = []
    for path in sorted(a.keys() | b.keys()):
        va, vb = a.get(path, _MISSING), b.get(path, _MISSING)
        if va != vb:
            found.append(Difference(path, va, vb))
    return found


def unexplained(found: Iterable[Difference], known: Mapping[str, str]) -> list[Difference]:
    return [d for d in found if explained(d.path, known) is None]


# --- reading the objects (I/O) ---

_KINDS = ("pods", "services", "serviceaccounts", "roles", "rolebindings", "ingresses", "secrets")


def snapshot(api: kubernetes.client.ApiClient, namespace: str, cluster: str) -> dict[str, Any]:
    """Everything the operator made for `cluster` in `namespace`, its status and its events, as one
    normalised tree: {"objects": {...}, "status": {...}, "events": {...}}."""
    core = kubernetes.client.CoreV1Api(api)
    rbac = kubernetes.client.RbacAuthorizationV1Api(api)
    net = kubernetes.client.NetworkingV1Api(api)
    custom = kubernetes.client.CustomObjectsApi(api)
    raw = api.sanitize_for_serialization
    listed: list[dict[str, Any]] = []
    for kind, items in (
        ("Pod", core.list_namespaced_pod(namespace).items),
        ("Service", core.list_namespaced_service(namespace).items),
        ("ServiceAccount", core.list_namespaced_service_account(namespace).items),
        ("Secret", core.list_namespaced_secret(namespace).items),
        ("Role", rbac.list_namespaced_role(namespace).items),
        ("RoleBinding", rbac.list_namespaced_role_binding(namespace).items),
        ("Ingress", net.list_namespaced_ingress(namespace).items),
    ):
        for item in items:
            obj = raw(item)
            obj["kind"] = kind
            if _belongs(obj, cluster) and not obj["metadata"].get("deletionTimestamp"):
                listed.append(obj)
    rc = custom.get_namespaced_custom_object("ray.io", "v1", namespace, "rayclusters", cluster)
    events = core.list_namespaced_event(namespace).items
    reasons = sorted(
        {
            f"{cluster}:{e.involved_object.kind}:{e.type}:{e.reason}"
            for e in events
            if (e.involved_object.kind == "RayCluster" and e.involved_object.name == cluster)
            or (e.involved_object.name or "").startswith(cluster + "-")
        }
    )
    return {
        "objects": children(listed, namespace),
        "status": cluster_status(rc.get("status") or {}, namespace),
        "events": {r: True for r in reasons},
    }


def _belongs(obj: Mapping[str, Any], cluster: str) -> bool:
    meta = obj["metadata"]
    if (meta.get("labels") or {}).get("ray.io/cluster") == cluster:
        return True
    return any(
        r.get("kind") == "RayCluster" and r.get("name") == cluster for r in meta.get("ownerReferences") or []
    )
