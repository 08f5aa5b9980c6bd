"""Server-side printing (meta.k8s.io/v1 Table), what `kubectl get` asks for. Pure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from localkube.apiserver import crds
from localkube.apiserver.kinds import ResourceInfo

TABLE_ACCEPT_MARK = "as=Table"


def human_age(timestamp: str | None, now: dt.datetime | None = None) -> str:
    """Kubernetes' HumanDuration of the time since `timestamp` (`5s`, `3m`, `2h4m`, `3d`...)."""
    if not timestamp:
        return "<unknown>"
    try:
        then = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "<invalid>"
    secs = int(((now or dt.datetime.now(dt.UTC)) - then).total_seconds())
    if secs < 0:
        return "<invalid>"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        s = secs % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        m = minutes % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        h = hours % 24
        return f"{days}d{h}h" if h else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


def _col(
    name: str, type_: str = "string", fmt: str = "", priority: int = 0, description: str = ""
) -> dict[str, Any]:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


def _pod_cells(obj: dict[str, Any]) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    reason = status.get("reason") or status.get("phase") or "Pending"
    for c in statuses:
        state = c.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return [
        f"{ready}/{len(spec.get('containers') or [])}",
        reason,
        restarts,
        human_age((obj.get("metadata") or {}).get("creationTimestamp")),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
    ]


def _service_cells(obj: dict[str, Any]) -> list[Any]:
    spec = obj.get("spec") or {}
    ports = (
        ",".join(
            f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}"
            f"/{p.get('protocol', 'TCP')}"
            for p in spec.get("ports") or ()
        )
        or "<none>"
    )
    return [
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP") or "<none>",
        "<none>",
        ports,
        human_age((obj.get("metadata") or {}).get("creationTimestamp")),
    ]


def _ns_cells(obj: dict[str, Any]) -> list[Any]:
    return [
        (obj.get("status") or {}).get("phase", ""),
        human_age((obj.get("metadata") or {}).get("creationTimestamp")),
    ]


BUILTIN_COLUMNS: dict[tuple[str, str], tuple[list[dict[str, Any]], Any]] = {
    ("", "Pod"): (
        [
            _col("Ready"),
            _col("Status"),
            _col("Restarts", "string"),
            _col("Age"),
            _col("IP", priority=1),
            _col("Node", priority=1),
        ],
        _pod_cells,
    ),
    ("", "Service"): (
        [_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"), _col("Age")],
        _service_cells,
    ),
    ("", "Namespace"): ([_col("Status"), _col("Age")], _ns_cells),
}


def _printer_value(obj: dict[str, Any], col: dict[str, Any]) -> Any:
    path = str(col.get("jsonPath", ""))
    value = crds.get_path(obj, path) if "[" not in path else None
    if value is None:
        return None
    if col.get("type") == "date":
        return human_age(str(value))
    return value


def table(
    info: ResourceInfo,
    objects: list[dict[str, Any]],
    list_meta: dict[str, Any],
    include_object: str = "Metadata",
) -> dict[str, Any]:
    columns = [_col("Name", fmt="name", description="Name must be unique within a namespace.")]
    cells_for: Any
    if not info.custom and (info.group, info.kind) in BUILTIN_COLUMNS:
        extra, cells_for = BUILTIN_COLUMNS[(info.group, info.kind)]
        columns += extra
    elif info.custom and info.printer_columns:
        printer = [c for c in info.printer_columns if isinstance(c, dict)]
        columns += [
            _col(
                str(c.get("name")),
                "string" if c.get("type") == "date" else str(c.get("type", "string")),
                str(c.get("format", "")),
                int(c.get("priority", 0)),
                str(c.get("description", "")),
            )
            for c in printer
        ]
        if not any(c.get("jsonPath") == ".metadata.creationTimestamp" for c in printer):
            columns.append(_col("Age", description="CreationTimestamp"))
            printer = [*printer, {"jsonPath": ".metadata.creationTimestamp", "type": "date"}]

        def cells_for(obj: dict[str, Any]) -> list[Any]:
            return [_printer_value(obj, c) for c in printer]
    else:
        columns.append(_col("Age", description="CreationTimestamp"))

        def cells_for(obj: dict[str, Any]) -> list[Any]:
            return [human_age((obj.get("metadata") or {}).get("creationTimestamp"))]

    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        row: dict[str, Any] = {"cells": [meta.get("name"), *cells_for(obj)]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns,
        "rows": rows,
    }
