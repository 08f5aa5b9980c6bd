"""Decoding `application/vnd.kubernetes.protobuf` request bodies into the JSON form of the object.

kubectl's typed commands (`kubectl create namespace|configmap|secret|serviceaccount|token|role|...`)
send protobuf for built-in kinds and cannot fall back to JSON. The envelope is the magic `k8s\\0`
followed by a runtime.Unknown {typeMeta, raw}; `raw` is the object's message. Field numbers come
from Kubernetes' generated.proto files. Only the kinds kubectl creates imperatively are described;
others answer 415 as a server without protobuf support would. Responses are always JSON (clients
accept it). Pure.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from kubeschema.timestamps import format_time

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


@dataclass(frozen=True)
class F:
    """One field: its JSON name, type (scalar name, `map:<value type>`, or a message name)."""

    name: str
    type: str
    repeated: bool = False
    pointer: bool = False  # Go *T: a zero value was set on purpose and is kept
    inline: bool = False  # Go's embedded struct: its fields appear in the parent's JSON


META = "ObjectMeta"
MESSAGES: dict[str, dict[int, F]] = {
    "ObjectMeta": {
        1: F("name", "string"),
        2: F("generateName", "string"),
        3: F("namespace", "string"),
        4: F("selfLink", "string"),
        5: F("uid", "string"),
        6: F("resourceVersion", "string"),
        7: F("generation", "int"),
        8: F("creationTimestamp", "Time"),
        9: F("deletionTimestamp", "Time"),
        10: F("deletionGracePeriodSeconds", "int", pointer=True),
        11: F("labels", "map:string"),
        12: F("annotations", "map:string"),
        13: F("ownerReferences", "OwnerReference", repeated=True),
        14: F("finalizers", "string", repeated=True),
    },
    "OwnerReference": {
        5: F("apiVersion", "string"),
        1: F("kind", "string"),
        3: F("name", "string"),
        4: F("uid", "string"),
        6: F("controller", "bool", pointer=True),
        7: F("blockOwnerDeletion", "bool", pointer=True),
    },
    "Time": {1: F("seconds", "int"), 2: F("nanos", "int")},
    "ConfigMap": {
        1: F("metadata", META),
        4: F("immutable", "bool", pointer=True),
        2: F("data", "map:string"),
        3: F("binaryData", "map:bytes"),
    },
    "Secret": {
        1: F("metadata", META),
        5: F("immutable", "bool", pointer=True),
        2: F("data", "map:bytes"),
        4: F("stringData", "map:string"),
        3: F("type", "string"),
    },
    "Namespace": {1: F("metadata", META), 2: F("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: F("finalizers", "string", repeated=True)},
    "ServiceAccount": {
        1: F("metadata", META),
        2: F("secrets", "ObjectReference", repeated=True),
        3: F("imagePullSecrets", "LocalObjectReference", repeated=True),
        4: F("automountServiceAccountToken", "bool", pointer=True),
    },
    "ObjectReference": {
        1: F("kind", "string"),
        2: F("namespace", "string"),
        3: F("name", "string"),
        4: F("uid", "string"),
        5: F("apiVersion", "string"),
        6: F("resourceVersion", "string"),
        7: F("fieldPath", "string"),
    },
    "LocalObjectReference": {1: F("name", "string")},
    "TokenRequest": {1: F("metadata", META), 2: F("spec", "TokenRequestSpec")},
    "TokenRequestSpec": {
        1: F("audiences", "string", repeated=True),
        4: F("expirationSeconds", "int", pointer=True),
        3: F("boundObjectRef", "BoundObjectReference"),
    },
    "BoundObjectReference": {
        1: F("kind", "string"),
        2: F("apiVersion", "string"),
        3: F("name", "string"),
        4: F("uid", "string"),
    },
    "Role": {1: F("metadata", META), 2: F("rules", "PolicyRule", repeated=True)},
    "ClusterRole": {
        1: F("metadata", META),
        2: F("rules", "PolicyRule", repeated=True),
        3: F("aggregationRule", "AggregationRule"),
    },
    "AggregationRule": {1: F("clusterRoleSelectors", "LabelSelector", repeated=True)},
    "LabelSelector": {
        1: F("matchLabels", "map:string"),
        2: F("matchExpressions", "LabelSelectorRequirement", repeated=True),
    },
    "LabelSelectorRequirement": {
        1: F("key", "string"),
        2: F("operator", "string"),
        3: F("values", "string", repeated=True),
    },
    "PolicyRule": {
        1: F("verbs", "string", repeated=True),
        2: F("apiGroups", "string", repeated=True),
        3: F("resources", "string", repeated=True),
        4: F("resourceNames", "string", repeated=True),
        5: F("nonResourceURLs", "string", repeated=True),
    },
    "RoleBinding": {
        1: F("metadata", META),
        2: F("subjects", "Subject", repeated=True),
        3: F("roleRef", "RoleRef"),
    },
    "ClusterRoleBinding": {
        1: F("metadata", META),
        2: F("subjects", "Subject", repeated=True),
        3: F("roleRef", "RoleRef"),
    },
    "Subject": {
        1: F("kind", "string"),
        2: F("apiGroup", "string"),
        3: F("name", "string"),
        4: F("namespace", "string"),
    },
    "RoleRef": {1: F("apiGroup", "string"), 2: F("kind", "string"), 3: F("name", "string")},
    "SelfSubjectAccessReview": {1: F("metadata", META), 2: F("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {
        1: F("resourceAttributes", "ResourceAttributes"),
        2: F("nonResourceAttributes", "NonResourceAttributes"),
    },
    "SubjectAccessReview": {1: F("metadata", META), 2: F("spec", "SubjectAccessReviewSpec")},
    "LocalSubjectAccessReview": {1: F("metadata", META), 2: F("spec", "SubjectAccessReviewSpec")},
    "SubjectAccessReviewSpec": {
        1: F("resourceAttributes", "ResourceAttributes"),
        2: F("nonResourceAttributes", "NonResourceAttributes"),
        3: F("user", "string"),
        4: F("groups", "string", repeated=True),
        6: F("uid", "string"),
    },
    "ResourceAttributes": {
        1: F("namespace", "string"),
        2: F("verb", "string"),
        3: F("group", "string"),
        4: F("version", "string"),
        5: F("resource", "string"),
        6: F("subresource", "string"),
        7: F("name", "string"),
    },
    "NonResourceAttributes": {1: F("path", "string"), 2: F("verb", "string")},
    "SelfSubjectRulesReview": {1: F("metadata", META), 2: F("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: F("namespace", "string")},
    "SelfSubjectReview": {1: F("metadata", META)},
    "TokenReview": {1: F("metadata", META), 2: F("spec", "TokenReviewSpec")},
    "TokenReviewSpec": {1: F("token", "string"), 2: F("audiences", "string", repeated=True)},
    "IntOrString": {1: F("type", "int"), 2: F("intVal", "int"), 3: F("strVal", "string")},
    "Quantity": {1: F("string", "string")},
    "PodTemplateSpec": {1: F("metadata", META), 2: F("spec", "PodSpec")},
    "PodSpec": {
        20: F("initContainers", "Container", repeated=True),
        2: F("containers", "Container", repeated=True),
        3: F("restartPolicy", "string"),
        4: F("terminationGracePeriodSeconds", "int", pointer=True),
        5: F("activeDeadlineSeconds", "int", pointer=True),
        6: F("dnsPolicy", "string"),
        7: F("nodeSelector", "map:string"),
        8: F("serviceAccountName", "string"),
        21: F("automountServiceAccountToken", "bool", pointer=True),
        10: F("nodeName", "string"),
        11: F("hostNetwork", "bool"),
        16: F("hostname", "string"),
        17: F("subdomain", "string"),
        19: F("schedulerName", "string"),
        24: F("priorityClassName", "string"),
        30: F("enableServiceLinks", "bool", pointer=True),
    },
    "Container": {
        1: F("name", "string"),
        2: F("image", "string"),
        3: F("command", "string", repeated=True),
        4: F("args", "string", repeated=True),
        5: F("workingDir", "string"),
        6: F("ports", "ContainerPort", repeated=True),
        7: F("env", "EnvVar", repeated=True),
        8: F("resources", "ResourceRequirements"),
        13: F("terminationMessagePath", "string"),
        20: F("terminationMessagePolicy", "string"),
        14: F("imagePullPolicy", "string"),
        16: F("stdin", "bool"),
        17: F("stdinOnce", "bool"),
        18: F("tty", "bool"),
    },
    "ContainerPort": {
        1: F("name", "string"),
        2: F("hostPort", "int"),
        3: F("containerPort", "int"),
        4: F("protocol", "string"),
        5: F("hostIP", "string"),
    },
    "EnvVar": {1: F("name", "string"), 2: F("value", "string")},
    "ResourceRequirements": {1: F("limits", "map:Quantity"), 2: F("requests", "map:Quantity")},
    "Deployment": {1: F("metadata", META), 2: F("spec", "DeploymentSpec")},
    "DeploymentSpec": {
        1: F("replicas", "int", pointer=True),
        2: F("selector", "LabelSelector"),
        3: F("template", "PodTemplateSpec"),
        4: F("strategy", "DeploymentStrategy"),
        5: F("minReadySeconds", "int"),
        6: F("revisionHistoryLimit", "int", pointer=True),
        7: F("paused", "bool"),
        9: F("progressDeadlineSeconds", "int", pointer=True),
    },
    "DeploymentStrategy": {1: F("type", "string"), 2: F("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: F("maxUnavailable", "IntOrString"), 2: F("maxSurge", "IntOrString")},
    "Job": {1: F("metadata", META), 2: F("spec", "JobSpec")},
    "JobSpec": {
        1: F("parallelism", "int", pointer=True),
        2: F("completions", "int", pointer=True),
        3: F("activeDeadlineSeconds", "int", pointer=True),
        7: F("backoffLimit", "int", pointer=True),
        4: F("selector", "LabelSelector"),
        5: F("manualSelector", "bool", pointer=True),
        6: F("template", "PodTemplateSpec"),
        8: F("ttlSecondsAfterFinished", "int", pointer=True),
        9: F("completionMode", "string"),
        10: F("suspend", "bool", pointer=True),
    },
    "Service": {1: F("metadata", META), 2: F("spec", "ServiceSpec")},
    "ServiceSpec": {
        1: F("ports", "ServicePort", repeated=True),
        2: F("selector", "map:string"),
        3: F("clusterIP", "string"),
        18: F("clusterIPs", "string", repeated=True),
        4: F("type", "string"),
        5: F("externalIPs", "string", repeated=True),
        7: F("sessionAffinity", "string"),
        10: F("externalName", "string"),
        13: F("publishNotReadyAddresses", "bool"),
    },
    "ServicePort": {
        1: F("name", "string"),
        2: F("protocol", "string"),
        6: F("appProtocol", "string"),
        3: F("port", "int"),
        4: F("targetPort", "IntOrString"),
        5: F("nodePort", "int"),
    },
    "Eviction": {1: F("metadata", META), 2: F("deleteOptions", "DeleteOptions")},
    "DeleteOptions": {
        1: F("gracePeriodSeconds", "int", pointer=True),
        2: F("preconditions", "Preconditions"),
        3: F("orphanDependents", "bool", pointer=True),
        4: F("propagationPolicy", "string"),
        5: F("dryRun", "string", repeated=True),
    },
    "Preconditions": {1: F("uid", "string"), 2: F("resourceVersion", "string")},
    "PodDisruptionBudget": {1: F("metadata", META), 2: F("spec", "PodDisruptionBudgetSpec")},
    "PodDisruptionBudgetSpec": {
        1: F("minAvailable", "IntOrString"),
        2: F("selector", "LabelSelector"),
        3: F("maxUnavailable", "IntOrString"),
        4: F("unhealthyPodEvictionPolicy", "string"),
    },
    "Ingress": {1: F("metadata", META), 2: F("spec", "IngressSpec")},
    "IngressSpec": {
        4: F("ingressClassName", "string"),
        1: F("defaultBackend", "IngressBackend"),
        2: F("tls", "IngressTLS", repeated=True),
        3: F("rules", "IngressRule", repeated=True),
    },
    "IngressBackend": {
        4: F("service", "IngressServiceBackend"),
        3: F("resource", "TypedLocalObjectReference"),
    },
    "IngressServiceBackend": {1: F("name", "string"), 2: F("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: F("name", "string"), 2: F("number", "int")},
    "TypedLocalObjectReference": {1: F("apiGroup", "string"), 2: F("kind", "string"), 3: F("name", "string")},
    "IngressTLS": {1: F("hosts", "string", repeated=True), 2: F("secretName", "string")},
    "IngressRule": {1: F("host", "string"), 2: F("", "IngressRuleValue", inline=True)},
    "IngressRuleValue": {1: F("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: F("paths", "HTTPIngressPath", repeated=True)},
    "HTTPIngressPath": {
        1: F("path", "string"),
        3: F("pathType", "string"),
        2: F("backend", "IngressBackend"),
    },
    # certificates.k8s.io/v1: `kubectl certificate approve|deny` sends the whole CSR
    "CertificateSigningRequest": {
        1: F("metadata", META),
        2: F("spec", "CertificateSigningRequestSpec"),
        3: F("status", "CertificateSigningRequestStatus"),
    },
    "CertificateSigningRequestSpec": {
        1: F("request", "bytes"),
        7: F("signerName", "string"),
        8: F("expirationSeconds", "int", pointer=True),
        5: F("usages", "string", repeated=True),
        2: F("username", "string"),
        3: F("uid", "string"),
        4: F("groups", "string", repeated=True),
    },
    "CertificateSigningRequestStatus": {
        1: F("conditions", "CertificateSigningRequestCondition", repeated=True),
        2: F("certificate", "bytes"),
    },
    "CertificateSigningRequestCondition": {
        1: F("type", "string"),
        6: F("status", "string"),
        2: F("reason", "string"),
        3: F("message", "string"),
        4: F("lastUpdateTime", "Time"),
        5: F("lastTransitionTime", "Time"),
    },
    "Unknown": {
        1: F("typeMeta", "TypeMeta"),
        2: F("raw", "bytes"),
        3: F("contentEncoding", "string"),
        4: F("contentType", "string"),
    },
    "TypeMeta": {1: F("apiVersion", "string"), 2: F("kind", "string")},
}

# (apiVersion, kind) -> message describing the object
KINDS = {
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("authentication.k8s.io/v1", "TokenRequest"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("v1", "Service"),
    ("policy/v1", "Eviction"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    ("authentication.k8s.io/v1", "TokenReview"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
    ("authorization.k8s.io/v1", "SubjectAccessReview"),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
}


ANY_VERSION_KINDS = frozenset({"DeleteOptions"})


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited; fixed ones skipped."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ProtobufError("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _time(buf: bytes) -> str | None:
    msg = _message(buf, "Time")
    if not msg:
        return None
    stamp = dt.datetime.fromtimestamp(int(msg.get("seconds", 0)), dt.UTC)
    return format_time(stamp)


def _scalar(type_: str, value: int | bytes) -> Any:
    if type_ == "string":
        if not isinstance(value, bytes):
            raise ProtobufError("expected a string")
        return value.decode()
    if type_ == "bytes":
        if not isinstance(value, bytes):
            raise ProtobufError("expected bytes")
        return base64.b64encode(value).decode()
    if type_ == "int":
        if not isinstance(value, int):
            raise ProtobufError("expected an integer")
        return _signed(value)
    if type_ == "bool":
        return bool(value)
    raise ProtobufError(f"unknown type {type_}")


def _empty(value: Any) -> bool:
    return value in ("", 0, None) or value == {} or value == []


def _special(name: str, msg: dict[str, Any]) -> Any:
    """Types whose JSON form is not an object: IntOrString (a number or string), Quantity (a string)."""
    if name == "IntOrString":
        return msg.get("strVal", "") if msg.get("type") == 1 else msg.get("intVal", 0)
    if name == "Quantity":
        return msg.get("string", "0")
    return msg


def _message(buf: bytes, name: str) -> dict[str, Any]:
    spec = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, value in _fields(buf):
        field = spec.get(number)
        if field is None:
            continue
        if field.type.startswith("map:"):
            if not isinstance(value, bytes):
                raise ProtobufError(f"{field.name}: expected a map entry")
            entry = dict(_fields(value))
            key = entry.get(1, b"")
            if not isinstance(key, bytes):
                raise ProtobufError(f"{field.name}: bad map key")
            value_type = field.type[4:]
            raw_value = entry.get(2, b"")
            if value_type in MESSAGES:
                if not isinstance(raw_value, bytes):
                    raise ProtobufError(f"{field.name}: bad map value")
                item: Any = _special(value_type, _message(raw_value, value_type))
            else:
                item = _scalar(value_type, raw_value)
            out.setdefault(field.name, {})[key.decode()] = item
            continue
        if field.type == "Time":
            if not isinstance(value, bytes):
                raise ProtobufError(f"{field.name}: expected a time")
            decoded: Any = _time(value)
        elif field.type in MESSAGES:
            if not isinstance(value, bytes):
                raise ProtobufError(f"{field.name}: expected a message")
            decoded = _special(field.type, _message(value, field.type))
        else:
            decoded = _scalar(field.type, value)
        if field.inline and isinstance(decoded, dict):
            out.update(decoded)
        elif field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif field.pointer or not _empty(decoded):
            out[field.name] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; ProtobufError for kinds or bytes it cannot read."""
    if not body.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    unknown = _message(body[len(MAGIC) :], "Unknown")
    type_meta = unknown.get("typeMeta") or {}
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    # client-go sends DeleteOptions in the group/version of the resource being deleted (helm
    # uninstall: "v1", "apps/v1", ...), so it is read whatever version it names
    if (api_version, kind) not in KINDS and kind not in ANY_VERSION_KINDS:
        raise ProtobufError(f"no protobuf decoding for {api_version}, Kind={kind}")
    raw = base64.b64decode(unknown.get("raw", ""))
    obj = _message(raw, kind)
    return {"apiVersion": api_version, "kind": kind, **obj}
