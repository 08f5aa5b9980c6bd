"""Printers of the apps/v1 kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision;
the wide columns every pod template's owner shares (containers, images, selector); and the core/v1
kinds printed from a pod template: PodTemplate, and ReplicationController's columns.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localkube.apiserver import column_docs as docs
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    NAME_COLUMN,
    Cells,
    age_of,
    as_list,
    as_map,
    column,
    format_labels,
    meta_of,
    name_of,
    selector_text,
)

# --- what pod templates' owners share ------------------------------------------------------------


def containers_and_images(obj: Mapping[str, Any]) -> tuple[str, str]:
    """The names and the images of spec.template's containers, each list comma-joined."""
    containers = as_list(
        as_map(as_map(as_map(obj.get("spec")).get("template")).get("spec")).get("containers")
    )
    return (
        ",".join(str(as_map(c).get("name", "")) for c in containers),
        ",".join(str(as_map(c).get("image", "")) for c in containers),
    )


CONTAINERS_COLUMNS = [
    column("Containers", priority=1, desc="Names of each container in the template."),
    column("Images", priority=1, desc="Images referenced by each container in the template."),
]


def workload_tail(selector_desc: str) -> list[dict[str, Any]]:
    """The wide CONTAINERS, IMAGES, SELECTOR columns; SELECTOR documented by the kind's spec.selector."""
    return [*CONTAINERS_COLUMNS, column("Selector", priority=1, desc=selector_desc)]


def workload_row(obj: dict[str, Any], counts: Cells, now: datetime) -> Row:
    """NAME, the kind's counts, AGE, then the wide CONTAINERS, IMAGES, SELECTOR."""
    names, images = containers_and_images(obj)
    selector = selector_text(as_map(obj.get("spec")).get("selector"))
    return [name_of(obj), *counts, age_of(obj, now), names, images, selector], []


# --- the kinds -----------------------------------------------------------------------------------


def _deployment_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    counts = [ready, int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0))]
    return workload_row(obj, counts, now)


DEPLOYMENT_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Ready", desc="Number of the pod with ready state"),
        # string columns, as kube's, though the cells are numbers
        column("Up-to-date", desc=docs.DEPLOYMENT_STATUS_UPDATED_REPLICAS),
        column("Available", desc=docs.DEPLOYMENT_STATUS_AVAILABLE_REPLICAS),
        AGE_COLUMN,
        *workload_tail(docs.DEPLOYMENT_SPEC_SELECTOR),
    ],
    _deployment_row,
)


def _replicaset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    desired, current = int(spec.get("replicas", 1)), int(status.get("replicas", 0))
    return workload_row(obj, [desired, current, int(status.get("readyReplicas", 0))], now)


REPLICA_SET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Desired", "integer", desc=docs.REPLICA_SET_SPEC_REPLICAS),
        column("Current", "integer", desc=docs.REPLICA_SET_STATUS_REPLICAS),
        column("Ready", "integer", desc=docs.REPLICA_SET_STATUS_READY_REPLICAS),
        AGE_COLUMN,
        *workload_tail(docs.REPLICA_SET_SPEC_SELECTOR),
    ],
    _replicaset_row,
)


def _statefulset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    names, images = containers_and_images(obj)
    return [
        name_of(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        age_of(obj, now),
        names,
        images,
    ], []


STATEFUL_SET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Ready", desc="Number of the pod with ready state"),
        AGE_COLUMN,
        *CONTAINERS_COLUMNS,
    ],
    _statefulset_row,
)


def _daemonset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    counts = [
        int(status.get(field, 0) or 0)
        for field in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
        )
    ]
    node_selector = format_labels(as_map(as_map(spec.get("template")).get("spec")).get("nodeSelector"))
    return workload_row(obj, [*counts, node_selector], now)


DAEMON_SET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Desired", "integer", desc=docs.DAEMON_SET_STATUS_DESIRED_NUMBER_SCHEDULED),
        column("Current", "integer", desc=docs.DAEMON_SET_STATUS_CURRENT_NUMBER_SCHEDULED),
        column("Ready", "integer", desc=docs.DAEMON_SET_STATUS_NUMBER_READY),
        column("Up-to-date", "integer", desc=docs.DAEMON_SET_STATUS_UPDATED_NUMBER_SCHEDULED),
        column("Available", "integer", desc=docs.DAEMON_SET_STATUS_NUMBER_AVAILABLE),
        column("Node Selector", desc=docs.POD_SPEC_NODE_SELECTOR),
        AGE_COLUMN,
        *workload_tail(docs.DAEMON_SET_SPEC_SELECTOR),
    ],
    _daemonset_row,
)


def _controller_revision_row(obj: dict[str, Any], now: datetime) -> Row:
    controller = "<none>"
    for ref in as_list(meta_of(obj).get("ownerReferences")):
        ref = as_map(ref)
        if ref.get("controller") is True:
            api_version = str(ref.get("apiVersion", ""))
            group = api_version.split("/")[0] if "/" in api_version else ""
            kind = str(ref.get("kind", ""))
            group_kind = f"{kind}.{group}" if group else kind
            name = str(ref.get("name", ""))
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [name_of(obj), controller, int(obj.get("revision", 0) or 0), age_of(obj, now)], []


CONTROLLER_REVISION_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Controller", desc="Controller of the object"),
        # a string column, as kube's, though the cell is the revision's number
        column("Revision", desc=docs.CONTROLLER_REVISION_REVISION),
        AGE_COLUMN,
    ],
    _controller_revision_row,
)


# --- core/v1: PodTemplate, ReplicationController ---------------------------------------------------


def _pod_template_row(obj: dict[str, Any], now: datetime) -> Row:
    template = as_map(obj.get("template"))
    names, images = containers_and_images({"spec": {"template": template}})
    return [name_of(obj), names, images, format_labels(as_map(template.get("metadata")).get("labels"))], []


# no Age column, and the containers are not wide columns here, as kube's
POD_TEMPLATE_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Containers", desc="Names of each container in the template."),
        column("Images", desc="Images referenced by each container in the template."),
        column("Pod Labels", desc="The labels for the pod template."),
    ],
    _pod_template_row,
)
# A ReplicationController's columns: a ReplicaSet's, documented by the ReplicationController's fields.
REPLICATION_CONTROLLER_COLUMNS = [
    NAME_COLUMN,
    column("Desired", "integer", desc=docs.REPLICATION_CONTROLLER_SPEC_REPLICAS),
    column("Current", "integer", desc=docs.REPLICATION_CONTROLLER_STATUS_REPLICAS),
    column("Ready", "integer", desc=docs.REPLICATION_CONTROLLER_STATUS_READY_REPLICAS),
    AGE_COLUMN,
    *workload_tail(docs.REPLICATION_CONTROLLER_SPEC_SELECTOR),
]
