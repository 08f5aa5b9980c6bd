"""The built-in resources localkube serves, each with its strategy record.

Adding a kind: its `served(...)` line here (group, version, kind, plural, scope, short names,
subresources, categories) and, when it does anything beyond the generic verbs, a `Strategy` in
the module of its family (core, workloads, rbac, apiextensions, others). Nothing else keys on
the kind: Core, lists, tables and patches read the record through `ResourceInfo.strategy`.
The order here is discovery's order.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.kinds import ResourceInfo, served
from localkube.apiserver.strategies import apiextensions, autoscaling, core, others, rbac, stored, workloads
from localkube.apiserver.strategy import DEFAULT, Strategy

BUILTIN: tuple[ResourceInfo, ...] = (
    served(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        short=("ns",),
        sub=("status", "finalize"),
        # no deletecollection: kube-apiserver serves none for namespaces
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        strategy=core.NAMESPACE,
    ),
    served(
        "",
        "v1",
        "Pod",
        "pods",
        short=("po",),
        cats=("all",),
        sub=(
            "status",
            "log",
            "binding",
            "eviction",
            "exec",
            "attach",
            "portforward",
            "proxy",
            "ephemeralcontainers",
            "resize",
        ),
        strategy=core.POD,
    ),
    # a pod's binding posted to the namespace's bindings (older schedulers), as pods/binding
    dataclasses.replace(served("", "v1", "Binding", "bindings", verbs=("create",)), route="bindings"),
    served(
        "",
        "v1",
        "Service",
        "services",
        short=("svc",),
        cats=("all",),
        sub=("status", "proxy"),
        strategy=core.SERVICE,
    ),
    dataclasses.replace(
        served("", "v1", "Endpoints", "endpoints", short=("ep",), strategy=core.ENDPOINTS),
        deprecation_warning="v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
    ),
    served(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        short=("rc",),
        cats=("all",),
        sub=("status", "scale"),
        strategy=core.REPLICATION_CONTROLLER,
        map_selector=True,
    ),
    served("", "v1", "ConfigMap", "configmaps", short=("cm",), strategy=core.CONFIG_MAP),
    served("", "v1", "Secret", "secrets", strategy=core.SECRET),
    served(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        short=("sa",),
        sub=("token",),
        strategy=core.SERVICE_ACCOUNT,
    ),
    served("", "v1", "Node", "nodes", False, short=("no",), sub=("status", "proxy"), strategy=core.NODE),
    # computed on each read from what this server can see; deprecated, as kube-apiserver says
    dataclasses.replace(
        served(
            "",
            "v1",
            "ComponentStatus",
            "componentstatuses",
            False,
            short=("cs",),
            verbs=("get", "list"),
            strategy=core.COMPONENT_STATUS,
        ),
        route="componentstatuses",
        deprecation_warning="v1 ComponentStatus is deprecated in v1.19+",
    ),
    served("", "v1", "Event", "events", short=("ev",), strategy=core.EVENT),
    dataclasses.replace(
        served("events.k8s.io", "v1", "Event", "events", short=("ev",), strategy=core.EVENTS_V1_EVENT),
        storage_group="",
    ),
    served("rbac.authorization.k8s.io", "v1", "Role", "roles", strategy=rbac.ROLE),
    served("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", strategy=rbac.ROLE_BINDING),
    served(
        "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, strategy=rbac.CLUSTER_ROLE
    ),
    served(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        False,
        strategy=rbac.CLUSTER_ROLE_BINDING,
    ),
    served("coordination.k8s.io", "v1", "Lease", "leases", strategy=others.LEASE),
    served(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short=("crd", "crds"),
        sub=("status",),
        cats=("api-extensions",),
        strategy=apiextensions.CUSTOM_RESOURCE_DEFINITION,
        stored_as="v1beta1",  # kube-apiserver still stores CRDs as v1beta1
    ),
    served("batch", "v1", "Job", "jobs", cats=("all",), sub=("status",), strategy=workloads.JOB),
    served(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        short=("cj",),
        cats=("all",),
        sub=("status",),
        strategy=workloads.CRON_JOB,
    ),
    served(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        short=("ing",),
        sub=("status",),
        strategy=others.INGRESS,
    ),
    served(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        short=("netpol",),
        strategy=others.NETWORK_POLICY,
    ),
    served(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        short=("deploy",),
        cats=("all",),
        sub=("status", "scale"),
        strategy=workloads.DEPLOYMENT,
    ),
    served(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        short=("rs",),
        cats=("all",),
        sub=("status", "scale"),
        strategy=workloads.REPLICA_SET,
    ),
    served(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        short=("sts",),
        cats=("all",),
        sub=("status", "scale"),
        strategy=workloads.STATEFUL_SET,
    ),
    served(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        short=("ds",),
        cats=("all",),
        sub=("status",),
        strategy=workloads.DAEMON_SET,
    ),
    served("apps", "v1", "ControllerRevision", "controllerrevisions", strategy=others.CONTROLLER_REVISION),
    served("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", strategy=others.ENDPOINT_SLICE),
    served(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
    ),
    served(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        verbs=("create",),
    ),
    served(
        "authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False, verbs=("create",)
    ),
    served(
        "authorization.k8s.io",
        "v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        verbs=("create",),
    ),
    served("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False, verbs=("create",)),
    served(
        "authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=("create",)
    ),
    served(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        short=("pdb",),
        sub=("status",),
        strategy=others.POD_DISRUPTION_BUDGET,
    ),
    *(
        # the rest of kube-apiserver's discovery that clients list: stored, validated and served
        # (no controller acts on them), so a client walking discovery finds what a cluster has
        served(
            "",
            "v1",
            "PersistentVolume",
            "persistentvolumes",
            False,
            short=("pv",),
            sub=("status",),
            strategy=core.PERSISTENT_VOLUME,
        ),
        served(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            short=("pvc",),
            sub=("status",),
            strategy=core.PERSISTENT_VOLUME_CLAIM,
        ),
        served("", "v1", "LimitRange", "limitranges", short=("limits",), strategy=core.LIMIT_RANGE),
        served(
            "",
            "v1",
            "ResourceQuota",
            "resourcequotas",
            short=("quota",),
            sub=("status",),
            strategy=core.RESOURCE_QUOTA,
        ),
        served("", "v1", "PodTemplate", "podtemplates", strategy=core.POD_TEMPLATE),
        served(
            "apiregistration.k8s.io",
            "v1",
            "APIService",
            "apiservices",
            False,
            sub=("status",),
            cats=("api-extensions",),
            strategy=apiextensions.API_SERVICE,
        ),
        served(
            "certificates.k8s.io",
            "v1",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            False,
            short=("csr",),
            sub=("status", "approval"),
            strategy=stored.CERTIFICATE_SIGNING_REQUEST,
        ),
        served(
            "certificates.k8s.io",
            "v1",
            "ClusterTrustBundle",
            "clustertrustbundles",
            False,
            strategy=stored.CLUSTER_TRUST_BUNDLE,
            stored_as="v1beta1",
        ),
        served(
            "certificates.k8s.io",
            "v1",
            "PodCertificateRequest",
            "podcertificaterequests",
            sub=("status",),
            strategy=stored.POD_CERTIFICATE_REQUEST,
            stored_as="v1beta1",
        ),
        served(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            short=("hpa",),
            cats=("all",),
            sub=("status",),
            strategy=autoscaling.HORIZONTAL_POD_AUTOSCALER,
        ),
        # the same objects in v1's shape (versions.py converts); v2 stays the preferred version
        served(
            "autoscaling",
            "v1",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            short=("hpa",),
            cats=("all",),
            sub=("status",),
            strategy=autoscaling.HORIZONTAL_POD_AUTOSCALER_V1,
            stored_as="v2",
        ),
        served(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            False,
            short=("sc",),
            strategy=others.STORAGE_CLASS,
        ),
        served("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False, strategy=others.CSI_DRIVER),
        served(
            "storage.k8s.io", "v1", "CSINode", "csinodes", False, sub=("status",), strategy=others.CSI_NODE
        ),
        served("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities"),
        served(
            "storage.k8s.io",
            "v1",
            "VolumeAttachment",
            "volumeattachments",
            False,
            sub=("status",),
            strategy=others.VOLUME_ATTACHMENT,
        ),
        served(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            False,
            short=("pc",),
            strategy=others.PRIORITY_CLASS,
        ),
        served("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False, strategy=others.RUNTIME_CLASS),
        served(
            "networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, strategy=others.INGRESS_CLASS
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations",
            False,
            cats=("api-extensions",),
            strategy=others.WEBHOOK_CONFIGURATION,
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations",
            False,
            cats=("api-extensions",),
            strategy=others.WEBHOOK_CONFIGURATION,
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingAdmissionPolicy",
            "validatingadmissionpolicies",
            False,
            sub=("status",),
            cats=("api-extensions",),
            strategy=others.VALIDATING_ADMISSION_POLICY,
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingAdmissionPolicyBinding",
            "validatingadmissionpolicybindings",
            False,
            cats=("api-extensions",),
            strategy=others.VALIDATING_ADMISSION_POLICY_BINDING,
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingAdmissionPolicy",
            "mutatingadmissionpolicies",
            False,
            cats=("api-extensions",),
            strategy=stored.MUTATING_ADMISSION_POLICY,
        ),
        served(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingAdmissionPolicyBinding",
            "mutatingadmissionpolicybindings",
            False,
            cats=("api-extensions",),
            strategy=stored.MUTATING_ADMISSION_POLICY_BINDING,
        ),
        served(
            "flowcontrol.apiserver.k8s.io",
            "v1",
            "FlowSchema",
            "flowschemas",
            False,
            sub=("status",),
            strategy=others.FLOW_SCHEMA,
        ),
        served(
            "flowcontrol.apiserver.k8s.io",
            "v1",
            "PriorityLevelConfiguration",
            "prioritylevelconfigurations",
            False,
            sub=("status",),
            strategy=others.PRIORITY_LEVEL_CONFIGURATION,
        ),
        served(
            "networking.k8s.io",
            "v1",
            "IPAddress",
            "ipaddresses",
            False,
            short=("ip",),
            strategy=others.IP_ADDRESS,
        ),
        served(
            "networking.k8s.io",
            "v1",
            "ServiceCIDR",
            "servicecidrs",
            False,
            sub=("status",),
            strategy=others.SERVICE_CIDR,
        ),
        served(
            "storage.k8s.io",
            "v1",
            "VolumeAttributesClass",
            "volumeattributesclasses",
            False,
            short=("vac",),
            strategy=others.VOLUME_ATTRIBUTES_CLASS,
        ),
        served("resource.k8s.io", "v1", "DeviceClass", "deviceclasses", False, strategy=others.DEVICE_CLASS),
        served(
            "resource.k8s.io",
            "v1",
            "ResourceClaim",
            "resourceclaims",
            sub=("status",),
            strategy=others.RESOURCE_CLAIM,
        ),
        served(
            "resource.k8s.io",
            "v1",
            "ResourceClaimTemplate",
            "resourceclaimtemplates",
            strategy=others.RESOURCE_CLAIM_TEMPLATE,
        ),
        served(
            "resource.k8s.io", "v1", "ResourceSlice", "resourceslices", False, strategy=others.RESOURCE_SLICE
        ),
        served(
            "resource.k8s.io",
            "v1",
            "DeviceTaintRule",
            "devicetaintrules",
            False,
            sub=("status",),
            strategy=stored.DEVICE_TAINT_RULE,
            stored_as="v1beta2",
        ),
        served(
            "storagemigration.k8s.io",
            "v1",
            "StorageVersionMigration",
            "storageversionmigrations",
            False,
            sub=("status",),
            strategy=stored.STORAGE_VERSION_MIGRATION,
            stored_as="v1beta1",
        ),
    ),
)


_BY_KIND: dict[tuple[str, str], Strategy] = {}
for _info in BUILTIN:  # a kind served at two versions (HPA): the preferred one's record
    _BY_KIND.setdefault((_info.group, _info.kind), _info.strategy)


def validate_builtin(api_version: str, kind: str, obj: dict[str, Any]) -> list[FieldError]:
    """The kind-specific rules a create checks on a defaulted built-in object (metadata aside)."""
    group = api_version.rpartition("/")[0]
    strategy = of_kind(group, kind)
    return strategy.validate(obj) if strategy.validate is not None else []


def of_kind(group: str, kind: str) -> Strategy:
    """The strategy of a built-in kind, for code that holds a kind rather than a ResourceInfo
    (strategic merge patch of an object it was given); DEFAULT for kinds without one."""
    return _BY_KIND.get((group, kind), DEFAULT)
