"""Facts about Kubernetes' built-in types that the generated Python models lose.

The kubernetes_asyncio models know field names and Python types, not the Go markers behind the
OpenAPI: which fields are required, which `object` fields are IntOrString, which strings and maps
are resource Quantities, int32 vs int64, list and map topology, and `+default` values. These
tables restore them for the types our products use (the pod template in full, the top-level kinds
localkube serves in outline). Keys are Python model class names, values JSON field names.
"""

from __future__ import annotations

from typing import Any

# Go's `+required` / non-omitempty fields, as controller-gen and the API server's OpenAPI list them.
REQUIRED: dict[str, tuple[str, ...]] = {
    # the pod template (matches KubeRay's generated CRD)
    "CoreV1ResourceClaim": ("name",),
    "V1AWSElasticBlockStoreVolumeSource": ("volumeID",),
    "V1AppArmorProfile": ("type",),
    "V1AzureDiskVolumeSource": ("diskName", "diskURI"),
    "V1AzureFileVolumeSource": ("secretName", "shareName"),
    "V1CSIVolumeSource": ("driver",),
    "V1CephFSVolumeSource": ("monitors",),
    "V1CinderVolumeSource": ("volumeID",),
    "V1ClusterTrustBundleProjection": ("path",),
    "V1ConfigMapKeySelector": ("key",),
    "V1Container": ("name",),
    "V1ContainerPort": ("containerPort",),
    "V1ContainerResizePolicy": ("resourceName", "restartPolicy"),
    "V1ContainerRestartRule": ("action",),
    "V1ContainerRestartRuleOnExitCodes": ("operator",),
    "V1DownwardAPIVolumeFile": ("path",),
    "V1EnvVar": ("name",),
    "V1EphemeralContainer": ("name",),
    "V1FileKeySelector": ("key", "path", "volumeName"),
    "V1FlexVolumeSource": ("driver",),
    "V1GCEPersistentDiskVolumeSource": ("pdName",),
    "V1GRPCAction": ("port",),
    "V1GitRepoVolumeSource": ("repository",),
    "V1GlusterfsVolumeSource": ("endpoints", "path"),
    "V1HTTPGetAction": ("port",),
    "V1HTTPHeader": ("name", "value"),
    "V1HostAlias": ("ip",),
    "V1HostPathVolumeSource": ("path",),
    "V1ISCSIVolumeSource": ("iqn", "lun", "targetPortal"),
    "V1KeyToPath": ("key", "path"),
    "V1LabelSelectorRequirement": ("key", "operator"),
    "V1NFSVolumeSource": ("path", "server"),
    "V1NodeSelector": ("nodeSelectorTerms",),
    "V1NodeSelectorRequirement": ("key", "operator"),
    "V1ObjectFieldSelector": ("fieldPath",),
    "V1PersistentVolumeClaimTemplate": ("spec",),
    "V1PersistentVolumeClaimVolumeSource": ("claimName",),
    "V1PhotonPersistentDiskVolumeSource": ("pdID",),
    "V1PodAffinityTerm": ("topologyKey",),
    "V1PodCertificateProjection": ("keyType", "signerName"),
    "V1PodOS": ("name",),
    "V1PodReadinessGate": ("conditionType",),
    "V1PodResourceClaim": ("name",),
    "V1PodSchedulingGate": ("name",),
    "V1PodSpec": ("containers",),
    "V1PortworxVolumeSource": ("volumeID",),
    "V1PreferredSchedulingTerm": ("preference", "weight"),
    "V1QuobyteVolumeSource": ("registry", "volume"),
    "V1RBDVolumeSource": ("image", "monitors"),
    "V1ResourceFieldSelector": ("resource",),
    "V1ScaleIOVolumeSource": ("gateway", "secretRef", "system"),
    "V1SeccompProfile": ("type",),
    "V1SecretKeySelector": ("key",),
    "V1ServiceAccountTokenProjection": ("path",),
    "V1SleepAction": ("seconds",),
    "V1Sysctl": ("name", "value"),
    "V1TCPSocketAction": ("port",),
    "V1TopologySpreadConstraint": ("maxSkew", "topologyKey", "whenUnsatisfiable"),
    "V1TypedLocalObjectReference": ("kind", "name"),
    "V1TypedObjectReference": ("kind", "name"),
    "V1Volume": ("name",),
    "V1VolumeDevice": ("devicePath", "name"),
    "V1VolumeMount": ("mountPath", "name"),
    "V1VsphereVirtualDiskVolumeSource": ("volumePath",),
    "V1WeightedPodAffinityTerm": ("podAffinityTerm", "weight"),
    # the other kinds localkube serves
    "V1ServicePort": ("port",),
    "V1EndpointAddress": ("ip",),
    "CoreV1EndpointPort": ("port",),
    "CoreV1Event": ("involvedObject", "metadata"),
    "EventsV1Event": ("eventTime",),
    "CoreV1EventSeries": (),
    "EventsV1EventSeries": ("count", "lastObservedTime"),
    "V1ObjectReference": (),
    "V1OwnerReference": ("apiVersion", "kind", "name", "uid"),
    "V1PolicyRule": ("verbs",),
    "V1RoleRef": ("apiGroup", "kind", "name"),
    "RbacV1Subject": ("kind", "name"),
    "V1RoleBinding": ("roleRef",),
    "V1ClusterRoleBinding": ("roleRef",),
    "V1JobSpec": ("template",),
    "V1DeploymentSpec": ("selector", "template"),
    "V1ReplicaSetSpec": ("selector",),
    "V1HTTPIngressPath": ("pathType", "backend"),
    "V1HTTPIngressRuleValue": ("paths",),
    "V1IngressServiceBackend": ("name",),
    "V1IngressTLS": (),
    "V1CustomResourceDefinition": ("spec",),
    "V1CustomResourceDefinitionSpec": ("group", "names", "scope", "versions"),
    "V1CustomResourceDefinitionNames": ("plural", "kind"),
    "V1CustomResourceDefinitionVersion": ("name", "served", "storage"),
    "V1CustomResourceColumnDefinition": ("name", "type", "jsonPath"),
    "V1CustomResourceDefinitionCondition": ("type", "status"),
    "V1Condition": ("type", "status", "lastTransitionTime", "reason", "message"),
    "V1PodCondition": ("type", "status"),
    "V1JobCondition": ("type", "status"),
    "V1DeploymentCondition": ("type", "status"),
    "V1ReplicaSetCondition": ("type", "status"),
    "V1ReplicationControllerCondition": ("type", "status"),
    "V1NodeCondition": ("type", "status"),
    "V1NamespaceCondition": ("type", "status"),
    "V1ContainerStatus": ("name", "ready", "restartCount", "image", "imageID"),
    "V1NodeAddress": ("type", "address"),
    "V1Taint": ("key", "effect"),
    "V1NodeSystemInfo": (
        "machineID",
        "systemUUID",
        "bootID",
        "kernelVersion",
        "osImage",
        "containerRuntimeVersion",
        "kubeletVersion",
        "kubeProxyVersion",
        "operatingSystem",
        "architecture",
    ),
    "V1DaemonEndpoint": ("Port",),
    "V1ReplicaSetStatus": ("replicas",),
    "V1ReplicationControllerStatus": ("replicas",),
    "V1NetworkPolicySpec": (),
    "V1IPBlock": ("cidr",),
    "V1PortStatus": ("error", "port", "protocol"),
}

