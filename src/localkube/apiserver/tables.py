"""Server-side Table conversion (`meta.k8s.io/v1 Table`), what `kubectl get` prints.

Pure: `to_table` renders a list of objects with the columns of the kind's printer (a built-in kind's
is kube-apiserver's, in `printers/`), a CRD's additionalPrinterColumns for custom resources, and
Name/Created At otherwise; here too are the columns and cell helpers every printer shares (ages and
durations, labels and selectors). Every column is sent (wide ones with priority 1); kubectl hides
priority>0 columns unless `-o wide`. The caller fills in `metadata.resourceVersion`/`continue` of
the returned table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kubeschema.timestamps import parse_time
from localkube.apiserver import column_docs as docs
from localkube.apiserver.shapes import as_list
from localkube.apiserver.strategy import Printer, Row

Cells = list[Any]

# Column descriptions are kube-apiserver's: mostly field documentation (column_docs), else its literals.
_NAME_DESC = docs.OBJECT_META_NAME
_AGE_DESC = docs.OBJECT_META_CREATION_TIMESTAMP


# --- durations -----------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """Kubernetes' duration.HumanDuration: ~2-3 significant figures (`5s`, `3m27s`, `13d`, `2y`)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(value: Any, now: datetime) -> str:
    """translateTimestampSince: `<unknown>` for a missing time, else the age."""
    t = parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


# --- the table -----------------------------------------------------------------------------------


def column(
    name: str, type_: str = "string", *, priority: int = 0, fmt: str = "", desc: str = ""
) -> dict[str, Any]:
    return {"name": name, "type": type_, "format": fmt, "description": desc or name, "priority": priority}


NAME_COLUMN = column("Name", fmt="name", desc=_NAME_DESC)
AGE_COLUMN = column("Age", desc=_AGE_DESC)
# kube's default table convertor's (k8s.io/apiserver pkg/registry/rest/table.go), for kinds without a printer
DEFAULT_COLUMNS = [NAME_COLUMN, column("Created At", "date", desc=_AGE_DESC)]


def to_table(
    printer: Printer | None,
    objects: list[dict[str, Any]],
    *,
    include_object: str,
    printer_columns: list[dict[str, Any]] | None,
    now: datetime,
    listed: bool = False,
) -> dict[str, Any]:
    """A Table of `objects`. `printer` is the built-in kind's (its strategy's); `printer_columns`
    are the served CRD version's additionalPrinterColumns (custom resources only: given, even
    empty, for them and None otherwise). `include_object` is the request's includeObject: "None",
    "Metadata" (the default for kubectl) or "Object". `listed`: the objects are a list's items
    (kube prints a list through the kind's list printer, one object or a watch event by itself)."""
    if printer_columns is not None:
        columns, row_fn = _crd_printer(printer_columns, now)
    elif printer is not None:
        columns = printer.columns
        if listed and printer.list_order is not None:
            objects = printer.list_order(objects)
        fn = printer.list_row(objects) if listed and printer.list_row is not None else printer.row

        def row_fn(obj: dict[str, Any]) -> Row:
            return fn(obj, now)
    else:
        columns = DEFAULT_COLUMNS

        def row_fn(obj: dict[str, Any]) -> Row:
            return [meta_of(obj).get("name", ""), meta_of(obj).get("creationTimestamp")], []

    rows = []
    for obj in objects:
        cells, conditions = row_fn(obj)
        row: dict[str, Any] = {"cells": cells, "object": _row_object(obj, include_object)}
        if conditions:
            row["conditions"] = conditions
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    }


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta_of(obj)}


# --- cells ---------------------------------------------------------------------------------------


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object's metadata, empty when it has none."""
    return as_map(obj.get("metadata"))


