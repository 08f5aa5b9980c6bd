"""Strategy records of core/v1 kinds (pkg/registry/core/<kind>/strategy.go)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from localkube.apiserver import defaults, errors, metadata, node_taints, podparts, storage_protection
from localkube.apiserver.fielderrors import FORBIDDEN, INVALID, REQUIRED, FieldError
from localkube.apiserver.printers.apps import (
    POD_TEMPLATE_PRINTER,
    REPLICA_SET_PRINTER,
    REPLICATION_CONTROLLER_COLUMNS,
)
from localkube.apiserver.printers.core import (
    COMPONENT_STATUS_PRINTER,
    CONFIG_MAP_PRINTER,
    ENDPOINTS_PRINTER,
    EVENT_PRINTER,
    NAMESPACE_PRINTER,
    NODE_PRINTER,
    POD_PRINTER,
    SECRET_PRINTER,
    SERVICE_ACCOUNT_PRINTER,
    SERVICE_PRINTER,
)
from localkube.apiserver.printers.volumes import (
    PERSISTENT_VOLUME_CLAIM_PRINTER,
    PERSISTENT_VOLUME_PRINTER,
    RESOURCE_QUOTA_PRINTER,
)
from localkube.apiserver.shapes import as_dict
from localkube.apiserver.strategies.immutable import Fixed, unchanged
from localkube.apiserver.strategy import Obj, Printer, Row, Strategy

if TYPE_CHECKING:
    from localkube.apiserver.core import Core
    from localkube.apiserver.ipalloc import Allocator

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")


# --- Namespace -----------------------------------------------------------------------------------


def _namespace_terminating(ns: Obj, now: str) -> None:
    ns.setdefault("status", {})["phase"] = "Terminating"


def _namespace_held(ns: Obj) -> bool:
    # the namespace finalizer (controllers.py) empties it before spec.finalizers lets it go
    return bool(as_dict(ns.get("spec")).get("finalizers"))


NAMESPACE = Strategy(
    returns_deleted_object=True,
    name_rule="label",
    default=defaults.namespace,
    mutate=defaults.namespace_prepare,
    validate=metadata.validate_namespace,
    field_selectors=("status.phase",),
    printer=NAMESPACE_PRINTER,
    patch_root="WithConditions",
    protected_names=PROTECTED_NAMESPACES,
    delete_marks=True,
    on_delete_marked=_namespace_terminating,
    held=_namespace_held,
)


# --- Pod -----------------------------------------------------------------------------------------


def _comparable_pods(old: Obj, new: Obj) -> tuple[Obj, Obj]:
    """Both pods with the same (possibly empty) container lists present, for the immutability check."""
    out = []
    for pod in (old, new):
        spec = dict(as_dict(pod.get("spec")))
        for key in ("containers", "initContainers"):
            spec.setdefault(key, [])
        out.append({**pod, "spec": spec})
    return out[0], out[1]


def _pod_update(old: Obj, new: Obj) -> list[FieldError]:
    return metadata.pod_update_forbidden(*_comparable_pods(old, new))


def _pod_held(pod: Obj) -> bool:
    # a graceful delete waits for the kubelet to stop the containers and delete with grace 0
    return bool(as_dict(pod.get("metadata")).get("deletionGracePeriodSeconds"))


def _pod_grace(pod: Obj, requested: int | None, node_exists: Callable[[str], bool]) -> int:
    """Pods bound to an existing node get a grace period, for the kubelet to stop them."""
    spec = as_dict(pod.get("spec"))
    node = spec.get("nodeName")
    if not node or not node_exists(str(node)):
        return 0
    if as_dict(pod.get("status")).get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return max(requested, 0)
    return int(spec.get("terminationGracePeriodSeconds") or 0)


POD = Strategy(
    returns_deleted_object=True,
    # a Pod's status write may not change its owners
    status_resets=("ownerReferences",),
    generation=True,
    default=defaults.pod,
    mutate=defaults.pod_admission,
    validate=metadata.validate_pod,
    validate_update=_pod_update,
    field_selectors=(
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    printer=POD_PRINTER,
    patch_root="Pod",
    held=_pod_held,
    grace=_pod_grace,
    part_writes=(("ephemeralcontainers", podparts.ephemeral_containers), ("resize", podparts.resize)),
)


# --- Service -------------------------------------------------------------------------------------


def _service_update(old: Obj, new: Obj) -> list[FieldError]:
    o, n = as_dict(old.get("spec")), as_dict(new.get("spec"))
    if n.get("clusterIP") and o.get("clusterIP") and n["clusterIP"] != o["clusterIP"]:
        return [
            FieldError("spec.clusterIPs[0]", "FieldValueInvalid", "may not change once set", n["clusterIP"])
        ]
    return []


def _service_allocate(alloc: Allocator, svc: Obj, old: Obj | None, dry_run: bool) -> None:
    """A ClusterIP (unless headless or ExternalName) and node ports, kept across updates."""
    spec = svc.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return
    if old is not None:
        # clusterIP is immutable once set; keep it if the client left it out
        old_spec = as_dict(old.get("spec"))
        spec.setdefault("clusterIP", old_spec.get("clusterIP"))
        spec.setdefault("clusterIPs", old_spec.get("clusterIPs"))
        _allocate_node_ports(alloc, spec, old_spec, dry_run)
        return
    wanted = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    if wanted == "None":
        spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
    else:
        got = alloc.allocate(wanted)
        if isinstance(got, FieldError):
            raise errors.invalid("Service", "", svc["metadata"]["name"], [got])
        if dry_run:
            alloc.release(got)
        spec["clusterIP"], spec["clusterIPs"] = got, [got]
    _allocate_node_ports(alloc, spec, {}, dry_run)


def _allocate_node_ports(
    alloc: Allocator, spec: dict[str, Any], old_spec: dict[str, Any], dry_run: bool
) -> None:
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return
    old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or () if isinstance(p, dict)}
    for i, port in enumerate(spec.get("ports") or ()):
        if not isinstance(port, dict):
            continue
        if port.get("nodePort") and port["nodePort"] == old_ports.get(port.get("port")):
            continue
        got = alloc.allocate_port(
            port.get("nodePort") or old_ports.get(port.get("port")), f"spec.ports[{i}].nodePort"
        )
        if isinstance(got, FieldError):
            raise errors.invalid("Service", "", "", [got])
        if dry_run:
            alloc.release_port(got)
        port["nodePort"] = got


def _service_event(core: Core, type_: str, svc: Obj) -> None:
    """A deleted Service gives its ClusterIP and node ports back."""
    if type_ != "DELETED":
        return
    spec = as_dict(svc.get("spec"))
    if spec.get("clusterIP") not in (None, "", "None"):
        core.alloc.release(spec.get("clusterIP"))
    for p in spec.get("ports") or ():
        if isinstance(p, dict):
            core.alloc.release_port(p.get("nodePort"))


SERVICE = Strategy(
    returns_deleted_object=True,
    name_rule="label",
    default=defaults.service,
    mutate=defaults.service_ip_families,
    validate=metadata.validate_service,
    validate_update=_service_update,
    allocate=_service_allocate,
    printer=SERVICE_PRINTER,
    patch_root="Service",
    on_event=_service_event,
    field_selectors=("spec.clusterIP", "spec.type"),
)


# --- ConfigMap and Secret ------------------------------------------------------------------------


def _data_immutable(old: Obj, new: Obj) -> list[FieldError]:
    if old.get("immutable") is not True:
        return []
    return [
        FieldError(k, FORBIDDEN, "field is immutable when `immutable` is set")
        for k in ("data", "binaryData", "stringData")
        if old.get(k) != new.get(k)
    ]


CONFIG_MAP = Strategy(
    validate=metadata.validate_configmap,
    validate_update=_data_immutable,
    printer=CONFIG_MAP_PRINTER,
)
SECRET = Strategy(
    decode_check=defaults.secret_data_error,
    default=defaults.secret,
    validate=metadata.validate_secret,
    validate_update=_data_immutable,
    field_selectors=("type",),
    printer=SECRET_PRINTER,
)


# --- the rest of core/v1 -------------------------------------------------------------------------

SERVICE_ACCOUNT = Strategy(
    returns_deleted_object=True,
    validate=metadata.validate_service_account,
    printer=SERVICE_ACCOUNT_PRINTER,
    patch_root="ServiceAccount",
)
# a node registers itself with its status (the kubelet's first write)
NODE = Strategy(
    keeps_status_on_create=True,
    admit_create=node_taints.admit,
    field_selectors=("spec.unschedulable",),
    printer=NODE_PRINTER,
    patch_root="Node",
)
ENDPOINTS = Strategy(create_on_update=True, default=defaults.endpoints, printer=ENDPOINTS_PRINTER)
# not stored: rest.py computes them on each read (componentstatus.py)
COMPONENT_STATUS = Strategy(printer=COMPONENT_STATUS_PRINTER)


def _event_validate(event: Obj) -> list[FieldError]:
    """A core/v1 Event with an eventTime is a "new" event: kube-apiserver requires the fields the
    events.k8s.io API names (reportingComponent is its reportingController)."""
    if not event.get("eventTime"):
        return []
    return [
        FieldError(field, REQUIRED, "")
        for field in ("reportingComponent", "reportingInstance", "action", "reason")
        if not event.get(field)
    ]


EVENT = Strategy(
    create_on_update=True,
    mutate=defaults.event_shape,
    validate=_event_validate,
    field_selectors=(
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    printer=EVENT_PRINTER,
)
# Through events.k8s.io/v1 an Event may only grow its series: everything it reported is immutable
# there (core/v1 keeps allowing it, for old clients). Fields as stored (core/v1 names), each with
# the path kube-apiserver's errors name where that differs.
_events_v1_update = unchanged(
    *(
        Fixed(field)
        for field in (
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "action",
            "related",
        )
    ),
    Fixed("reportingComponent", reported="reportingController"),
    Fixed("reportingInstance"),
)


# events.k8s.io/v1 serves the same stored Events with its own field names
EVENTS_V1_EVENT = Strategy(
    create_on_update=True,
    mutate=defaults.event_shape,
    validate_update=_events_v1_update,
    field_selectors=(
        "regarding.kind",
        "regarding.namespace",
        "regarding.name",
        "regarding.uid",
        "regarding.apiVersion",
        "regarding.resourceVersion",
        "regarding.fieldPath",
        "reason",
        "reportingController",
        "type",
    ),
    printer=EVENT_PRINTER,
)
PERSISTENT_VOLUME_CLAIM = Strategy(
    patch_root="WithConditions",
    returns_deleted_object=True,
    default=defaults.persistent_volume_claim,
    admit_create=storage_protection.admit(storage_protection.PVC_KEY),
    printer=PERSISTENT_VOLUME_CLAIM_PRINTER,
)
PERSISTENT_VOLUME = Strategy(
    returns_deleted_object=True,
    default=defaults.persistent_volume,
    admit_create=storage_protection.admit(storage_protection.PV_KEY),
    prepare=defaults.persistent_volume_status,
    printer=PERSISTENT_VOLUME_PRINTER,
)
LIMIT_RANGE = Strategy(default=defaults.limit_range)
RESOURCE_QUOTA = Strategy(returns_deleted_object=True, printer=RESOURCE_QUOTA_PRINTER)
# its strategy bumps metadata.generation on template changes, as kube-apiserver's does
POD_TEMPLATE = Strategy(
    patch_root="PodTemplate",
    generation=True,
    returns_deleted_object=True,
    default=defaults.pod_template,
    printer=POD_TEMPLATE_PRINTER,
)


# --- ReplicationController -----------------------------------------------------------------------


def _rc_default(rc: Obj) -> None:
    """SetDefaults_ReplicationController: the selector and labels default to the template's labels."""
    spec = rc.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    template_labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    if template_labels:
        if not spec.get("selector"):
            spec["selector"] = dict(template_labels)
        meta = rc.setdefault("metadata", {})
        if isinstance(meta, dict) and not meta.get("labels"):
            meta["labels"] = dict(template_labels)
    defaults.replicaset(rc)