# `object` fields of the models that are IntOrString (the rest are RawExtension / JSON).
INT_OR_STRING: frozenset[tuple[str, str]] = frozenset(
    {
        ("V1HTTPGetAction", "port"),
        ("V1TCPSocketAction", "port"),
        ("V1ServicePort", "targetPort"),
        ("V1NetworkPolicyPort", "port"),
        ("V1PodDisruptionBudgetSpec", "minAvailable"),
        ("V1PodDisruptionBudgetSpec", "maxUnavailable"),
        ("V1RollingUpdateDeployment", "maxSurge"),
        ("V1RollingUpdateDeployment", "maxUnavailable"),
        ("V1RollingUpdateDaemonSet", "maxSurge"),
        ("V1RollingUpdateDaemonSet", "maxUnavailable"),
        ("V1RollingUpdateStatefulSetStrategy", "maxUnavailable"),
    }
)

# resource.Quantity fields: a single value (str in the models) or a map of them (dict(str, str)).
QUANTITY: frozenset[tuple[str, str]] = frozenset(
    {
        ("V1ResourceRequirements", "limits"),
        ("V1ResourceRequirements", "requests"),
        ("V1VolumeResourceRequirements", "limits"),
        ("V1VolumeResourceRequirements", "requests"),
        ("V1PodSpec", "overhead"),
        ("V1EmptyDirVolumeSource", "sizeLimit"),
        ("V1ResourceFieldSelector", "divisor"),
        ("V1NodeStatus", "capacity"),
        ("V1NodeStatus", "allocatable"),
        ("V1PersistentVolumeSpec", "capacity"),
        ("V1PersistentVolumeClaimStatus", "capacity"),
        ("V1PersistentVolumeClaimStatus", "allocatedResources"),
        ("V1ContainerStatus", "allocatedResources"),
        ("V1ResourceQuotaSpec", "hard"),
        ("V1ResourceQuotaStatus", "hard"),
        ("V1ResourceQuotaStatus", "used"),
        ("V1LimitRangeItem", "default"),
        ("V1LimitRangeItem", "defaultRequest"),
        ("V1LimitRangeItem", "max"),
        ("V1LimitRangeItem", "min"),
        ("V1LimitRangeItem", "maxLimitRequestRatio"),
        ("V1Overhead", "podFixed"),
        ("V1CSIStorageCapacity", "capacity"),
        ("V1CSIStorageCapacity", "maximumVolumeSize"),
    }
)

