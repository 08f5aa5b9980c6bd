"""Field documentation of built-in kinds that kube-apiserver's Table printers use as column
descriptions: the `X{}.SwaggerDoc()["field"]` texts of k8s.io/kubernetes v1.37.2
pkg/printers/internalversion/printers.go, copied verbatim from the `types_swagger_doc_generated.go`
files of k8s.io/api and k8s.io/apimachinery v0.37.2. Each constant is named for its Go type and field;
the comment above it names the API group/version.
"""

# meta/v1 ObjectMeta.name
OBJECT_META_NAME = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)

# meta/v1 ObjectMeta.creationTimestamp
OBJECT_META_CREATION_TIMESTAMP = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
    "lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

# core/v1 PodStatus.podIP
POD_STATUS_POD_IP = (
    "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
)

# core/v1 PodStatus.nominatedNodeName
POD_STATUS_NOMINATED_NODE_NAME = (
    "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled "
    "right away as preemption victims receive their graceful termination periods. This field does not "
    "guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere "
    "if other nodes become available sooner. Scheduler may also decide to give the resources on this node to "
    "a higher priority pod that is created after preemption. As a result, this field may be different than "
    "PodSpec.nodeName when the pod is scheduled."
)

# core/v1 PodSpec.nodeName
POD_SPEC_NODE_NAME = (
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
    "scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node "
    "becomes responsible for the lifecycle of this pod. This field should not be used to express a desire "
    "for the pod to be scheduled on a specific node. "
    "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
)

# core/v1 PodSpec.readinessGates
POD_SPEC_READINESS_GATES = (
    "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its "
    'containers are ready AND all conditions specified in the readiness gates have status equal to "True" '
    "More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
)

# core/v1 ServiceSpec.type
SERVICE_SPEC_TYPE = (
    "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, "
    'ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for '
    "load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by "
    'manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no '
    "virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "
    '"NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints '
    'as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if '
    'supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" '
    "aliases this service to the specified externalName. Several other fields do not apply to ExternalName "
    "services. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
)

# core/v1 ServiceSpec.clusterIP
SERVICE_SPEC_CLUSTER_IP = (
    "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified "
    "manually, is in-range (as per system configuration), and is not in use, it will be allocated to the "
    "service; otherwise creation of the service will fail. This field may not be changed through updates "
    "unless the type field is also being changed to ExternalName (which requires this field to be blank) or "
    "the type field is being changed from ExternalName (in which case this field may optionally be "
    'specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. '
    'Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct '
    "endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, "
    "NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, "
    "creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
)

# core/v1 ServiceSpec.externalIPs
SERVICE_SPEC_EXTERNAL_IPS = (
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this "
    "service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic "
    "arrives at a node with this IP.  A common example is external load-balancers that are not part of the "
    "Kubernetes system."
)

# core/v1 ServiceSpec.ports
SERVICE_SPEC_PORTS = (
    "The list of ports that are exposed by this service. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
)

# core/v1 ServiceSpec.selector
SERVICE_SPEC_SELECTOR = (
    "Route service traffic to pods with label keys and values matching this selector. If empty or not "
    "present, the service is assumed to have an external process managing its endpoints, which Kubernetes "
    "will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is "
    "ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"
)

# core/v1 ConfigMap.data
CONFIG_MAP_DATA = (
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or "
    "'.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must "
    "not overlap with the keys in the BinaryData field, this is enforced during validation process."
)

# core/v1 Secret.type
SECRET_TYPE = (
    "Used to facilitate programmatic handling of secret data. More info: "
    "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
)

# core/v1 Secret.data
SECRET_DATA = (
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The "
    "serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly "
    "non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
)

# core/v1 Endpoints.subsets
ENDPOINTS_SUBSETS = (
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to "
    "the IPs they share. A single address with multiple ports, some of which are ready and some of which are "
    "not (because they come from different containers) will result in the address being displayed in "
    "different subsets for the different ports. No address will appear in both Addresses and "
    "NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
)

# core/v1 NodeSystemInfo.kubeletVersion
NODE_SYSTEM_INFO_KUBELET_VERSION = "Kubelet Version reported by the node."

# core/v1 NodeSystemInfo.osImage
NODE_SYSTEM_INFO_OS_IMAGE = (
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
)

# core/v1 NodeSystemInfo.kernelVersion
NODE_SYSTEM_INFO_KERNEL_VERSION = (
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
)

# core/v1 NodeSystemInfo.containerRuntimeVersion
NODE_SYSTEM_INFO_CONTAINER_RUNTIME_VERSION = (
    "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
)

# core/v1 NodeStatus.addresses
NODE_STATUS_ADDRESSES = (
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
    "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as "
    "mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is "
    "merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an "
    "example. Consumers should assume that addresses can change during the lifetime of a Node. However, "
    "there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in "
    "its own status or consumers of the downward API (status.hostIP)."
)

# core/v1 Event.lastTimestamp
EVENT_LAST_TIMESTAMP = "The time at which the most recent occurrence of this event was recorded."

# core/v1 Event.type
EVENT_TYPE = "Type of this event (Normal, Warning), new types could be added in the future"

# core/v1 Event.reason
EVENT_REASON = (
    "This should be a short, machine understandable string that gives the reason for the transition into the "
    "object's current status."
)

# core/v1 Event.involvedObject
EVENT_INVOLVED_OBJECT = "The object that this event is about."

