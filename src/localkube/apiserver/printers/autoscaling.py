"""The printer of HorizontalPodAutoscalers (autoscaling/v2 objects; strategies/ converts v1's).
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
    age_of,
    as_list,
    as_map,
    column,
    name_of,
)


def _hpa_metric(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> str:
    """One metric as `kubectl get hpa` shows it: current/target, "<unknown>" before a reading."""
    kind = spec.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(kind))
    if key is not None:
        src, cur = as_map(spec.get(key)), as_map(as_map(as_map(status).get(key)).get("current"))
        target = as_map(src.get("target"))
        if target.get("averageValue") is not None:
            current = str(cur.get("averageValue", "<unknown>"))
            return f"{src.get('name')}: {current}/{target['averageValue']}"
        current = (
            f"{cur['averageUtilization']}%" if cur.get("averageUtilization") is not None else "<unknown>"
        )
        goal = (
            f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        )
        return f"{src.get('name')}: {current}/{goal}"
    key = {"Pods": "pods", "Object": "object", "External": "external"}.get(str(kind))
    if key is None:
        return "<unknown type>"
    target, cur = (
        as_map(as_map(spec.get(key)).get("target")),
        as_map(as_map(as_map(status).get(key)).get("current")),
    )
    if target.get("averageValue") is not None:
        suffix = "" if kind == "Pods" else " (avg)"
        return f"{cur.get('averageValue', '<unknown>')}/{target['averageValue']}{suffix}"
    return f"{cur.get('value', '<unknown>')}/{target.get('value', '<unknown>')}"


def _hpa_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    ref = as_map(spec.get("scaleTargetRef"))
    metrics = [as_map(m) for m in as_list(spec.get("metrics"))]
    current = [as_map(m) for m in as_list(status.get("currentMetrics"))]
    shown = [_hpa_metric(m, current[i] if i < len(current) else None) for i, m in enumerate(metrics)]
    targets = ", ".join(shown[:2]) if shown else "<none>"
    if len(shown) > 2:
        targets += f" + {len(shown) - 2} more..."
    low = spec.get("minReplicas")
    cells = [
        name_of(obj),
        f"{ref.get('kind')}/{ref.get('name')}",
        targets,
        str(low) if low is not None else "<unset>",
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age_of(obj, now),
    ]
    return cells, []


HPA_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Reference", desc=docs.HPA_SPEC_SCALE_TARGET_REF),
        column("Targets", desc=docs.HPA_SPEC_METRICS),
        column("MinPods", desc=docs.HPA_SPEC_MIN_REPLICAS),
        column("MaxPods", desc=docs.HPA_SPEC_MAX_REPLICAS),
        column("Replicas", desc=docs.HPA_STATUS_CURRENT_REPLICAS),
        AGE_COLUMN,
    ],
    _hpa_row,
)