# The pattern apimachinery's Quantity carries in CRD schemas.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|"
    r"(\.[0-9]+))))?$"
)

# Integer fields that are int64 in Go; every other integer is int32.
INT64_FIELDS: frozenset[str] = frozenset(
    {
        "activeDeadlineSeconds",
        "terminationGracePeriodSeconds",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "supplementalGroups",
        "tolerationSeconds",
        "generation",
        "observedGeneration",
        "deletionGracePeriodSeconds",
        "gracePeriodSeconds",
        "startingDeadlineSeconds",
    }
)
INT64_EXACT: frozenset[tuple[str, str]] = frozenset(
    {
        ("V1ServiceAccountTokenProjection", "expirationSeconds"),
        ("V1SleepAction", "seconds"),
        ("V1TokenRequestSpec", "expirationSeconds"),
        *(
            ("V1JSONSchemaProps", f)
            for f in ("maxItems", "maxLength", "maxProperties", "minItems", "minLength", "minProperties")
        ),
    }
)

# x-kubernetes-list-type (and map keys) as the Go markers declare them.
LIST_TYPES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}


def _lists(cls: str, atomic: tuple[str, ...] = (), **maps: tuple[str, ...]) -> None:
    for f in atomic:
        LIST_TYPES[(cls, f)] = ("atomic", ())
    for f, keys in maps.items():
        LIST_TYPES[(cls, f)] = ("map", keys) if keys else ("set", ())