def _rc_validate(rc: Obj) -> list[FieldError]:
    """ValidateReplicationControllerSpec: a selector, matched by the template's labels."""
    errs = metadata.validate_template_owner(rc)
    spec = as_dict(rc.get("spec"))
    selector = as_dict(spec.get("selector"))
    if not selector:
        errs.append(FieldError("spec.selector", REQUIRED, ""))
        return errs
    errs.extend(metadata.validate_labels(selector, "spec.selector"))
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    if any(labels.get(k) != v for k, v in selector.items()):
        errs.append(
            FieldError(
                "spec.template.metadata.labels",
                INVALID,
                "`selector` does not match template `labels`",
                ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
            )
        )
    return errs


def _rc_row(rc: Obj, now: datetime) -> Row:
    """A ReplicaSet's row; the selector column prints the plain label map."""
    spec = as_dict(rc.get("spec"))
    return REPLICA_SET_PRINTER.row(
        {**rc, "spec": {**spec, "selector": {"matchLabels": as_dict(spec.get("selector"))}}}, now
    )


REPLICATION_CONTROLLER = Strategy(
    generation=True,
    default=_rc_default,
    validate=_rc_validate,
    # kubectl's columns are a ReplicaSet's, with the ReplicationController's own field docs
    printer=Printer(REPLICATION_CONTROLLER_COLUMNS, _rc_row),
    patch_root="Workload",
    field_selectors=("status.replicas",),
)
