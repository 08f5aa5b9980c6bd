"""Object metadata and built-in kind validation, with Kubernetes' field paths and messages.

Pure: the create/update handlers call `validate_metadata` and the kind's validator (named by its
strategy record in strategies/) on the defaulted object and turn the returned FieldErrors into a
422 Invalid Status. The name validators at the top
(`dns1123_subdomain_errors`, `qualified_name_errors`, ...) return Kubernetes' message strings and are
shared with the selector parser.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from localkube.apiserver.fielderrors import (
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    NOT_SUPPORTED,
    REQUIRED,
    TOO_LONG,
    FieldError,
)
from localkube.apiserver.shapes import as_dict, as_list

# Kubernetes' reason for a reference to something that does not exist (field.ErrorTypeNotFound).
NOT_FOUND = "FieldValueNotFound"

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
MAX_SECRET_SIZE = 1024 * 1024  # also the ConfigMap limit

# --- name validators (k8s.io/apimachinery/pkg/util/validation) -----------------------------------

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"

_DNS1123_LABEL = re.compile("^" + _DNS1123_LABEL_FMT + "$")
_DNS1123_SUBDOMAIN = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
_QNAME = re.compile("^" + _QNAME_FMT + "$")
_LABEL_VALUE = re.compile("^" + _LABEL_VALUE_FMT + "$")
_CONFIG_KEY = re.compile("^" + _CONFIG_KEY_FMT + "$")
_PORT_NAME_CHARSET = re.compile("^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile("[a-z]")


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Kubernetes' RegexError text, including its doubled spaces between examples."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    text = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_label_errors(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1123_LABEL.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character",
                _DNS1123_LABEL_FMT,
                "my-name",
                "123-abc",
            )
        )
    return errs


def dns1123_subdomain_errors(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errs


def path_segment_errors(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)


def qualified_name_errors(value: str) -> list[str]:
    """IsQualifiedName: `[prefix/]name`, the syntax of label and annotation keys."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QNAME.match(name):
        errs.append("name part " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_VALUE.match(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                "or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def config_key_errors(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _CONFIG_KEY.match(value):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CONFIG_KEY_FMT,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def port_name_errors(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET.match(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_number_errors(value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return ["must be between 1 and 65535, inclusive"]
    return []


NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "subdomain": dns1123_subdomain_errors,
    "label": dns1123_label_errors,
    "path-segment": path_segment_errors,
}

# Kinds whose names are not DNS subdomains (everything else built-in is "subdomain").
# --- metadata ------------------------------------------------------------------------------------


def validate_metadata(obj: Mapping[str, Any], *, namespaced: bool, name_rule: str) -> list[FieldError]:
    """ValidateObjectMeta: name/generateName, namespace, labels, annotations, finalizers, owners."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        meta = {}
    errs: list[FieldError] = []
    check = NAME_RULES[name_rule]
    name = meta.get("name") or ""
    generate = meta.get("generateName") or ""
    if generate:
        # generateName is a prefix: a trailing '-' is fine, as Kubernetes masks it before checking.
        masked = generate[:-1] + "a" if len(generate) > 1 and generate.endswith("-") else generate
        errs.extend(FieldError("metadata.generateName", INVALID, m, generate) for m in check(masked))
    if not name and not generate:
        errs.append(FieldError("metadata.name", REQUIRED, "name or generateName is required"))
    elif name:
        errs.extend(FieldError("metadata.name", INVALID, m, name) for m in check(str(name)))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            errs.append(FieldError("metadata.namespace", REQUIRED, ""))
        else:
            errs.extend(
                FieldError("metadata.namespace", INVALID, m, namespace)
                for m in dns1123_label_errors(str(namespace))
            )
    elif namespace:
        errs.append(FieldError("metadata.namespace", FORBIDDEN, "not allowed on this type"))
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    errs.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    for i, fin in enumerate(meta.get("finalizers") or []):
        errs.extend(
            FieldError(f"metadata.finalizers[{i}]", INVALID, m, fin) for m in qualified_name_errors(str(fin))
        )
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        errs.extend(_owner_reference_errors(ref, f"metadata.ownerReferences[{i}]"))
    return errs


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    if labels is None:
        return []
    if not isinstance(labels, Mapping):
        return [FieldError(path, INVALID, "must be a map of strings", labels)]
    errs: list[FieldError] = []
    for key, value in labels.items():
        errs.extend(FieldError(path, INVALID, m, key) for m in qualified_name_errors(str(key)))
        errs.extend(FieldError(path, INVALID, m, value) for m in label_value_errors(str(value)))
    return errs


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    if annotations is None:
        return []
    if not isinstance(annotations, Mapping):
        return [FieldError(path, INVALID, "must be a map of strings", annotations)]
    errs: list[FieldError] = []
    total = 0
    for key, value in annotations.items():
        # Annotation keys are checked lower-cased: upper case is allowed in their name part.
        errs.extend(FieldError(path, INVALID, m, key) for m in qualified_name_errors(str(key).lower()))
        total += len(str(key).encode()) + len(str(value).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError(path, TOO_LONG, f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return errs


def _owner_reference_errors(ref: Any, path: str) -> list[FieldError]:
    if not isinstance(ref, Mapping):
        return [FieldError(path, INVALID, "must be an object", ref)]
    errs: list[FieldError] = []
    if not ref.get("apiVersion"):
        errs.append(FieldError(f"{path}.apiVersion", INVALID, "version must not be empty", ""))
    if not ref.get("kind"):
        errs.append(FieldError(f"{path}.kind", INVALID, "kind must not be empty", ""))
    if not ref.get("name"):
        errs.append(FieldError(f"{path}.name", INVALID, "name must not be empty", ""))
    if not ref.get("uid"):
        errs.append(FieldError(f"{path}.uid", INVALID, "uid must not be empty", ""))
    return errs


# --- built-in kinds ------------------------------------------------------------------------------


def _supported(path: str, value: Any, allowed: Iterable[str]) -> FieldError:
    listed = ", ".join(f'"{a}"' for a in allowed)
    return FieldError(path, NOT_SUPPORTED, f"supported values: {listed}", value)


def one_of(path: str, value: Any, allowed: Iterable[str]) -> list[FieldError]:
    """A required field that takes one of a few values: Required when unset, else NotSupported."""
    if not value:
        return [FieldError(path, REQUIRED, "")]
    return [] if value in allowed else [_supported(path, value, allowed)]


def validate_pod(obj: Mapping[str, Any]) -> list[FieldError]:
    return validate_pod_spec(as_dict(obj.get("spec")), "spec")


_VOLUME_SOURCES = (
    "emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim", "projected",
    "downwardAPI", "ephemeral", "nfs", "csi", "image", "iscsi", "glusterfs", "rbd", "cephfs",
    "cinder", "fc", "flocker", "flexVolume", "azureFile", "azureDisk", "vsphereVolume", "quobyte",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", "gcePersistentDisk",
    "awsElasticBlockStore", "gitRepo",
)  # fmt: skip


def validate_pod_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    """ValidatePodSpec's main rules; `path` is "spec" for a Pod, "spec.template.spec" in templates."""
    errs: list[FieldError] = []
    volumes: set[str] = set()
    for i, vol in enumerate(as_list(spec.get("volumes"))):
        vp = f"{path}.volumes[{i}]"
        vol = as_dict(vol)
        name = vol.get("name") or ""
        if not name:
            errs.append(FieldError(f"{vp}.name", REQUIRED, ""))
        else:
            errs.extend(FieldError(f"{vp}.name", INVALID, m, name) for m in dns1123_label_errors(str(name)))
            if name in volumes:
                errs.append(FieldError(f"{vp}.name", DUPLICATE, "", name))
            volumes.add(name)
        sources = [k for k in vol if k in _VOLUME_SOURCES]
        if not sources:
            errs.append(FieldError(vp, REQUIRED, "must specify a volume type"))
        elif len(sources) > 1:
            errs.append(
                FieldError(f"{vp}.{sources[1]}", FORBIDDEN, "may not specify more than 1 volume type")
            )

    containers = as_list(spec.get("containers"))
    init = as_list(spec.get("initContainers"))
    if not containers:
        errs.append(FieldError(f"{path}.containers", REQUIRED, ""))
    names: set[str] = set()
    grace = spec.get("terminationGracePeriodSeconds")
    for field_name, group in (("initContainers", init), ("containers", containers)):
        for i, ctr in enumerate(group):
            cp = f"{path}.{field_name}[{i}]"
            errs.extend(container_errors(as_dict(ctr), cp, names, volumes))
            errs.extend(_sleep_hook_errors(as_dict(ctr), cp, grace))
    errs.extend(_topology_spread_errors(as_list(spec.get("topologySpreadConstraints")), path))

    restart = spec.get("restartPolicy", "Always")
    if restart not in ("Always", "OnFailure", "Never"):
        errs.append(_supported(f"{path}.restartPolicy", restart, ("Always", "OnFailure", "Never")))
    dns = spec.get("dnsPolicy", "ClusterFirst")
    dns_allowed = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
    if dns not in dns_allowed:
        errs.append(_supported(f"{path}.dnsPolicy", dns, dns_allowed))
    if isinstance(grace, int) and grace < 0:
        errs.append(FieldError(f"{path}.terminationGracePeriodSeconds", INVALID, "must be >= 0", grace))
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and deadline <= 0:
        errs.append(
            FieldError(
                f"{path}.activeDeadlineSeconds",
                INVALID,
                "must be between 1 and 2147483647, inclusive",
                deadline,
            )
        )
    sa = spec.get("serviceAccountName")
    if sa:
        errs.extend(
            FieldError(f"{path}.serviceAccountName", INVALID, m, sa)
            for m in dns1123_subdomain_errors(str(sa))
        )
    return errs


def _sleep_hook_errors(ctr: Mapping[str, Any], cp: str, grace: Any) -> list[FieldError]:
    """A lifecycle hook's sleep must end within the pod's grace period (kube-apiserver's
    validateSleepAction, zero allowed as since v1.34)."""
    if not isinstance(grace, int):
        return []  # a bad grace period is reported on its own
    errs: list[FieldError] = []
    for hook in ("postStart", "preStop"):
        seconds = as_dict(as_dict(as_dict(ctr.get("lifecycle")).get(hook)).get("sleep")).get("seconds")
        if isinstance(seconds, int) and not 0 <= seconds <= grace:
            detail = f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"
            errs.append(FieldError(f"{cp}.lifecycle.{hook}.sleep", INVALID, detail, seconds))
    return errs


_SCHEDULE_ACTIONS = ("DoNotSchedule", "ScheduleAnyway")


def _topology_spread_errors(constraints: list[Any], path: str) -> list[FieldError]:
    """kube-apiserver's validateTopologySpreadConstraints, but for the label-selector parts."""
    errs: list[FieldError] = []
    items = [as_dict(c) for c in constraints]
    pairs = [(str(c.get("topologyKey") or ""), str(c.get("whenUnsatisfiable") or "")) for c in items]
    for i, (c, (key, action)) in enumerate(zip(items, pairs, strict=True)):
        cp = f"{path}.topologySpreadConstraints[{i}]"
        skew = c.get("maxSkew")
        if not isinstance(skew, int) or skew <= 0:
            errs.append(FieldError(f"{cp}.maxSkew", INVALID, "must be greater than zero", skew or 0))
        if not key:
            errs.append(FieldError(f"{cp}.topologyKey", REQUIRED, "can not be empty"))
        if action not in _SCHEDULE_ACTIONS:
            errs.append(_supported(f"{cp}.whenUnsatisfiable", action, _SCHEDULE_ACTIONS))
        if (key, action) in pairs[i + 1 :]:  # reported on the first of the two, as kube-apiserver does
            errs.append(
                FieldError(f"{cp}.{{topologyKey, whenUnsatisfiable}}", DUPLICATE, "", f"{{{key}, {action}}}")
            )
        domains = c.get("minDomains")
        if domains is not None:
            if not isinstance(domains, int) or domains <= 0:
                errs.append(FieldError(f"{cp}.minDomains", INVALID, "must be greater than zero", domains))
            if action != "DoNotSchedule":
                detail = f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}"
                errs.append(FieldError(f"{cp}.minDomains", INVALID, detail, domains))
    return errs