_CONTAINER_ATOMIC = ("args", "command", "envFrom", "resizePolicy", "restartPolicyRules")
_CONTAINER_MAPS: dict[str, tuple[str, ...]] = {
    "env": ("name",),
    "ports": ("containerPort", "protocol"),
    "volumeDevices": ("devicePath",),
    "volumeMounts": ("mountPath",),
}
_lists("V1Container", _CONTAINER_ATOMIC, **_CONTAINER_MAPS)
_lists("V1EphemeralContainer", _CONTAINER_ATOMIC, **_CONTAINER_MAPS)
_lists("V1Capabilities", ("add", "drop"))
_lists("V1CephFSVolumeSource", ("monitors",))
_lists("V1ConfigMapProjection", ("items",))
_lists("V1ConfigMapVolumeSource", ("items",))
_lists("V1ContainerRestartRuleOnExitCodes", values=())
_lists("V1DownwardAPIProjection", ("items",))
_lists("V1DownwardAPIVolumeSource", ("items",))
_lists("V1ExecAction", ("command",))
_lists("V1FCVolumeSource", ("targetWWNs", "wwids"))
_lists("V1HTTPGetAction", ("httpHeaders",))
_lists("V1HostAlias", ("hostnames",))
_lists("V1ISCSIVolumeSource", ("portals",))
_lists("V1LabelSelector", ("matchExpressions",))
_lists("V1LabelSelectorRequirement", ("values",))
_lists("V1NodeAffinity", ("preferredDuringSchedulingIgnoredDuringExecution",))
_lists("V1NodeSelector", ("nodeSelectorTerms",))
_lists("V1NodeSelectorRequirement", ("values",))
_lists("V1NodeSelectorTerm", ("matchExpressions", "matchFields"))
_lists("V1PersistentVolumeClaimSpec", ("accessModes",))
_lists(
    "V1PodAffinity",
    ("preferredDuringSchedulingIgnoredDuringExecution", "requiredDuringSchedulingIgnoredDuringExecution"),
)
_lists(
    "V1PodAntiAffinity",
    ("preferredDuringSchedulingIgnoredDuringExecution", "requiredDuringSchedulingIgnoredDuringExecution"),
)
_lists("V1PodAffinityTerm", ("matchLabelKeys", "mismatchLabelKeys", "namespaces"))
_lists("V1PodDNSConfig", ("nameservers", "options", "searches"))
_lists("V1PodSecurityContext", ("supplementalGroups", "sysctls"))
_lists(
    "V1PodSpec",
    ("readinessGates", "tolerations"),
    containers=("name",),
    ephemeralContainers=("name",),
    hostAliases=("ip",),
    imagePullSecrets=("name",),
    initContainers=("name",),
    resourceClaims=("name",),
    schedulingGates=("name",),
    topologySpreadConstraints=("topologyKey", "whenUnsatisfiable"),
    volumes=("name",),
)
_lists("V1ProjectedVolumeSource", ("sources",))
_lists("V1RBDVolumeSource", ("monitors",))
_lists("V1ResourceRequirements", claims=("name",))
_lists("V1SecretProjection", ("items",))
_lists("V1SecretVolumeSource", ("items",))
_lists("V1TopologySpreadConstraint", ("matchLabelKeys",))
_lists("V1ObjectMeta", ownerReferences=("uid",))
_lists(
    "V1ServiceSpec",
    ("externalIPs", "ipFamilies", "loadBalancerSourceRanges", "clusterIPs"),
    ports=("port", "protocol"),
)

_lists("V1ServiceStatus", conditions=("type",))
_lists("V1LoadBalancerStatus", ("ingress",))
_lists("V1LoadBalancerIngress", ("ports",))
_lists("V1IngressTLS", ("hosts",))
_lists("V1NetworkPolicyEgressRule", ("ports", "to"))
_lists("V1NetworkPolicyIngressRule", ("from", "ports"))
_lists("V1IPBlock", ("except",))
_lists("V1beta2DeviceTaintRuleStatus", conditions=("type",))
_lists("V1CustomResourceDefinitionStatus", conditions=("type",))
# the map and set lists of the other built-in groups (k8s.io/api v0.37.2 +listType markers)
for _status in (
    "V1DeploymentStatus",
    "V1ReplicaSetStatus",
    "V1StatefulSetStatus",
    "V1DaemonSetStatus",
    "V1PodDisruptionBudgetStatus",
    "V2HorizontalPodAutoscalerStatus",
    "V1FlowSchemaStatus",
    "V1PriorityLevelConfigurationStatus",
    "V1ValidatingAdmissionPolicyStatus",
    "V1ServiceCIDRStatus",
    "V1CertificateSigningRequestStatus",
    "V1AllocatedDeviceStatus",
):
    _lists(_status, conditions=("type",))
_lists("V1ValidatingAdmissionPolicySpec", matchConditions=("name",), variables=("name",))
_lists("V1MutatingAdmissionPolicySpec", matchConditions=("name",))
_lists("V1ValidatingAdmissionPolicyBindingSpec", validationActions=())
_lists("V1ValidatingWebhookConfiguration", webhooks=("name",))
_lists("V1MutatingWebhookConfiguration", webhooks=("name",))
_lists("V1ValidatingWebhook", matchConditions=("name",))
_lists("V1MutatingWebhook", matchConditions=("name",))
_lists("V1CSIDriverSpec", volumeLifecycleModes=())
_lists("V1CSINodeSpec", drivers=("name",))
_lists("V1ResourcePolicyRule", verbs=(), apiGroups=(), resources=(), namespaces=())
_lists("V1NonResourcePolicyRule", verbs=(), nonResourceURLs=())
_lists("V1ResourceSliceSpec", skipNodeOperations=())
_lists("V1DeviceRequestAllocationResult", skipNodeOperations=())
_lists("V1ResourceClaimStatus", reservedFor=("uid",), devices=("driver", "device", "pool", "shareID"))
_lists("V1Endpoint", addresses=())
_lists("V1PodFailurePolicyOnExitCodesRequirement", values=())
_lists("V1UncountedTerminatedPods", succeeded=(), failed=())

