"""Printers of the storage.k8s.io kinds: StorageClass, CSIDriver, CSINode, VolumeAttachment,
VolumeAttributesClass (CSIStorageCapacity has kube's default Name/Created At columns: its registry
uses no printer).
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from kubeschema.timestamps import parse_time
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
    meta_of,
    name_of,
)

_DEFAULT_STORAGE_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _storage_class_cells(obj: Mapping[str, Any], now: datetime, default: str) -> Cells:
    name = name_of(obj)
    reclaim = obj.get("reclaimPolicy")
    binding = obj.get("volumeBindingMode")
    return [
        f"{name} (default)" if default and name == default else name,
        obj.get("provisioner", ""),
        "Delete" if reclaim is None else reclaim,
        "Immediate" if binding is None else binding,
        bool(obj.get("allowVolumeExpansion")),
        age_of(obj, now),
    ]


def _storage_class_row(obj: dict[str, Any], now: datetime) -> Row:
    return _storage_class_cells(obj, now, ""), []


def _effective_default_storage_class(items: list[dict[str, Any]]) -> str:
    """getEffectiveDefaultStorageClass: of the classes annotated as default, the newest (the
    first name on a tie)."""
    marked = [
        obj
        for obj in items
        if any(as_map(meta_of(obj).get("annotations")).get(key) == "true" for key in _DEFAULT_STORAGE_CLASS)
    ]
    if not marked:
        return ""
    far_past = datetime.min.replace(tzinfo=UTC)

    def created(obj: Mapping[str, Any]) -> datetime:
        return parse_time(meta_of(obj).get("creationTimestamp")) or far_past

    newest = max(created(obj) for obj in marked)
    return min(name_of(obj) for obj in marked if created(obj) == newest)


def _storage_class_list_row(items: list[dict[str, Any]]) -> Callable[[dict[str, Any], datetime], Row]:
    """A listed StorageClass's row: the effective default's name carries ` (default)`."""
    default = _effective_default_storage_class(items)

    def row(obj: dict[str, Any], now: datetime) -> Row:
        return _storage_class_cells(obj, now, default), []

    return row


STORAGE_CLASS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Provisioner", desc=docs.STORAGE_CLASS_PROVISIONER),
        column("ReclaimPolicy", desc=docs.STORAGE_CLASS_RECLAIM_POLICY),
        column("VolumeBindingMode", desc=docs.STORAGE_CLASS_VOLUME_BINDING_MODE),
        # a string column, as kube's, though the cell is a boolean
        column("AllowVolumeExpansion", desc=docs.STORAGE_CLASS_ALLOW_VOLUME_EXPANSION),
        AGE_COLUMN,
    ],
    _storage_class_row,
    list_row=_storage_class_list_row,
)


def _csi_driver_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    token_requests = spec.get("tokenRequests")
    tokens = "<unset>"
    if token_requests is not None:
        tokens = ",".join(str(as_map(t).get("audience", "")) for t in as_list(token_requests))
    attach = spec.get("attachRequired")
    cells: Cells = [
        name_of(obj),
        True if attach is None else bool(attach),
        bool(spec.get("podInfoOnMount")),
        bool(spec.get("storageCapacity")),
        tokens,
        bool(spec.get("requiresRepublish")),
        ",".join(str(m) for m in as_list(spec.get("volumeLifecycleModes"))) or "<none>",
        age_of(obj, now),
    ]
    return cells, []


CSI_DRIVER_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("AttachRequired", "boolean", desc=docs.CSI_DRIVER_SPEC_ATTACH_REQUIRED),
        column("PodInfoOnMount", "boolean", desc=docs.CSI_DRIVER_SPEC_POD_INFO_ON_MOUNT),
        column("StorageCapacity", "boolean", desc=docs.CSI_DRIVER_SPEC_STORAGE_CAPACITY),
        column("TokenRequests", desc=docs.CSI_DRIVER_SPEC_TOKEN_REQUESTS),
        column("RequiresRepublish", "boolean", desc=docs.CSI_DRIVER_SPEC_REQUIRES_REPUBLISH),
        column("Modes", desc=docs.CSI_DRIVER_SPEC_VOLUME_LIFECYCLE_MODES),
        AGE_COLUMN,
    ],
    _csi_driver_row,
)


def _csi_node_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), len(as_list(as_map(obj.get("spec")).get("drivers"))), age_of(obj, now)], []


CSI_NODE_PRINTER = Printer(
    [
        NAME_COLUMN,
        column(
            "Drivers", "integer", desc="Drivers indicates the number of CSI drivers registered on the node"
        ),
        AGE_COLUMN,
    ],
    _csi_node_row,
)


def _volume_attachment_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    cells: Cells = [
        name_of(obj),
        spec.get("attacher", ""),
        as_map(spec.get("source")).get("persistentVolumeName") or "",
        spec.get("nodeName", ""),
        bool(as_map(obj.get("status")).get("attached")),
        age_of(obj, now),
    ]
    return cells, []


VOLUME_ATTACHMENT_PRINTER = Printer(
    [
        NAME_COLUMN,
        # formatted as a name, as kube's
        column("Attacher", fmt="name", desc=docs.VOLUME_ATTACHMENT_SPEC_ATTACHER),
        column("PV", desc=docs.VOLUME_ATTACHMENT_SOURCE_PERSISTENT_VOLUME_NAME),
        column("Node", desc=docs.VOLUME_ATTACHMENT_SPEC_NODE_NAME),
        column("Attached", "boolean", desc=docs.VOLUME_ATTACHMENT_STATUS_ATTACHED),
        AGE_COLUMN,
    ],
    _volume_attachment_row,
)


def _volume_attributes_class_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), obj.get("driverName", ""), age_of(obj, now)], []


VOLUME_ATTRIBUTES_CLASS_PRINTER = Printer(
    [NAME_COLUMN, column("DriverName", desc=docs.VOLUME_ATTRIBUTES_CLASS_DRIVER_NAME), AGE_COLUMN],
    _volume_attributes_class_row,
)
