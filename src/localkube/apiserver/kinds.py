"""The one table of served kinds: discovery, routing, validation and (later) OpenAPI and Table read it.

Built-in kinds are declared here; custom resources are added and removed as CRDs come and go.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# Subresource name -> (group, version, kind) of what it accepts/returns, and its verbs.
SUBRESOURCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "status": ("", "", "", ("get", "patch", "update")),
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
    name_rule: str = "subdomain"
    # What the kind's registry strategy does: maintain metadata.generation, let a PUT create.
    generation: bool = False
    create_on_update: bool = False
    # Custom resources only: the version's openAPIV3Schema, scale paths, printer columns.
    custom: bool = False
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    scale: ScalePaths | None = None
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    deprecation_warning: str | None = None
    # where the objects live when another group serves the same ones (events.k8s.io Events are core's)
    storage_group: str | None = None

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


# Built-in kinds whose registry strategy maintains metadata.generation (custom resources always do).
_GENERATION = {
    ("", "Pod"),
    ("", "PodTemplate"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
}
# Kinds whose PUT creates a missing object (their strategies' AllowCreateOnUpdate).
_CREATE_ON_UPDATE = {("", "Endpoints"), ("", "Event"), ("events.k8s.io", "Event")}


def _b(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    *,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    cats: tuple[str, ...] = (),
    rule: str = "subdomain",
    verbs: tuple[str, ...] = ALL_VERBS,
) -> ResourceInfo:
    scale = ScalePaths(".spec.replicas", ".status.replicas", ".spec.selector") if "scale" in sub else None
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
        rule,
        generation=(group, kind) in _GENERATION,
        create_on_update=(group, kind) in _CREATE_ON_UPDATE,
        scale=scale,
    )


BUILTIN: tuple[ResourceInfo, ...] = (
    _b("", "v1", "Namespace", "namespaces", False, short=("ns",), sub=("status", "finalize"), rule="label"),
    _b(
        "",
        "v1",
        "Pod",
        "pods",
        short=("po",),
        cats=("all",),
        sub=("status", "log", "binding", "eviction", "exec", "attach", "portforward"),
    ),
    _b("", "v1", "Service", "services", short=("svc",), cats=("all",), sub=("status",), rule="label"),
    dataclasses.replace(
        _b("", "v1", "Endpoints", "endpoints", short=("ep",)),
        deprecation_warning="v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
    ),
    _b("", "v1", "ConfigMap", "configmaps", short=("cm",)),
    _b("", "v1", "Secret", "secrets"),
    _b("", "v1", "ServiceAccount", "serviceaccounts", short=("sa",), sub=("token",)),
    _b("", "v1", "Node", "nodes", False, short=("no",), sub=("status",)),
    _b("", "v1", "Event", "events", short=("ev",)),
    dataclasses.replace(_b("events.k8s.io", "v1", "Event", "events", short=("ev",)), storage_group=""),
    _b("rbac.authorization.k8s.io", "v1", "Role", "roles", rule="path-segment"),
    _b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", rule="path-segment"),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, rule="path-segment"),
    _b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        False,
        rule="path-segment",
    ),
    _b("coordination.k8s.io", "v1", "Lease", "leases"),
    _b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short=("crd", "crds"),
        sub=("status",),
        cats=("api-extensions",),
    ),
    _b("batch", "v1", "Job", "jobs", cats=("all",), sub=("status",)),
    _b("batch", "v1", "CronJob", "cronjobs", short=("cj",), cats=("all",), sub=("status",)),
    _b("networking.k8s.io", "v1", "Ingress", "ingresses", short=("ing",), sub=("status",)),
    _b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=("netpol",)),
    _b("apps", "v1", "Deployment", "deployments", short=("deploy",), cats=("all",), sub=("status", "scale")),
    _b("apps", "v1", "ReplicaSet", "replicasets", short=("rs",), cats=("all",), sub=("status", "scale")),
    _b("apps", "v1", "StatefulSet", "statefulsets", short=("sts",), cats=("all",), sub=("status", "scale")),
    _b("apps", "v1", "DaemonSet", "daemonsets", short=("ds",), cats=("all",), sub=("status",)),
    _b("apps", "v1", "ControllerRevision", "controllerrevisions"),
    _b("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    _b(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
    ),
    _b(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        verbs=("create",),
    ),
    _b("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False, verbs=("create",)),
    _b(
        "authorization.k8s.io",
        "v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        verbs=("create",),
    ),
    _b("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False, verbs=("create",)),
    _b("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=("create",)),
    _b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",), sub=("status",)),
    *(
        # the rest of kube-apiserver's discovery that clients list: stored, validated and served
        # (no controller acts on them), so a client walking discovery finds what a cluster has
        _b("", "v1", "PersistentVolume", "persistentvolumes", False, short=("pv",), sub=("status",)),
        _b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), sub=("status",)),
        _b("", "v1", "LimitRange", "limitranges", short=("limits",)),
        _b("", "v1", "ResourceQuota", "resourcequotas", short=("quota",), sub=("status",)),
        _b("", "v1", "PodTemplate", "podtemplates"),
        _b(
            "apiregistration.k8s.io",
            "v1",
            "APIService",
            "apiservices",
            False,
            sub=("status",),
            cats=("api-extensions",),
            rule="path-segment",
        ),
        _b(
            "certificates.k8s.io",
            "v1",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            False,
            short=("csr",),
            sub=("status", "approval"),
        ),
        _b(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            short=("hpa",),
            cats=("all",),
            sub=("status",),
        ),
        _b("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, short=("sc",)),
        _b("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
        _b("storage.k8s.io", "v1", "CSINode", "csinodes", False),
        _b("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities"),
        _b("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", False, sub=("status",)),
        _b("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, short=("pc",)),
        _b("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False),
        _b("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
        _b(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations",
            False,
            cats=("api-extensions",),
        ),
        _b(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations",
            False,
            cats=("api-extensions",),
        ),
        _b(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingAdmissionPolicy",
            "validatingadmissionpolicies",
            False,
            sub=("status",),
            cats=("api-extensions",),
        ),
        _b(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingAdmissionPolicyBinding",
            "validatingadmissionpolicybindings",
            False,
            cats=("api-extensions",),
        ),
        _b("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", False, sub=("status",)),
        _b(
            "flowcontrol.apiserver.k8s.io",
            "v1",
            "PriorityLevelConfiguration",
            "prioritylevelconfigurations",
            False,
            sub=("status",),
        ),
        _b("networking.k8s.io", "v1", "IPAddress", "ipaddresses", False, short=("ip",)),
        _b("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", False, sub=("status",)),
        _b("storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses", False, short=("vac",)),
        _b("resource.k8s.io", "v1", "DeviceClass", "deviceclasses", False),
        _b("resource.k8s.io", "v1", "ResourceClaim", "resourceclaims", sub=("status",)),
        _b("resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates"),
        _b("resource.k8s.io", "v1", "ResourceSlice", "resourceslices", False),
    ),
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

    def __init__(self) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceInfo] = {}
        self._custom_by_crd: dict[str, list[ResourceInfo]] = {}
        for info in BUILTIN:
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