# Structs marked +structType=atomic in k8s.io/api and apimachinery v0.37: kube-apiserver's schema
# (the field manager's, and its OpenAPI documents) owns and replaces a reference to one whole.
ATOMIC_STRUCTS: frozenset[str] = frozenset(
    {
        "V1LocalObjectReference",
        "V1TypedLocalObjectReference",
        "V1ObjectReference",
        "V1SecretReference",
        "V1OwnerReference",
        "V1LabelSelector",
        "V1ConfigMapKeySelector",
        "V1SecretKeySelector",
        "V1ObjectFieldSelector",
        "V1ResourceFieldSelector",
        "V1FileKeySelector",
        "V1NodeSelector",
        "V1NodeSelectorTerm",
        "V1TopologySelectorTerm",
        "V1ScopeSelector",
        "V1EndpointAddress",
        "CoreV1EndpointPort",
        "DiscoveryV1EndpointPort",
        "V1ServiceBackendPort",
        "V1RoleRef",
        "RbacV1Subject",
        "V1CrossVersionObjectReference",  # autoscaling/v1's scaleTargetRef (v2's is not atomic)
        # admission policies and webhooks
        "V1MatchResources",
        "V1beta1MatchResources",
        "V1alpha1MatchResources",
        "V1NamedRuleWithOperations",
        "V1beta1NamedRuleWithOperations",
        "V1alpha1NamedRuleWithOperations",
        "V1ParamKind",
        "V1beta1ParamKind",
        "V1alpha1ParamKind",
        "V1ParamRef",
        "V1beta1ParamRef",
        "V1alpha1ParamRef",
        "V1Variable",
        "V1beta1Variable",
    }
)

# controller-gen also marks a struct atomic when it embeds an atomic one inline (these embed
# LocalObjectReference), so KubeRay's CRD owns a configMap volume whole where kube-apiserver's
# pod schema does not.
CONTROLLER_GEN_ATOMIC_STRUCTS: frozenset[str] = ATOMIC_STRUCTS | {
    "V1ConfigMapVolumeSource",
    "V1ConfigMapProjection",
    "V1SecretProjection",
    "V1ConfigMapEnvSource",
    "V1SecretEnvSource",
}

# Maps marked +mapType=atomic.
ATOMIC_MAPS: frozenset[tuple[str, str]] = frozenset(
    {
        ("V1PodSpec", "nodeSelector"),
        ("V1ServiceSpec", "selector"),
        ("V1ReplicationControllerSpec", "selector"),
    }
)
# runtime.RawExtension fields, which kube-apiserver's field manager owns whole (its schema gives
# them no fields)
ATOMIC_JSON: frozenset[tuple[str, str]] = frozenset({("V1ControllerRevision", "data")})

# kubebuilder value validations on apimachinery types (controller-gen copies them into CRDs).
_QUALIFIED_NAME = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
    r"[A-Za-z0-9])$"
)
VALUE_VALIDATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("V1Condition", "type"): {"maxLength": 316, "pattern": _QUALIFIED_NAME},
    ("V1Condition", "status"): {"enum": ["True", "False", "Unknown"]},
    ("V1Condition", "observedGeneration"): {"minimum": 0},
    ("V1Condition", "reason"): {
        "maxLength": 1024,
        "minLength": 1,
        "pattern": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    },
    ("V1Condition", "message"): {"maxLength": 32768},
    ("V1PortStatus", "error"): {"maxLength": 316, "pattern": _QUALIFIED_NAME},
}

