"""Table responses as the unit tests of localkube's printers read them: the table the server sends
for some objects of a kind, and its rows as `kubectl get` shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time
from localkube.apiserver import strategies
from localkube.apiserver.patches import BUILTIN_GROUPS
from localkube.apiserver.tables import to_table

NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


def ago(**delta: float) -> str:
    return format_time(NOW - timedelta(**delta))


def meta(name: str, **extra: Any) -> dict[str, Any]:
    """An object's metadata: its name, created two days before NOW."""
    return {"name": name, "creationTimestamp": ago(days=2), **extra}


def table(
    api_version: str,
    kind: str,
    objs: list[dict[str, Any]],
    columns: Any = None,
    include: str = "None",
    listed: bool = False,
) -> dict[str, Any]:
    """The table the server sends for these objects: a built-in kind's strategy's printer, or the
    CRD's columns for a custom resource. `listed`: a list's table, not one object's."""
    group = api_version.rpartition("/")[0]
    custom_columns = None if group in BUILTIN_GROUPS else (columns or [])
    printer = strategies.of_kind(group, kind).printer
    return to_table(
        printer, objs, include_object=include, printer_columns=custom_columns, now=NOW, listed=listed
    )


def printed(t: dict[str, Any], wide: bool = False) -> list[dict[str, Any]]:
    """Rows as kubectl shows them: header name (upper-cased by kubectl) -> cell."""
    names = [c["name"] for c in t["columnDefinitions"]]
    keep = [wide or c["priority"] == 0 for c in t["columnDefinitions"]]
    return [
        {n.upper(): cell for n, cell, k in zip(names, row["cells"], keep, strict=True) if k}
        for row in t["rows"]
    ]


def column_of(t: dict[str, Any], name: str) -> dict[str, Any]:
    [col] = [c for c in t["columnDefinitions"] if c["name"] == name]
    return col
