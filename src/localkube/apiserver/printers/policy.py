"""Printers of the kinds that rule how pods run and go: PodDisruptionBudget (policy/v1),
PriorityClass (scheduling.k8s.io), RuntimeClass (node.k8s.io).
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localkube.apiserver import column_docs as docs
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    NAME_COLUMN,
    Cells,
    age_of,
    as_map,
    column,
    name_of,
)


def _pdb_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
    cells: Cells = [
        name_of(obj),
        "N/A" if low is None else str(low),
        "N/A" if high is None else str(high),
        int(status.get("disruptionsAllowed", 0) or 0),
        age_of(obj, now),
    ]
    return cells, []


POD_DISRUPTION_BUDGET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Min Available", desc="The minimum number of pods that must be available."),
        column("Max Unavailable", desc="The maximum number of pods that may be unavailable."),
        column(
            "Allowed Disruptions",
            "integer",
            desc="Calculated number of pods that may be disrupted at this time.",
        ),
        AGE_COLUMN,
    ],
    _pdb_row,
)


def _priority_class_row(obj: dict[str, Any], now: datetime) -> Row:
    cells: Cells = [
        name_of(obj),
        int(obj.get("value", 0) or 0),
        bool(obj.get("globalDefault")),
        age_of(obj, now),
        str(obj.get("preemptionPolicy") or ""),
    ]
    return cells, []


PRIORITY_CLASS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Value", "integer", desc=docs.PRIORITY_CLASS_VALUE),
        column("Global-Default", "boolean", desc=docs.PRIORITY_CLASS_GLOBAL_DEFAULT),
        AGE_COLUMN,
        # not a wide column in kube, though printed only for -o wide (which the server always is)
        column("PreemptionPolicy", desc=docs.PRIORITY_CLASS_PREEMPTION_POLICY),
    ],
    _priority_class_row,
)


def _runtime_class_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), obj.get("handler", ""), age_of(obj, now)], []


RUNTIME_CLASS_PRINTER = Printer(
    # kube documents Handler with ObjectMeta's (nonexistent) "handler" field: an empty description
    [NAME_COLUMN, {**column("Handler"), "description": ""}, AGE_COLUMN],
    _runtime_class_row,
)