# `+default=` markers (controller-gen emits them as `default:`).
DEFAULTS: dict[tuple[str, str], Any] = {
    ("V1AzureDiskVolumeSource", "fsType"): "ext4",
    ("V1AzureDiskVolumeSource", "readOnly"): False,
    ("V1ConfigMapEnvSource", "name"): "",
    ("V1ConfigMapKeySelector", "name"): "",
    ("V1ConfigMapProjection", "name"): "",
    ("V1ConfigMapVolumeSource", "name"): "",
    ("V1ContainerPort", "protocol"): "TCP",
    ("V1ServicePort", "protocol"): "TCP",
    ("V1FileKeySelector", "optional"): False,
    ("V1GRPCAction", "service"): "",
    ("V1ISCSIVolumeSource", "iscsiInterface"): "default",
    ("V1LocalObjectReference", "name"): "",
    ("V1RBDVolumeSource", "keyring"): "/etc/ceph/keyring",
    ("V1RBDVolumeSource", "pool"): "rbd",
    ("V1RBDVolumeSource", "user"): "admin",
    ("V1ScaleIOVolumeSource", "fsType"): "xfs",
    ("V1ScaleIOVolumeSource", "storageMode"): "ThinProvisioned",
    ("V1SecretEnvSource", "name"): "",
    ("V1SecretKeySelector", "name"): "",
    ("V1SecretProjection", "name"): "",
}

# What controller-gen emits for an ObjectMeta embedded in a CRD (e.g. a pod template's metadata).
EMBEDDED_OBJECT_META_FIELDS = ("annotations", "finalizers", "labels", "name", "namespace")

# Descriptions of top-level kinds, for when the official `kubernetes` client (whose classes carry
# type descriptions) is not installed; `kubectl explain KIND` prints these.
KIND_DESCRIPTIONS: dict[str, str] = {
    "V1Pod": "Pod is a collection of containers that can run on a host. This resource is created by clients "
    "and scheduled onto hosts.",
    "V1Service": "Service is a named abstraction of software service (for example, mysql) consisting of "
    "local port (for example 3306) that the proxy listens on, and the selector that determines which "
    "pods will answer requests sent through the proxy.",
    "V1ConfigMap": "ConfigMap holds configuration data for pods to consume.",
    "V1Secret": "Secret holds secret data of a certain type. The total bytes of the values in the Data field "
    "must be less than MaxSecretSize bytes.",
    "V1ServiceAccount": "ServiceAccount binds together: * a name, understood by users, and perhaps by "
    "peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of "
    "secrets",
    "V1Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    "V1Node": "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache "
    "(i.e. in etcd).",
    "V1Endpoints": "Endpoints is a collection of endpoints that implement the actual service.",
    "CoreV1Event": "Event is a report of an event somewhere in the cluster.",
    "EventsV1Event": "Event is a report of an event somewhere in the cluster. It generally denotes some "
    "state change in the system.",
    "V1Role": "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a "
    "RoleBinding.",
    "V1RoleBinding": "RoleBinding references a role, but does not contain it. It can reference a Role in the "
    "same namespace or a ClusterRole in the global namespace.",
    "V1ClusterRole": "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced "
    "as a unit by a RoleBinding or ClusterRoleBinding.",
    "V1ClusterRoleBinding": "ClusterRoleBinding references a ClusterRole, but not contain it. It can "
    "reference a ClusterRole in the global namespace, and adds who information via Subject.",
    "V1Lease": "Lease defines a lease concept.",
    "V1CustomResourceDefinition": "CustomResourceDefinition represents a resource that should be exposed on "
    "the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.",
    "V1Job": "Job represents the configuration of a single job.",
    "V1Ingress": "Ingress is a collection of rules that allow inbound connections to reach the endpoints "
    "defined by a backend.",
    "V1NetworkPolicy": "NetworkPolicy describes what network traffic is allowed for a set of Pods",
    "V1Deployment": "Deployment enables declarative updates for Pods and ReplicaSets.",
    "V1ReplicaSet": "ReplicaSet ensures that a specified number of pod replicas are running at any given "
    "time.",
    "V1PodTemplateSpec": "PodTemplateSpec describes the data a pod should have when created from a template",
    "V1ObjectMeta": "ObjectMeta is metadata that all persisted resources must have, which includes all "
    "objects users must create.",
}
