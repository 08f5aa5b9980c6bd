"""Python model class names <-> OpenAPI definition names, and the group/version/kind of kinds.

`V1Pod` is `io.k8s.api.core.v1.Pod`; `V1ObjectMeta` is `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`.
The models do not say which API group a type belongs to, so: top-level kinds get theirs from the
generated API classes (`CoreV1Api.read_namespaced_pod` returns `V1Pod`), every other type
belongs to the group of the first kind that reaches it (core first), and apimachinery's meta
types are listed by hand.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from functools import cache

from kubeschema._models import model_class, model_names, referenced_models

# API class prefix -> (API group, definition package prefix).
API_GROUPS: dict[str, tuple[str, str]] = {
    "Core": ("", "io.k8s.api.core"),
    "Apps": ("apps", "io.k8s.api.apps"),
    "Batch": ("batch", "io.k8s.api.batch"),
    "Autoscaling": ("autoscaling", "io.k8s.api.autoscaling"),
    "Policy": ("policy", "io.k8s.api.policy"),
    "Admissionregistration": ("admissionregistration.k8s.io", "io.k8s.api.admissionregistration"),
    "Apiextensions": ("apiextensions.k8s.io", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions"),
    "Apiregistration": ("apiregistration.k8s.io", "io.k8s.kube-aggregator.pkg.apis.apiregistration"),
    "Authentication": ("authentication.k8s.io", "io.k8s.api.authentication"),
    "Authorization": ("authorization.k8s.io", "io.k8s.api.authorization"),
    "Certificates": ("certificates.k8s.io", "io.k8s.api.certificates"),
    "Coordination": ("coordination.k8s.io", "io.k8s.api.coordination"),
    "Discovery": ("discovery.k8s.io", "io.k8s.api.discovery"),
    "Events": ("events.k8s.io", "io.k8s.api.events"),
    "FlowcontrolApiserver": ("flowcontrol.apiserver.k8s.io", "io.k8s.api.flowcontrol"),
    "InternalApiserver": ("internal.apiserver.k8s.io", "io.k8s.api.apiserverinternal"),
    "Networking": ("networking.k8s.io", "io.k8s.api.networking"),
    "Node": ("node.k8s.io", "io.k8s.api.node"),
    "RbacAuthorization": ("rbac.authorization.k8s.io", "io.k8s.api.rbac"),
    "Resource": ("resource.k8s.io", "io.k8s.api.resource"),
    "Scheduling": ("scheduling.k8s.io", "io.k8s.api.scheduling"),
    "Storage": ("storage.k8s.io", "io.k8s.api.storage"),
    "Storagemigration": ("storagemigration.k8s.io", "io.k8s.api.storagemigration"),
}

# Class-name prefixes the generator adds when two groups share a type name (CoreV1Event, ...).
_CLASS_PREFIXES: dict[str, str] = {
    "Core": "io.k8s.api.core",
    "Events": "io.k8s.api.events",
    "Rbac": "io.k8s.api.rbac",
    "Flowcontrol": "io.k8s.api.flowcontrol",
    "Discovery": "io.k8s.api.discovery",
    "Admissionregistration": "io.k8s.api.admissionregistration",
    "Apiextensions": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
    "Apiregistration": "io.k8s.kube-aggregator.pkg.apis.apiregistration",
    "Authentication": "io.k8s.api.authentication",
    "Storage": "io.k8s.api.storage",
    "Resource": "io.k8s.api.resource",
}

META_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta"
# k8s.io/apimachinery/pkg/apis/meta/v1 types (the models carry them as plain V1 classes).
META_TYPES = frozenset(
    {
        "ObjectMeta",
        "ListMeta",
        "LabelSelector",
        "LabelSelectorRequirement",
        "OwnerReference",
        "ManagedFieldsEntry",
        "Condition",
        "Status",
        "StatusDetails",
        "StatusCause",
        "DeleteOptions",
        "Preconditions",
        "APIResource",
        "APIResourceList",
        "APIGroup",
        "APIGroupList",
        "APIVersions",
        "GroupVersionForDiscovery",
        "ServerAddressByClientCIDR",
        "WatchEvent",
        "GroupVersionKind",
        "FieldSelectorRequirement",
    }
)

_VERSIONED = re.compile(
    r"^(?P<prefix>[A-Z][a-z]+(?:[A-Z][a-z]+)?)?V(?P<major>\d+)(?P<pre>(?:alpha|beta)\d+)?(?P<name>[A-Z].*)$"
)


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def split_class_name(cls_name: str) -> tuple[str, str, str] | None:
    """`CoreV1Event` -> ("Core", "v1", "Event"); `V1beta1Foo` -> ("", "v1beta1", "Foo")."""
    if cls_name == "IoK8sApimachineryPkgApisMetaV1GroupVersionKind":
        return ("Meta", "v1", "GroupVersionKind")
    m = _VERSIONED.match(cls_name)
    if m is None:
        return None
    return (m.group("prefix") or "", f"v{m.group('major')}{m.group('pre') or ''}", m.group("name"))


@cache
def _api_kinds() -> dict[str, Kind]:
    """Model class name -> group/version/kind, for every model an API method returns."""
    import kubernetes_asyncio.client.api as api

    out: dict[str, Kind] = {}
    for attr in sorted(dir(api)):
        m = re.match(r"^(?P<group>[A-Z][A-Za-z]*?)(?P<version>V\d+(?:(?:alpha|beta)\d+)?)Api$", attr)
        if m is None or m.group("group") not in API_GROUPS:
            continue
        group = API_GROUPS[m.group("group")][0]
        version = m.group("version").lower()
        api_cls = getattr(api, attr)
        for meth in vars(api_cls).values():
            doc = getattr(meth, "__doc__", None) or ""
            for rtype in re.findall(r":rtype: (\w+)", doc):
                split = split_class_name(rtype)
                if split is None or rtype in out:
                    continue
                try:
                    fields = model_class(rtype).attribute_map.values()
                except AttributeError:
                    continue
                if "kind" in fields and "apiVersion" in fields:
                    out[rtype] = Kind(group, version, split[2])
    for cls, kind in list(out.items()):
        split = split_class_name(cls)
        if split is not None and split[0] in _PREFIX_GROUPS:
            # e.g. AuthenticationV1TokenRequest, returned by CoreV1Api's serviceaccounts/token
            out[cls] = Kind(_PREFIX_GROUPS[split[0]], kind.version, kind.kind)
    for cls, kind in _KIND_OVERRIDES.items():
        if cls in out:
            out[cls] = kind
    for cls in list(out):
        split = split_class_name(cls)
        if split is not None and not split[0] and split[2] in META_TYPES:
            out[cls] = Kind("", "v1", split[2])  # meta types are served as core v1 (e.g. Status)
    return out


# Types several API groups return (or a group returns for a subresource); the kind is one group's.
_KIND_OVERRIDES = {
    "V1Scale": Kind("autoscaling", "v1", "Scale"),
    "V1Eviction": Kind("policy", "v1", "Eviction"),
}

_PREFIX_GROUPS: dict[str, str] = {
    "Core": "",
    "Events": "events.k8s.io",
    "Rbac": "rbac.authorization.k8s.io",
    "Flowcontrol": "flowcontrol.apiserver.k8s.io",
    "Discovery": "discovery.k8s.io",
    "Admissionregistration": "admissionregistration.k8s.io",
    "Apiextensions": "apiextensions.k8s.io",
    "Apiregistration": "apiregistration.k8s.io",
    "Authentication": "authentication.k8s.io",
    "Storage": "storage.k8s.io",
    "Resource": "resource.k8s.io",
}


def _package_for_group(group: str) -> str:
    for grp, package in API_GROUPS.values():
        if grp == group:
            return package
    return "io.k8s.api." + group.split(".")[0]


@cache
def definition_names() -> dict[str, str]:
    """Every model class name -> its OpenAPI definition name."""
    kinds = _api_kinds()
    packages: dict[str, str] = {}
    # Top-level kinds first (core before the rest), then whatever they reach, breadth first.
    order = sorted(kinds, key=lambda c: (kinds[c].group != "", kinds[c].group, c))
    queue: deque[tuple[str, str]] = deque((c, _package_for_group(kinds[c].group)) for c in order)
    while queue:
        cls, package = queue.popleft()
        if cls in packages:
            continue
        packages[cls] = package
        for sub in referenced_models(cls):
            if sub not in packages:
                queue.append((sub, package))
    out: dict[str, str] = {}
    for cls in model_names():
        split = split_class_name(cls)
        if split is None:
            continue
        prefix, version, name = split
        if prefix == "Meta" or (not prefix and name in META_TYPES):
            out[cls] = f"{META_PACKAGE}.{version}.{name}"
        elif prefix in _CLASS_PREFIXES:
            out[cls] = f"{_CLASS_PREFIXES[prefix]}.{version}.{name}"
        elif cls == "VersionInfo":
            out[cls] = "io.k8s.apimachinery.pkg.version.Info"
        else:
            out[cls] = f"{packages.get(cls, 'io.k8s.api.core')}.{version}.{name}"
    out["VersionInfo"] = "io.k8s.apimachinery.pkg.version.Info"
    return out


@cache
def class_for_definition() -> dict[str, str]:
    return {d: c for c, d in definition_names().items()}


def kinds() -> dict[str, Kind]:
    """Model class name -> group/version/kind for the top-level kinds."""
    return _api_kinds()