def as_map(value: Any) -> Mapping[str, Any]:
    """The value if it is a mapping, else an empty one (a cell reads what it finds, as kube's printers)."""
    return value if isinstance(value, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    """The NAME cell: metadata.name."""
    return str(meta_of(obj).get("name", ""))


def age_of(obj: Mapping[str, Any], now: datetime) -> str:
    """The AGE cell: the time since metadata.creationTimestamp."""
    return since(meta_of(obj).get("creationTimestamp"), now)


def group_resource(ref: Mapping[str, Any]) -> str:
    """schema.GroupResource.String() of a reference's group and resource: `resource.group`, or the
    resource alone for the core group."""
    group, resource = str(ref.get("group") or ""), str(ref.get("resource") or "")
    return f"{resource}.{group}" if group else resource


def format_labels(labels: Any) -> str:
    """labels.FormatLabels: `k=v` pairs sorted by key, `<none>` for none."""
    items = as_map(labels)
    if not items:
        return "<none>"
    return ",".join(f"{k}={items[k]}" for k in sorted(items))


def selector_text(selector: Any) -> str:
    """metav1.FormatLabelSelector: the requirements sorted by key, `<none>` for none."""
    sel = as_map(selector)
    parts = [(str(k), f"{k}={v}") for k, v in as_map(sel.get("matchLabels")).items()]
    for expr in as_list(sel.get("matchExpressions")):
        expr = as_map(expr)
        op = expr.get("operator")
        key = str(expr.get("key", ""))
        values = ",".join(sorted(str(v) for v in as_list(expr.get("values"))))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(str(op), key)
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts, key=lambda p: p[0])) or "<none>"


# --- custom resources ----------------------------------------------------------------------------


def _crd_printer(
    printer_columns: list[dict[str, Any]], now: datetime
) -> tuple[list[dict[str, Any]], Callable[[dict[str, Any]], Row]]:
    # A CRD version without additionalPrinterColumns is served with a single Age column.
    specs = printer_columns or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp", "description": _AGE_DESC}
    ]
    columns = [NAME_COLUMN]
    for spec in specs:
        path = str(spec.get("jsonPath", ""))
        desc = spec.get("description") or f"Custom resource definition column (in JSONPath format): {path}"
        columns.append(
            {
                "name": spec.get("name", ""),
                "type": spec.get("type", "string"),
                "format": spec.get("format", ""),
                "description": desc,
                "priority": int(spec.get("priority", 0) or 0),
            }
        )

    def row_fn(obj: dict[str, Any]) -> Row:
        cells: Cells = [name_of(obj)]
        for spec in specs:
            found = jsonpath_lookup(obj, str(spec.get("jsonPath", "")))
            cells.append(None if found is MISSING else _crd_cell(str(spec.get("type", "string")), found, now))
        return cells, []

    return columns, row_fn


def _crd_cell(type_: str, value: Any, now: datetime) -> Any:
    """cellForJSONValue: a value of the wrong type for its column prints as nothing."""
    if value is None:
        return None
    if type_ == "string":
        return _print_value(value)
    if type_ == "integer":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if type_ == "number":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if type_ == "boolean":
        return value if isinstance(value, bool) else None
    if type_ == "date":
        if not isinstance(value, str):
            return None
        return "<invalid>" if parse_time(value) is None else since(value, now)
    return None


def _print_value(value: Any) -> str:
    # JSONPath's text output: Go's %v of the value.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_print_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_print_value(x) for x in value) + "]"
    return str(value)


MISSING = object()
_SEGMENT = re.compile(
    r"""\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]"""
)


def jsonpath_lookup(obj: Any, path: str) -> Any:
    """The first match of a simple JSONPath (`.a.b`, `[0]`, `['k.x']`, `[?(@.type=="Ready")]`).

    Returns `MISSING` when nothing matches, as the API server's AllowMissingKeys lookup does.
    """
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = text.replace("\\.", "\x00")
    node: Any = obj
    pos = 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if m is None:
            return MISSING
        pos = m.end()
        key, index, q1, q2, fkey, fval = m.groups()
        if index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                return MISSING
            node = node[int(index)]
        elif fkey is not None:
            if not isinstance(node, list):
                return MISSING
            picked = [x for x in node if jsonpath_lookup(x, "." + fkey) == fval]
            if not picked:
                return MISSING
            node = picked[0]
        else:
            name = (key if key is not None else q1 if q1 is not None else q2 or "").replace("\x00", ".")
            if not isinstance(node, Mapping) or name not in node:
                return MISSING
            node = node[name]
    return node
