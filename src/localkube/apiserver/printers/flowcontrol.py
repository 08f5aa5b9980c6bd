"""Printers of the flowcontrol.apiserver.k8s.io kinds (API Priority and Fairness): FlowSchema,
PriorityLevelConfiguration.
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
    name_of,
)


def _int(value: Any) -> int:
    """An int32 field as kube's internal type holds it: 0 when absent."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _flow_schema_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    method = spec.get("distinguisherMethod")
    # the Dangling condition's status says whether the priority level is missing; `?` before the
    # server's configuration controller has looked
    dangling = next(
        (
            str(c.get("status", ""))
            for c in map(as_map, as_list(as_map(obj.get("status")).get("conditions")))
            if c.get("type") == "Dangling"
        ),
        "?",
    )
    cells: Cells = [
        name_of(obj),
        as_map(spec.get("priorityLevelConfiguration")).get("name", ""),
        _int(spec.get("matchingPrecedence")),
        str(method.get("type", "")) if isinstance(method, Mapping) else "<none>",
        age_of(obj, now),
        dangling,
    ]
    return cells, []


def _by_precedence(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FlowSchemaSequence: the order the server matches requests in, lowest precedence first, then by name."""
    return sorted(items, key=lambda fs: (_int(as_map(fs.get("spec")).get("matchingPrecedence")), name_of(fs)))


FLOW_SCHEMA_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("PriorityLevel", desc=docs.PRIORITY_LEVEL_CONFIGURATION_REFERENCE_NAME),
        # a string column, as kube's, though the cell is a number
        column("MatchingPrecedence", desc=docs.FLOW_SCHEMA_SPEC_MATCHING_PRECEDENCE),
        column("DistinguisherMethod", desc=docs.FLOW_SCHEMA_SPEC_DISTINGUISHER_METHOD),
        AGE_COLUMN,
        column("MissingPL", desc="references a broken or non-existent PriorityLevelConfiguration"),
    ],
    _flow_schema_row,
    list_order=_by_precedence,
)


def _priority_level_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    # an exempt level has no limits: each number is `<none>`
    shares: Any = "<none>"
    queues: Any = "<none>"
    hand_size: Any = "<none>"
    queue_length: Any = "<none>"
    limited = spec.get("limited")
    if isinstance(limited, Mapping):
        shares = _int(limited.get("nominalConcurrencyShares"))
        queuing = as_map(limited.get("limitResponse")).get("queuing")
        if isinstance(queuing, Mapping):
            queues = _int(queuing.get("queues"))
            hand_size = _int(queuing.get("handSize"))
            queue_length = _int(queuing.get("queueLengthLimit"))
    cells: Cells = [
        name_of(obj),
        str(spec.get("type", "")),
        shares,
        queues,
        hand_size,
        queue_length,
        age_of(obj, now),
    ]
    return cells, []


# string columns, as kube's, though the cells are numbers where the level is limited
PRIORITY_LEVEL_CONFIGURATION_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Type", desc=docs.PRIORITY_LEVEL_CONFIGURATION_SPEC_TYPE),
        column(
            "NominalConcurrencyShares",
            desc=docs.LIMITED_PRIORITY_LEVEL_CONFIGURATION_NOMINAL_CONCURRENCY_SHARES,
        ),
        column("Queues", desc=docs.QUEUING_CONFIGURATION_QUEUES),
        column("HandSize", desc=docs.QUEUING_CONFIGURATION_HAND_SIZE),
        column("QueueLengthLimit", desc=docs.QUEUING_CONFIGURATION_QUEUE_LENGTH_LIMIT),
        AGE_COLUMN,
    ],
    _priority_level_row,
)
