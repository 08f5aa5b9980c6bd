"""Printers of the core/v1 kinds that hold storage and quota quantities: PersistentVolume,
PersistentVolumeClaim, ResourceQuota.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubeschema.quantity import QuantityError, format_quantity, parse_quantity
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

_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _quantity(value: Any) -> str:
    """Quantity.String(): the canonical form, `0` for an absent quantity."""
    if value is None:
        return "0"
    try:
        return format_quantity(parse_quantity(value))
    except QuantityError:
        return str(value)


def _access_modes(modes: Any) -> str:
    """GetAccessModesAsString: each mode once, in RWO, ROX, RWX, RWOP order."""
    present = set(as_list(modes))
    return ",".join(short for mode, short in _ACCESS_MODES.items() if mode in present)


def _storage_class_of(obj: Mapping[str, Any], class_name: Any) -> str:
    """A volume's or claim's class: the beta annotation first, else spec.storageClassName."""
    annotations = as_map(meta_of(obj).get("annotations"))
    if _BETA_STORAGE_CLASS in annotations:
        return str(annotations[_BETA_STORAGE_CLASS])
    return str(class_name or "")


def _phase(obj: Mapping[str, Any]) -> str:
    """A volume's or claim's phase, `Terminating` once it is being deleted."""
    if meta_of(obj).get("deletionTimestamp"):
        return "Terminating"
    return str(as_map(obj.get("status")).get("phase", ""))


def _unset(value: Any) -> str:
    return "<unset>" if value is None else str(value)


def _pvc_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    volume = str(spec.get("volumeName") or "")
    # a claim's capacity and access modes show once it is bound to a volume
    capacity = _quantity(as_map(status.get("capacity")).get("storage")) if volume else ""
    modes = _access_modes(status.get("accessModes")) if volume else ""
    cells: Cells = [
        name_of(obj),
        _phase(obj),
        volume,
        capacity,
        modes,
        _storage_class_of(obj, spec.get("storageClassName")),
        _unset(spec.get("volumeAttributesClassName")),
        age_of(obj, now),
        _unset(spec.get("volumeMode")),
    ]
    return cells, []


PERSISTENT_VOLUME_CLAIM_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Status", desc=docs.PERSISTENT_VOLUME_CLAIM_STATUS_PHASE),
        column("Volume", desc=docs.PERSISTENT_VOLUME_CLAIM_SPEC_VOLUME_NAME),
        column("Capacity", desc=docs.PERSISTENT_VOLUME_CLAIM_STATUS_CAPACITY),
        column("Access Modes", desc=docs.PERSISTENT_VOLUME_CLAIM_STATUS_ACCESS_MODES),
        column("StorageClass", desc="StorageClass of the pvc"),
        column("VolumeAttributesClass", desc="VolumeAttributesClass of the pvc"),
        AGE_COLUMN,
        column("VolumeMode", priority=1, desc=docs.PERSISTENT_VOLUME_CLAIM_SPEC_VOLUME_MODE),
    ],
    _pvc_row,
)


def _pv_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    claim_ref = spec.get("claimRef")
    claim = ""
    if isinstance(claim_ref, Mapping):
        claim = f"{claim_ref.get('namespace', '')}/{claim_ref.get('name', '')}"
    cells: Cells = [
        name_of(obj),
        _quantity(as_map(spec.get("capacity")).get("storage")),
        _access_modes(spec.get("accessModes")),
        str(spec.get("persistentVolumeReclaimPolicy", "")),
        _phase(obj),
        claim,
        _storage_class_of(obj, spec.get("storageClassName")),
        _unset(spec.get("volumeAttributesClassName")),
        str(status.get("reason", "")),
        age_of(obj, now),
        _unset(spec.get("volumeMode")),
    ]
    return cells, []


PERSISTENT_VOLUME_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Capacity", desc=docs.PERSISTENT_VOLUME_SPEC_CAPACITY),
        column("Access Modes", desc=docs.PERSISTENT_VOLUME_SPEC_ACCESS_MODES),
        column("Reclaim Policy", desc=docs.PERSISTENT_VOLUME_SPEC_RECLAIM_POLICY),
        column("Status", desc=docs.PERSISTENT_VOLUME_STATUS_PHASE),
        column("Claim", desc=docs.PERSISTENT_VOLUME_SPEC_CLAIM_REF),
        column("StorageClass", desc="StorageClass of the pv"),
        column("VolumeAttributesClass", desc="VolumeAttributesClass of the pv"),
        column("Reason", desc=docs.PERSISTENT_VOLUME_STATUS_REASON),
        AGE_COLUMN,
        column("VolumeMode", priority=1, desc=docs.PERSISTENT_VOLUME_SPEC_VOLUME_MODE),
    ],
    _pv_row,
)


def _resource_quota_row(obj: dict[str, Any], now: datetime) -> Row:
    status = as_map(obj.get("status"))
    hard, used = as_map(status.get("hard")), as_map(status.get("used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        pieces = str(resource).split(".")
        shown = f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}"
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(shown)
    return [name_of(obj), ", ".join(requests), ", ".join(limits), age_of(obj, now)], []


RESOURCE_QUOTA_PRINTER = Printer(
    [
        NAME_COLUMN,
        column(
            "Request", desc="Request represents a minimum amount of cpu/memory that a container may consume."
        ),
        column(
            "Limit",
            desc="Limits control the maximum amount of cpu/memory that a container may use independent of "
            "contention on the node.",
        ),
        AGE_COLUMN,
    ],
    _resource_quota_row,
)