# core/v1 ObjectReference.fieldPath
OBJECT_REFERENCE_FIELD_PATH = (
    "If referring to a piece of an object instead of an entire object, this string should contain a valid "
    "JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object "
    'reference is to a container within a pod, this would take on a value like: "spec.containers{name}" '
    '(where "name" refers to the name of the container that triggered the event) or if no container name '
    'is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to '
    "have some well-defined way of referencing a part of an object."
)

# core/v1 Event.source
EVENT_SOURCE = "The component reporting this event. Should be a short machine understandable string."

# core/v1 Event.message
EVENT_MESSAGE = "A human-readable description of the status of this operation."

# core/v1 Event.firstTimestamp
EVENT_FIRST_TIMESTAMP = (
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
)

# core/v1 Event.count
EVENT_COUNT = "The number of times this event has occurred."

# core/v1 ReplicationControllerSpec.replicas
REPLICATION_CONTROLLER_SPEC_REPLICAS = (
    "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and "
    "unspecified. Defaults to 1. More info: "
    "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcon"
    "troller"
)

# core/v1 ReplicationControllerSpec.selector
REPLICATION_CONTROLLER_SPEC_SELECTOR = (
    "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is "
    "defaulted to the labels present on the Pod template. Label keys and values that must match in order to "
    "be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
)

# core/v1 ReplicationControllerStatus.replicas
REPLICATION_CONTROLLER_STATUS_REPLICAS = (
    "Replicas is the most recently observed number of replicas. More info: "
    "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcon"
    "troller"
)

# core/v1 ReplicationControllerStatus.readyReplicas
REPLICATION_CONTROLLER_STATUS_READY_REPLICAS = "The number of ready replicas for this replication controller."

# apps/v1 DeploymentStatus.updatedReplicas
DEPLOYMENT_STATUS_UPDATED_REPLICAS = (
    "Total number of non-terminating pods targeted by this deployment that have the desired template spec."
)

# apps/v1 DeploymentStatus.availableReplicas
DEPLOYMENT_STATUS_AVAILABLE_REPLICAS = (
    "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this "
    "deployment."
)

# apps/v1 DeploymentSpec.selector
DEPLOYMENT_SPEC_SELECTOR = (
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected "
    "by this deployment. It must match the pod template's labels."
)

# apps/v1 ReplicaSetSpec.replicas
REPLICA_SET_SPEC_REPLICAS = (
    "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and "
    "unspecified. Defaults to 1. More info: "
    "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
)

# apps/v1 ReplicaSetSpec.selector
REPLICA_SET_SPEC_SELECTOR = (
    "Selector is a label query over pods that should match the replica count. Label keys and values that "
    "must match in order to be controlled by this replica set. It must match the pod template's labels. More "
    "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
)

# apps/v1 ReplicaSetStatus.replicas
REPLICA_SET_STATUS_REPLICAS = (
    "Replicas is the most recently observed number of non-terminating pods. More info: "
    "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
)

# apps/v1 ReplicaSetStatus.readyReplicas
REPLICA_SET_STATUS_READY_REPLICAS = (
    "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."
)

# batch/v1 JobStatus.succeeded
JOB_STATUS_SUCCEEDED = (
    "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. "
    "However, it may decrease in reaction to scale down of elastic indexed jobs."
)

# batch/v1 JobSpec.selector
JOB_SPEC_SELECTOR = (
    "A label query over pods that should match the pod count. Normally, the system sets this field for you. "
    "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
)

# coordination/v1 LeaseSpec.holderIdentity
LEASE_SPEC_HOLDER_IDENTITY = (
    "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election "
    "is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."
)

# rbac/v1beta1 RoleBinding.roleRef
ROLE_BINDING_ROLE_REF = (
    "roleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the "
    "RoleRef cannot be resolved, the Authorizer must return an error."
)

# rbac/v1beta1 ClusterRoleBinding.roleRef
CLUSTER_ROLE_BINDING_ROLE_REF = (
    "roleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, "
    "the Authorizer must return an error."
)

# autoscaling/v2 HorizontalPodAutoscalerSpec.scaleTargetRef
HPA_SPEC_SCALE_TARGET_REF = (
    "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should "
    "be collected, as well as to actually change the replica count."
)

# autoscaling/v2 HorizontalPodAutoscalerSpec.metrics
HPA_SPEC_METRICS = (
    "metrics contains the specifications for which to use to calculate the desired replica count (the "
    "maximum replica count across all metrics will be used).  The desired replica count is calculated "
    "multiplying the ratio between the target value and the current value by the current number of pods.  "
    "Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual "
    "metric source types for more information about how each type of metric must respond. If not set, the "
    "default metric will be set to 80% average CPU utilization."
)

# autoscaling/v2 HorizontalPodAutoscalerSpec.minReplicas
HPA_SPEC_MIN_REPLICAS = (
    "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It "
    "defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled "
    "and at least one Object or External metric is configured.  Scaling is active as long as at least one "
    "metric value is available."
)

# autoscaling/v2 HorizontalPodAutoscalerSpec.maxReplicas
HPA_SPEC_MAX_REPLICAS = (
    "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It "
    "cannot be less that minReplicas."
)

# autoscaling/v2 HorizontalPodAutoscalerStatus.currentReplicas
HPA_STATUS_CURRENT_REPLICAS = (
    "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the "
    "autoscaler."
)