def container_errors(ctr: Mapping[str, Any], cp: str, names: set[str], volumes: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    name = ctr.get("name") or ""
    if not name:
        errs.append(FieldError(f"{cp}.name", REQUIRED, ""))
    else:
        errs.extend(FieldError(f"{cp}.name", INVALID, m, name) for m in dns1123_label_errors(str(name)))
        if name in names:
            errs.append(FieldError(f"{cp}.name", DUPLICATE, "", name))
        names.add(name)
    if not ctr.get("image"):
        errs.append(FieldError(f"{cp}.image", REQUIRED, ""))
    port_names: set[str] = set()
    for j, port in enumerate(as_list(ctr.get("ports"))):
        pp = f"{cp}.ports[{j}]"
        port = as_dict(port)
        pname = port.get("name")
        if pname:
            errs.extend(FieldError(f"{pp}.name", INVALID, m, pname) for m in port_name_errors(str(pname)))
            if pname in port_names:
                errs.append(FieldError(f"{pp}.name", DUPLICATE, "", pname))
            port_names.add(pname)
        cport = port.get("containerPort")
        if not cport:
            errs.append(FieldError(f"{pp}.containerPort", REQUIRED, ""))
        else:
            errs.extend(
                FieldError(f"{pp}.containerPort", INVALID, m, cport) for m in port_number_errors(cport)
            )
        hport = port.get("hostPort")
        if hport:
            errs.extend(FieldError(f"{pp}.hostPort", INVALID, m, hport) for m in port_number_errors(hport))
        proto = port.get("protocol", "TCP")
        if proto not in ("SCTP", "TCP", "UDP"):
            errs.append(_supported(f"{pp}.protocol", proto, ("SCTP", "TCP", "UDP")))
    for j, env in enumerate(as_list(ctr.get("env"))):
        env_name = as_dict(env).get("name") or ""
        if not env_name:
            errs.append(FieldError(f"{cp}.env[{j}].name", REQUIRED, ""))
        elif "=" in env_name or not env_name.isprintable() or not env_name.isascii():
            errs.append(
                FieldError(
                    f"{cp}.env[{j}].name",
                    INVALID,
                    "a valid environment variable name must consist only of printable ASCII characters "
                    "other than '='",
                    env_name,
                )
            )
    mount_paths: set[str] = set()
    for j, mount in enumerate(as_list(ctr.get("volumeMounts"))):
        mp = f"{cp}.volumeMounts[{j}]"
        mount = as_dict(mount)
        mname = mount.get("name") or ""
        if not mname:
            errs.append(FieldError(f"{mp}.name", REQUIRED, ""))
        elif mname not in volumes:
            errs.append(FieldError(f"{mp}.name", NOT_FOUND, "", mname))
        path = mount.get("mountPath") or ""
        if not path:
            errs.append(FieldError(f"{mp}.mountPath", REQUIRED, ""))
        elif path in mount_paths:
            errs.append(FieldError(f"{mp}.mountPath", INVALID, "must be unique", path))
        mount_paths.add(path)
    pull = ctr.get("imagePullPolicy")
    if pull is not None and pull not in ("Always", "IfNotPresent", "Never"):
        errs.append(_supported(f"{cp}.imagePullPolicy", pull, ("Always", "IfNotPresent", "Never")))
    return errs


_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def validate_service(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    errs: list[FieldError] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in _SERVICE_TYPES:
        errs.append(_supported("spec.type", stype, _SERVICE_TYPES))
    headless = spec.get("clusterIP") == "None"
    ports = as_list(spec.get("ports"))
    if stype == "ExternalName":
        ext = spec.get("externalName") or ""
        if not ext:
            errs.append(FieldError("spec.externalName", REQUIRED, ""))
        else:
            errs.extend(
                FieldError("spec.externalName", INVALID, m, ext) for m in dns1123_subdomain_errors(str(ext))
            )
    elif not ports and not headless:
        errs.append(FieldError("spec.ports", REQUIRED, ""))
    seen_names: set[str] = set()
    for i, port in enumerate(ports):
        pp = f"spec.ports[{i}]"
        port = as_dict(port)
        pname = port.get("name") or ""
        if len(ports) > 1 and not pname:
            errs.append(FieldError(f"{pp}.name", REQUIRED, ""))
        elif pname:
            errs.extend(FieldError(f"{pp}.name", INVALID, m, pname) for m in dns1123_label_errors(str(pname)))
            if pname in seen_names:
                errs.append(FieldError(f"{pp}.name", DUPLICATE, "", pname))
            seen_names.add(pname)
        number = port.get("port")
        errs.extend(FieldError(f"{pp}.port", INVALID, m, number) for m in port_number_errors(number))
        proto = port.get("protocol", "TCP")
        if proto not in ("SCTP", "TCP", "UDP"):
            errs.append(_supported(f"{pp}.protocol", proto, ("SCTP", "TCP", "UDP")))
        target = port.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool):
            errs.extend(
                FieldError(f"{pp}.targetPort", INVALID, m, target) for m in port_number_errors(target)
            )
        elif isinstance(target, str) and target:
            errs.extend(FieldError(f"{pp}.targetPort", INVALID, m, target) for m in port_name_errors(target))
        node_port = port.get("nodePort")
        if node_port:
            if stype not in ("NodePort", "LoadBalancer"):
                errs.append(
                    FieldError(f"{pp}.nodePort", FORBIDDEN, "may not be used when `type` is 'ClusterIP'")
                )
            else:
                errs.extend(
                    FieldError(f"{pp}.nodePort", INVALID, m, node_port) for m in port_number_errors(node_port)
                )
    errs.extend(validate_labels(spec.get("selector"), "spec.selector"))
    return errs


def _validate_data_keys(obj: Mapping[str, Any], fields: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: dict[str, str] = {}
    total = 0
    for fname in fields:
        data = obj.get(fname)
        if not isinstance(data, Mapping):
            continue
        for key, value in data.items():
            errs.extend(FieldError(f"{fname}[{key}]", INVALID, m, key) for m in config_key_errors(str(key)))
            if key in seen and {seen[key], fname} == {"data", "binaryData"}:
                errs.append(
                    FieldError(f"{fname}[{key}]", INVALID, f"duplicate of key present in {seen[key]}", key)
                )
            seen.setdefault(key, fname)
            total += len(str(value))
    return errs + (
        [FieldError("", TOO_LONG, f"may not be more than {MAX_SECRET_SIZE} bytes")]
        if total > MAX_SECRET_SIZE
        else []
    )


def validate_configmap(obj: Mapping[str, Any]) -> list[FieldError]:
    return _validate_data_keys(obj, ("data", "binaryData"))


def validate_secret(obj: Mapping[str, Any]) -> list[FieldError]:
    errs = _validate_data_keys(obj, ("data", "stringData"))
    data = as_dict(obj.get("data"))
    for key, value in data.items():
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            errs.append(
                FieldError(f"data[{key}]", INVALID, "illegal base64 data", "<secret contents redacted>")
            )
    keys = set(data) | set(as_dict(obj.get("stringData")))
    stype = obj.get("type", "Opaque")
    required: tuple[str, ...] = {
        "kubernetes.io/tls": ("tls.crt", "tls.key"),
        "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
        "kubernetes.io/dockercfg": (".dockercfg",),
        "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    }.get(str(stype), ())
    errs.extend(FieldError(f"data[{k}]", REQUIRED, "") for k in required if k not in keys)
    if stype == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(FieldError("metadata.annotations[kubernetes.io/service-account.name]", REQUIRED, ""))
    return errs


def validate_role(obj: Mapping[str, Any]) -> list[FieldError]:
    return _policy_rules_errors(as_list(obj.get("rules")), namespaced=True)


def validate_cluster_role(obj: Mapping[str, Any]) -> list[FieldError]:
    if obj.get("aggregationRule") is not None and not as_list(
        as_dict(obj.get("aggregationRule")).get("clusterRoleSelectors")
    ):
        return [
            FieldError(
                "aggregationRule.clusterRoleSelectors",
                REQUIRED,
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            )
        ]
    return _policy_rules_errors(as_list(obj.get("rules")), namespaced=False)


def _policy_rules_errors(rules: list[Any], *, namespaced: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, rule in enumerate(rules):
        rp = f"rules[{i}]"
        rule = as_dict(rule)
        if not as_list(rule.get("verbs")):
            errs.append(FieldError(f"{rp}.verbs", REQUIRED, "verbs must contain at least one value"))
        urls = as_list(rule.get("nonResourceURLs"))
        if urls:
            if namespaced:
                errs.append(
                    FieldError(
                        f"{rp}.nonResourceURLs",
                        INVALID,
                        "namespaced rules cannot apply to non-resource URLs",
                        urls,
                    )
                )
            if (
                as_list(rule.get("apiGroups"))
                or as_list(rule.get("resources"))
                or as_list(rule.get("resourceNames"))
            ):
                errs.append(
                    FieldError(
                        f"{rp}.nonResourceURLs",
                        INVALID,
                        "rules cannot apply to both regular resources and non-resource URLs",
                        urls,
                    )
                )
            continue
        if not as_list(rule.get("apiGroups")):
            errs.append(
                FieldError(f"{rp}.apiGroups", REQUIRED, "resource rules must supply at least one api group")
            )
        if not as_list(rule.get("resources")):
            errs.append(
                FieldError(f"{rp}.resources", REQUIRED, "resource rules must supply at least one resource")
            )
    return errs


_RBAC_GROUP = "rbac.authorization.k8s.io"


def validate_role_binding(obj: Mapping[str, Any]) -> list[FieldError]:
    return _binding_errors(obj, ("Role", "ClusterRole"), cluster=False)


def validate_cluster_role_binding(obj: Mapping[str, Any]) -> list[FieldError]:
    return _binding_errors(obj, ("ClusterRole",), cluster=True)


def _binding_errors(obj: Mapping[str, Any], kinds: tuple[str, ...], *, cluster: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    ref = as_dict(obj.get("roleRef"))
    if ref.get("apiGroup", "") != _RBAC_GROUP:
        errs.append(_supported("roleRef.apiGroup", ref.get("apiGroup", ""), (_RBAC_GROUP,)))
    if ref.get("kind", "") not in kinds:
        errs.append(_supported("roleRef.kind", ref.get("kind", ""), kinds))
    rname = ref.get("name") or ""
    if not rname:
        errs.append(FieldError("roleRef.name", REQUIRED, ""))
    else:
        errs.extend(FieldError("roleRef.name", INVALID, m, rname) for m in path_segment_errors(str(rname)))
    for i, subject in enumerate(as_list(obj.get("subjects"))):
        sp = f"subjects[{i}]"
        subject = as_dict(subject)
        skind = subject.get("kind", "")
        sname = subject.get("name") or ""
        if not sname:
            errs.append(FieldError(f"{sp}.name", REQUIRED, ""))
        if skind == "ServiceAccount":
            if subject.get("apiGroup", ""):
                errs.append(_supported(f"{sp}.apiGroup", subject.get("apiGroup"), ("",)))
            if sname:
                errs.extend(
                    FieldError(f"{sp}.name", INVALID, m, sname) for m in dns1123_subdomain_errors(str(sname))
                )
            if cluster and not subject.get("namespace"):
                errs.append(FieldError(f"{sp}.namespace", REQUIRED, ""))
        elif skind in ("User", "Group"):
            if subject.get("apiGroup", "") != _RBAC_GROUP:
                errs.append(_supported(f"{sp}.apiGroup", subject.get("apiGroup", ""), (_RBAC_GROUP,)))
        else:
            errs.append(_supported(f"{sp}.kind", skind, ("ServiceAccount", "User", "Group")))
    return errs


def validate_lease(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    errs: list[FieldError] = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and (not isinstance(duration, int) or duration <= 0):
        errs.append(FieldError("spec.leaseDurationSeconds", INVALID, "must be greater than 0", duration))
    transitions = spec.get("leaseTransitions")
    if transitions is not None and (not isinstance(transitions, int) or transitions < 0):
        errs.append(
            FieldError("spec.leaseTransitions", INVALID, "must be greater than or equal to 0", transitions)
        )
    return errs


def validate_namespace(obj: Mapping[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, fin in enumerate(as_list(as_dict(obj.get("spec")).get("finalizers"))):
        errs.extend(
            FieldError(f"spec.finalizers[{i}]", INVALID, m, fin) for m in qualified_name_errors(str(fin))
        )
    return errs


def validate_service_account(obj: Mapping[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ref in enumerate(as_list(obj.get("imagePullSecrets"))):
        if not as_dict(ref).get("name"):
            errs.append(FieldError(f"imagePullSecrets[{i}].name", REQUIRED, ""))
    return errs


def validate_template_owner(obj: Mapping[str, Any]) -> list[FieldError]:
    """Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs: their pod template's spec."""
    spec = as_dict(obj.get("spec"))
    template = as_dict(spec.get("template"))
    errs = validate_pod_spec(as_dict(template.get("spec")), "spec.template.spec")
    errs.extend(
        validate_labels(as_dict(template.get("metadata")).get("labels"), "spec.template.metadata.labels")
    )
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        errs.append(FieldError("spec.replicas", INVALID, "must be greater than or equal to 0", replicas))
    return errs


# --- pod updates ---------------------------------------------------------------------------------

POD_UPDATE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def pod_update_forbidden(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldError]:
    """ValidatePodUpdate's immutability rule for a PUT/PATCH of a Pod (not its status).

    The mutable parts of the new spec are copied onto the old one; any remaining difference is
    forbidden. The detail names the first differing fields (Kubernetes prints a Go diff there).
    """
    old_spec = as_dict(old.get("spec"))
    new_spec = as_dict(new.get("spec"))
    errs: list[FieldError] = []
    munged = dict(new_spec)
    for field_name in ("containers", "initContainers"):
        old_ctrs = as_list(old_spec.get(field_name))
        new_ctrs = as_list(new_spec.get(field_name))
        if field_name in new_spec and len(old_ctrs) == len(new_ctrs):
            munged[field_name] = [_with_old_image(o, n) for o, n in zip(old_ctrs, new_ctrs, strict=True)]
    # activeDeadlineSeconds may be set, or lowered, never unset or raised.
    old_deadline = old_spec.get("activeDeadlineSeconds")
    new_deadline = new_spec.get("activeDeadlineSeconds")
    if new_deadline is None and old_deadline is not None:
        errs.append(
            FieldError(
                "spec.activeDeadlineSeconds",
                INVALID,
                "must not update from a positive integer to nil value",
                None,
            )
        )
    elif isinstance(new_deadline, int) and isinstance(old_deadline, int) and new_deadline > old_deadline:
        errs.append(
            FieldError(
                "spec.activeDeadlineSeconds",
                INVALID,
                "must be less than or equal to previous value",
                new_deadline,
            )
        )
    _restore(munged, old_spec, "activeDeadlineSeconds")
    # Tolerations may only be added to.
    old_tol = as_list(old_spec.get("tolerations"))
    new_tol = as_list(new_spec.get("tolerations"))
    if all(t in new_tol for t in old_tol):
        _restore(munged, old_spec, "tolerations")
    else:
        errs.append(
            FieldError(
                "spec.tolerations",
                FORBIDDEN,
                "existing toleration can not be modified except its tolerationSeconds",
            )
        )
        _restore(munged, old_spec, "tolerations")
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and new_spec.get("terminationGracePeriodSeconds") == 1:
        _restore(munged, old_spec, "terminationGracePeriodSeconds")
    # Scheduling gates may be removed, never added.
    old_gates = as_list(old_spec.get("schedulingGates"))
    if all(g in old_gates for g in as_list(new_spec.get("schedulingGates"))):
        _restore(munged, old_spec, "schedulingGates")
    changed = sorted(k for k in set(old_spec) | set(munged) if old_spec.get(k) != munged.get(k))
    if changed:
        detail = POD_UPDATE_MESSAGE + "\n" + "".join(f"  spec.{k}: changed\n" for k in changed)
        errs.append(FieldError("spec", FORBIDDEN, detail))
    return errs


def _with_old_image(old: Any, new: Any) -> dict[str, Any]:
    """`new` with `old`'s image: images are the one container field a pod update may change."""
    out = {k: x for k, x in as_dict(new).items() if k != "image"}
    if "image" in as_dict(old):
        out["image"] = as_dict(old)["image"]
    return out


def _restore(munged: dict[str, Any], old_spec: Mapping[str, Any], key: str) -> None:
    if key in old_spec:
        munged[key] = old_spec[key]
    else:
        munged.pop(key, None)
