"""Printers of the resource.k8s.io kinds (dynamic resource allocation): DeviceClass, ResourceClaim,
ResourceClaimTemplate, ResourceSlice, DeviceTaintRule.
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
    meta_of,
    name_of,
    since,
)


def _name_and_age_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), age_of(obj, now)], []


DEVICE_CLASS_PRINTER = Printer([NAME_COLUMN, AGE_COLUMN], _name_and_age_row)
RESOURCE_CLAIM_TEMPLATE_PRINTER = DEVICE_CLASS_PRINTER


def _claim_state(obj: Mapping[str, Any]) -> str:
    """`deleted` while it is being deleted; `pending` until allocated, else `allocated`, and
    `reserved` once a consumer holds it."""
    status = as_map(obj.get("status"))
    deleting = meta_of(obj).get("deletionTimestamp") is not None
    states = ["deleted"] if deleting else []
    if status.get("allocation") is None:
        if not deleting:
            states.append("pending")
    else:
        states.append("allocated")
        if as_list(status.get("reservedFor")):
            states.append("reserved")
    return ",".join(states)


def _claim_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), _claim_state(obj), age_of(obj, now)], []


RESOURCE_CLAIM_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("State", desc="A summary of the current state (allocated, pending, reserved, etc.)."),
        AGE_COLUMN,
    ],
    _claim_row,
)


def _slice_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    cells: Cells = [
        name_of(obj),
        spec.get("nodeName") or "",
        spec.get("driver", ""),
        as_map(spec.get("pool")).get("name", ""),
        age_of(obj, now),
    ]
    return cells, []


RESOURCE_SLICE_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Node", desc=docs.RESOURCE_SLICE_SPEC_NODE_NAME),
        column("Driver", desc=docs.RESOURCE_SLICE_SPEC_DRIVER),
        column("Pool", desc=docs.RESOURCE_POOL_NAME),
        AGE_COLUMN,
    ],
    _slice_row,
)


def _taint_rule_row(obj: dict[str, Any], now: datetime) -> Row:
    taint = as_map(as_map(obj.get("spec")).get("taint"))
    added = taint.get("timeAdded")
    cells: Cells = [
        name_of(obj),
        taint.get("key", ""),
        taint.get("value", ""),
        taint.get("effect", ""),
        "" if added is None else since(added, now),
        age_of(obj, now),
    ]
    return cells, []


# the rule's device selectors are not printed (long CEL expressions): its taint is
DEVICE_TAINT_RULE_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Key", desc=docs.DEVICE_TAINT_KEY),
        column("Value", desc=docs.DEVICE_TAINT_VALUE),
        column("Effect", desc=docs.DEVICE_TAINT_EFFECT),
        column("TimeAdded", desc=docs.DEVICE_TAINT_TIME_ADDED),
        AGE_COLUMN,
    ],
    _taint_rule_row,
)
