"""Served resources: `ResourceInfo` (one resource at one group/version) and the `Registry` of them.

Discovery, routing, OpenAPI and Table read the registry. Built-in resources are declared in
`strategies/` with their strategy records; custom resources come and go with their CRDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from localkube.apiserver.strategy import DEFAULT, Strategy

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

PROXY_VERBS = ("create", "delete", "get", "patch", "update")

# Subresource name -> (group, version, kind) of what it accepts/returns, and its verbs; an empty
# kind is the object's own, "{kind}" in a kind is replaced by the object's (PodProxyOptions).
SUBRESOURCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "status": ("", "", "", ("get", "patch", "update")),
    # pods/ephemeralcontainers and pods/resize read the Pod and write one part of it
    "ephemeralcontainers": ("", "", "", ("get", "patch", "update")),
    "resize": ("", "", "", ("get", "patch", "update")),
    "proxy": ("", "v1", "{kind}ProxyOptions", PROXY_VERBS),
    "scale": ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
    "log": ("", "v1", "Pod", ("get",)),
    "binding": ("", "v1", "Binding", ("create",)),
    "eviction": ("policy", "v1", "Eviction", ("create",)),
    "exec": ("", "v1", "PodExecOptions", ("create", "get")),
    "attach": ("", "v1", "PodAttachOptions", ("create", "get")),
    "portforward": ("", "v1", "PodPortForwardOptions", ("create", "get")),
    "token": ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    "finalize": ("", "v1", "Namespace", ("update",)),
    "approval": ("", "", "", ("get", "patch", "update")),
}


@dataclass(frozen=True)
class ScalePaths:
    spec_replicas: str
    status_replicas: str
    label_selector: str | None
    # the selector is a plain label map (ReplicationController), not a metav1.LabelSelector
    map_selector: bool = False


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource at one group/version."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    # what the kind does beyond the generic verbs (its registry strategy)
    strategy: Strategy = field(default=DEFAULT, compare=False, hash=False)
    # Custom resources only: the version's openAPIV3Schema, scale paths, printer columns.
    custom: bool = False
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    scale: ScalePaths | None = None
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    deprecation_warning: str | None = None
    # where the objects live when another group serves the same ones (events.k8s.io Events are core's)
    storage_group: str | None = None
    # the version kube-apiserver stores the objects in, when it is not this one (discovery's
    # storageVersionHash names it: a CRD's storage version, HPA autoscaling/v2 for v1)
    storage_version: str | None = None
    # a resource that is no stored kind: the ROUTES part that serves it instead of the generic
    # verbs ("bindings": a pod's binding; "componentstatuses": computed on each read)
    route: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def storage_key(self) -> tuple[str, str]:
        """All versions of a resource share one storage."""
        return (self.group if self.storage_group is None else self.storage_group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def name_rule(self) -> str:
        return self.strategy.name_rule


def served(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    *,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    cats: tuple[str, ...] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    strategy: Strategy = DEFAULT,
    map_selector: bool = False,
    stored_as: str | None = None,
) -> ResourceInfo:
    """A built-in resource's declaration (strategies/ holds them with their strategy records)."""
    scale = None
    if "scale" in sub:
        scale = ScalePaths(".spec.replicas", ".status.replicas", ".spec.selector", map_selector)
    return ResourceInfo(
        group,
        version,
        kind,
        plural,
        kind.lower(),
        namespaced,
        short,
        sub,
        verbs,
        cats,
        strategy=strategy,
        scale=scale,
        storage_version=stored_as,
    )


# Built-in groups' preferred versions, in the order discovery lists them.
GROUP_ORDER = (
    "",
    "apps",
    "events.k8s.io",
    "rbac.authorization.k8s.io",
    "coordination.k8s.io",
    "apiextensions.k8s.io",
    "batch",
    "networking.k8s.io",
    "discovery.k8s.io",
    "policy",
    "authorization.k8s.io",
    "authentication.k8s.io",
)


class Registry:
    """Served resources by (group, version, plural); custom resources change at run time."""

    def __init__(self, builtin: Iterable[ResourceInfo]) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceInfo] = {}
        self._custom_by_crd: dict[str, list[ResourceInfo]] = {}
        for info in builtin:
            self._by_gvr[(info.group, info.version, info.plural)] = info

    def get(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        for info in self._by_gvr.values():
            if info.api_version == api_version and info.kind == kind:
                return info
        return None

    def storage(self, group: str, plural: str) -> list[ResourceInfo]:
        return [i for i in self._by_gvr.values() if i.storage_key == (group, plural)]

    def all(self) -> Iterator[ResourceInfo]:
        return iter(list(self._by_gvr.values()))

    def groups(self) -> list[str]:
        seen = [g for g in GROUP_ORDER if g]
        for info in self._by_gvr.values():
            if info.group and info.group not in seen:
                seen.append(info.group)
        return seen

    def versions(self, group: str) -> list[str]:
        """Served versions of a group, preferred (storage/first declared) first."""
        out: list[str] = []
        for info in self._by_gvr.values():
            if info.group == group and info.version not in out:
                out.append(info.version)
        return out

    def resources(self, group: str, version: str) -> list[ResourceInfo]:
        return [i for i in self._by_gvr.values() if i.group == group and i.version == version]

    def storage_keys(self) -> list[tuple[str, str]]:
        return sorted({i.storage_key for i in self._by_gvr.values()})

    def namespaced_storage_keys(self) -> list[tuple[str, str]]:
        return sorted({i.storage_key for i in self._by_gvr.values() if i.namespaced})

    def set_custom(self, crd_name: str, infos: list[ResourceInfo]) -> None:
        self.remove_custom(crd_name)
        self._custom_by_crd[crd_name] = infos
        for info in infos:
            self._by_gvr[(info.group, info.version, info.plural)] = info

    def remove_custom(self, crd_name: str) -> None:
        for info in self._custom_by_crd.pop(crd_name, []):
            self._by_gvr.pop((info.group, info.version, info.plural), None)
