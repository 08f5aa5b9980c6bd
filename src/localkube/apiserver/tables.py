"""Server-side Table conversion (`meta.k8s.io/v1 Table`), what `kubectl get` prints.

Pure: `to_table` renders a list of objects with the columns kube-apiserver's printers give for
built-in kinds (k8s.io/kubernetes/pkg/printers/internalversion), a CRD's additionalPrinterColumns
for custom resources, and Name/Created At otherwise. Every column is sent (wide ones with
priority 1); kubectl hides priority>0 columns unless `-o wide`. The caller fills in
`metadata.resourceVersion`/`continue` of the returned table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kubeschema.timestamps import parse_time
from localkube.apiserver import column_docs as docs
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
) -> dict[str, Any]:
    """A Table of `objects`. `printer` is the built-in kind's (its strategy's); `printer_columns`
    are the served CRD version's additionalPrinterColumns (custom resources only: given, even
    empty, for them and None otherwise). `include_object` is the request's includeObject: "None",
    "Metadata" (the default for kubectl) or "Object"."""
    if printer_columns is not None:
        columns, row_fn = _crd_printer(printer_columns, now)
    elif printer is not None:
        columns = printer.columns
        fn = printer.row

        def row_fn(obj: dict[str, Any]) -> Row:
            return fn(obj, now)
    else:
        columns = DEFAULT_COLUMNS

        def row_fn(obj: dict[str, Any]) -> Row:
            return [_meta(obj).get("name", ""), _meta(obj).get("creationTimestamp")], []

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
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": _meta(obj)}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _d(obj.get("metadata"))


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _age(obj: Mapping[str, Any], now: datetime) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


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
        cells: Cells = [_name(obj)]
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


# --- built-in printers ---------------------------------------------------------------------------


def _pod_row(pod: dict[str, Any], now: datetime) -> Row:
    spec = _d(pod.get("spec"))
    status = _d(pod.get("status"))
    meta = _meta(pod)
    containers = _l(spec.get("containers"))
    init_specs = {c.get("name"): c for c in _l(spec.get("initContainers")) if isinstance(c, Mapping)}
    total = len(containers) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = status.get("phase", "") or ""
    reason = status.get("reason") or phase
    for cond in _l(status.get("conditions")):
        if _d(cond).get("type") == "PodScheduled" and _d(cond).get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions: list[dict[str, str]] = []
    if phase == "Succeeded":
        conditions = [_completed("Succeeded", "The pod has completed successfully.")]
    elif phase == "Failed":
        conditions = [_completed("Failed", "The pod failed.")]

    initializing = False
    init_statuses = _l(status.get("initContainerStatuses"))
    for i, cs in enumerate(init_statuses):
        cs = _d(cs)
        restarts += int(cs.get("restartCount", 0) or 0)
        finished = _last_terminated(cs)
        last_restart = _later(last_restart, finished)
        sidecar = _restartable(init_specs.get(cs.get("name"), {}))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount", 0) or 0)
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        state = _d(cs.get("state"))
        terminated = _d(state.get("terminated")) if "terminated" in state else None
        waiting = _d(state.get("waiting")) if "waiting" in state else None
        if terminated is not None and int(terminated.get("exitCode", 0) or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(_l(status.get("containerStatuses"))):
            cs = _d(cs)
            restarts += int(cs.get("restartCount", 0) or 0)
            last_restart = _later(last_restart, _last_terminated(cs))
            state = _d(cs.get("state"))
            waiting = _d(state.get("waiting"))
            terminated = _d(state.get("terminated"))
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated.get("reason"):
                reason = terminated["reason"]
            elif "terminated" in state:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        # A pod whose last container finished but others still run is not "Completed".
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"

    ips = _l(status.get("podIPs"))
    ip = _d(ips[0]).get("ip", "") if ips else status.get("podIP", "")
    gates = _l(spec.get("readinessGates"))
    gates_text = "<none>"
    if gates:
        true = 0
        for gate in gates:
            for cond in _l(status.get("conditions")):
                if _d(cond).get("type") == _d(gate).get("conditionType"):
                    true += _d(cond).get("status") == "True"
                    break
        gates_text = f"{true}/{len(gates)}"
    cells: Cells = [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]
    return cells, conditions


def _completed(reason: str, message: str) -> dict[str, str]:
    return {"type": "Completed", "status": "True", "reason": reason, "message": message}


def _restartable(container: Any) -> bool:
    return _d(container).get("restartPolicy") == "Always"


def _last_terminated(cs: Mapping[str, Any]) -> datetime | None:
    return parse_time(_d(_d(cs.get("lastState")).get("terminated")).get("finishedAt"))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _condition_true(status: Mapping[str, Any], type_: str) -> bool:
    return any(
        _d(c).get("type") == type_ and _d(c).get("status") == "True" for c in _l(status.get("conditions"))
    )


_POD_COLUMNS = [
    NAME_COLUMN,
    column("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
    column("Status", desc="The aggregate status of the containers in this pod."),
    column(
        "Restarts",
        desc="The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    AGE_COLUMN,
    column("IP", priority=1, desc=docs.POD_STATUS_POD_IP),
    column("Node", priority=1, desc=docs.POD_SPEC_NODE_NAME),
    column("Nominated Node", priority=1, desc=docs.POD_STATUS_NOMINATED_NODE_NAME),
    column("Readiness Gates", priority=1, desc=docs.POD_SPEC_READINESS_GATES),
]


def _format_labels(labels: Any) -> str:
    items = _d(labels)
    if not items:
        return "<none>"
    return ",".join(f"{k}={items[k]}" for k in sorted(items))


def _service_row(svc: dict[str, Any], now: datetime) -> Row:
    spec = _d(svc.get("spec"))
    stype = spec.get("type") or "ClusterIP"
    ips = _l(spec.get("clusterIPs"))
    cluster_ip = ips[0] if ips else spec.get("clusterIP") or "<none>"
    external = _l(spec.get("externalIPs"))
    if stype in ("ClusterIP", "NodePort"):
        external_text = ",".join(external) if external else "<none>"
    elif stype == "LoadBalancer":
        ingress = _l(_d(_d(svc.get("status")).get("loadBalancer")).get("ingress"))
        lb = {_d(i).get("ip") or _d(i).get("hostname") for i in ingress}
        lb_ips = sorted(x for x in lb if x) + external
        external_text = ",".join(lb_ips) if lb_ips else "<pending>"
    elif stype == "ExternalName":
        external_text = spec.get("externalName", "")
    else:
        external_text = "<unknown>"
    pieces = []
    for port in _l(spec.get("ports")):
        port = _d(port)
        proto = port.get("protocol", "TCP")
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            pieces.append(f"{port.get('port')}/{proto}")
    ports = ",".join(pieces) or "<none>"
    cells: Cells = [
        _name(svc),
        stype,
        cluster_ip,
        external_text,
        ports,
        _age(svc, now),
        _format_labels(spec.get("selector")),
    ]
    return cells, []


_SERVICE_COLUMNS = [
    NAME_COLUMN,
    column("Type", desc=docs.SERVICE_SPEC_TYPE),
    column("Cluster-IP", desc=docs.SERVICE_SPEC_CLUSTER_IP),
    column("External-IP", desc=docs.SERVICE_SPEC_EXTERNAL_IPS),
    column("Port(s)", desc=docs.SERVICE_SPEC_PORTS),
    AGE_COLUMN,
    column("Selector", priority=1, desc=docs.SERVICE_SPEC_SELECTOR),
]


def _configmap_row(obj: dict[str, Any], now: datetime) -> Row:
    count = len(_d(obj.get("data"))) + len(_d(obj.get("binaryData")))
    return [_name(obj), count, _age(obj, now)], []


def _secret_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), obj.get("type") or "Opaque", len(_d(obj.get("data"))), _age(obj, now)], []


def _namespace_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _d(obj.get("status")).get("phase", "Active"), _age(obj, now)], []


def _service_account_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _age(obj, now)], []


def _node_row(node: dict[str, Any], now: datetime) -> Row:
    status = _d(node.get("status"))
    states = []
    for cond in _l(status.get("conditions")):
        if _d(cond).get("type") == "Ready":
            states.append("Ready" if _d(cond).get("status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if _d(node.get("spec")).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in _d(_meta(node).get("labels")).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = _d(status.get("nodeInfo"))
    kernel = info.get("kernelVersion") or "<unknown>"
    if info.get("architecture"):
        kernel += f" ({info['architecture']})"

    def address(kind: str) -> str:
        for addr in _l(status.get("addresses")):
            if _d(addr).get("type") == kind:
                return str(_d(addr).get("address", ""))
        return "<none>"

    cells: Cells = [
        _name(node),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _age(node, now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        kernel,
        info.get("containerRuntimeVersion") or "<unknown>",
    ]
    return cells, []


_NODE_COLUMNS = [
    NAME_COLUMN,
    column("Status", desc="The status of the node"),
    column("Roles", desc="The roles of the node"),
    AGE_COLUMN,
    column("Version", desc=docs.NODE_SYSTEM_INFO_KUBELET_VERSION),
    column("Internal-IP", priority=1, desc=docs.NODE_STATUS_ADDRESSES),
    column("External-IP", priority=1, desc=docs.NODE_STATUS_ADDRESSES),
    column("OS-Image", priority=1, desc=docs.NODE_SYSTEM_INFO_OS_IMAGE),
    column("Kernel-Version", priority=1, desc=docs.NODE_SYSTEM_INFO_KERNEL_VERSION),
    column("Container-Runtime", priority=1, desc=docs.NODE_SYSTEM_INFO_CONTAINER_RUNTIME_VERSION),
]


def _event_row(ev: dict[str, Any], now: datetime) -> Row:
    first = (
        since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else since(ev.get("eventTime"), now)
    )
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = _d(ev.get("series"))
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count", count)
    elif not count:
        count = 1
    involved = _d(ev.get("involvedObject") or ev.get("regarding"))
    target = str(involved.get("kind", "")).lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    source = _d(ev.get("source"))
    component = source.get("component") or ev.get("reportingController") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    source_text = f"{component}, {host}" if host else component
    cells: Cells = [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        source_text,
        str(ev.get("message") or ev.get("note") or "").strip(),
        first,
        int(count),
        _name(ev),
    ]
    return cells, []


_EVENT_COLUMNS = [
    column("Last Seen", desc=docs.EVENT_LAST_TIMESTAMP),
    column("Type", desc=docs.EVENT_TYPE),
    column("Reason", desc=docs.EVENT_REASON),
    column("Object", desc=docs.EVENT_INVOLVED_OBJECT),
    column("Subobject", priority=1, desc=docs.OBJECT_REFERENCE_FIELD_PATH),
    column("Source", priority=1, desc=docs.EVENT_SOURCE),
    column("Message", desc=docs.EVENT_MESSAGE),
    column("First Seen", priority=1, desc=docs.EVENT_FIRST_TIMESTAMP),
    # a string column, as kube's, though the cell is the count's number
    column("Count", priority=1, desc=docs.EVENT_COUNT),
    column("Name", priority=1, fmt="name", desc=_NAME_DESC),
]


def _selector_text(selector: Any) -> str:
    sel = _d(selector)
    parts = [f"{k}={v}" for k, v in sorted(_d(sel.get("matchLabels")).items())]
    for expr in _l(sel.get("matchExpressions")):
        expr = _d(expr)
        op = expr.get("operator")
        key = expr.get("key", "")
        values = ",".join(sorted(str(v) for v in _l(expr.get("values"))))
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }.get(str(op), key)
        )
    return ",".join(parts) or "<none>"


def _containers_and_images(obj: Mapping[str, Any]) -> tuple[str, str]:
    containers = _l(_d(_d(_d(obj.get("spec")).get("template")).get("spec")).get("containers"))
    return (
        ",".join(str(_d(c).get("name", "")) for c in containers),
        ",".join(str(_d(c).get("image", "")) for c in containers),
    )


_CONTAINERS_COLUMNS = [
    column("Containers", priority=1, desc="Names of each container in the template."),
    column("Images", priority=1, desc="Images referenced by each container in the template."),
]


def _workload_tail(selector_desc: str) -> list[dict[str, Any]]:
    """The wide CONTAINERS, IMAGES, SELECTOR columns; SELECTOR documented by the kind's spec.selector."""
    return [*_CONTAINERS_COLUMNS, column("Selector", priority=1, desc=selector_desc)]


def _workload_row(obj: dict[str, Any], counts: Cells, now: datetime) -> Row:
    """NAME, the kind's counts, AGE, then the wide CONTAINERS, IMAGES, SELECTOR."""
    names, images = _containers_and_images(obj)
    selector = _selector_text(_d(obj.get("spec")).get("selector"))
    return [_name(obj), *counts, _age(obj, now), names, images, selector], []


def _deployment_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    counts = [ready, int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0))]
    return _workload_row(obj, counts, now)


def _replicaset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    desired, current = int(spec.get("replicas", 1)), int(status.get("replicas", 0))
    return _workload_row(obj, [desired, current, int(status.get("readyReplicas", 0))], now)


def _statefulset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    names, images = _containers_and_images(obj)
    return [
        _name(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        _age(obj, now),
        names,
        images,
    ], []


def _job_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    succeeded = int(status.get("succeeded", 0) or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism", 0) or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration(((end or now) - start).total_seconds())
    conds = {_d(c).get("type") for c in _l(status.get("conditions")) if _d(c).get("status") == "True"}
    if "Complete" in conds:
        state = "Complete"
    elif "Failed" in conds:
        state = "Failed"
    elif _meta(obj).get("deletionTimestamp"):
        state = "Terminating"
    elif "Suspended" in conds:
        state = "Suspended"
    elif "FailureTarget" in conds:
        state = "FailureTarget"
    elif "SuccessCriteriaMet" in conds:
        state = "SuccessCriteriaMet"
    else:
        state = "Running"
    return _workload_row(obj, [state, completions, duration], now)


def _endpoints_row(obj: dict[str, Any], now: datetime) -> Row:
    """formatEndpoints: each subset's addresses port by port (`ip:port`, `[ipv6]:port`), the first 3."""
    subsets = _l(obj.get("subsets"))
    pairs = []
    for subset in subsets:
        subset = _d(subset)
        ips = [str(_d(addr).get("ip", "")) for addr in _l(subset.get("addresses"))]
        ports = [int(_d(p).get("port", 0) or 0) for p in _l(subset.get("ports"))]
        if not ports:
            pairs.extend(ips)
        for port in ports:
            pairs.extend(f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip in ips)
    text = ",".join(pairs[:3]) if subsets else "<none>"
    if len(pairs) > 3:
        text += f" + {len(pairs) - 3} more..."
    return [_name(obj), text, _age(obj, now)], []


def _lease_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _d(obj.get("spec")).get("holderIdentity", ""), _age(obj, now)], []


def _role_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _meta(obj).get("creationTimestamp", "")], []


def _binding_row(obj: dict[str, Any], now: datetime) -> Row:
    ref = _d(obj.get("roleRef"))
    users, groups, sas = [], [], []
    for s in _l(obj.get("subjects")):
        s = _d(s)
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
    cells: Cells = [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _age(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]
    return cells, []


def _binding_columns(kind: str, role_ref_desc: str) -> list[dict[str, Any]]:
    """A RoleBinding's or ClusterRoleBinding's columns; `kind` as the descriptions spell it."""
    return [
        NAME_COLUMN,
        column("Role", desc=role_ref_desc),
        AGE_COLUMN,
        column("Users", priority=1, desc=f"Users in the {kind}"),
        column("Groups", priority=1, desc=f"Groups in the {kind}"),
        column("ServiceAccounts", priority=1, desc=f"ServiceAccounts in the {kind}"),
    ]


# kube-apiserver's printers of built-in kinds; strategies/ hands each kind its own.
POD_PRINTER = Printer(_POD_COLUMNS, _pod_row)
SERVICE_PRINTER = Printer(_SERVICE_COLUMNS, _service_row)
# DATA is a string column, as kube's, though the cell is the number of entries
CONFIG_MAP_PRINTER = Printer(
    [NAME_COLUMN, column("Data", desc=docs.CONFIG_MAP_DATA), AGE_COLUMN],
    _configmap_row,
)
SECRET_PRINTER = Printer(
    [NAME_COLUMN, column("Type", desc=docs.SECRET_TYPE), column("Data", desc=docs.SECRET_DATA), AGE_COLUMN],
    _secret_row,
)
NAMESPACE_PRINTER = Printer(
    [NAME_COLUMN, column("Status", desc="The status of the namespace"), AGE_COLUMN],
    _namespace_row,
)
SERVICE_ACCOUNT_PRINTER = Printer([NAME_COLUMN, AGE_COLUMN], _service_account_row)
NODE_PRINTER = Printer(_NODE_COLUMNS, _node_row)
EVENT_PRINTER = Printer(_EVENT_COLUMNS, _event_row)
DEPLOYMENT_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Ready", desc="Number of the pod with ready state"),
        # string columns, as kube's, though the cells are numbers
        column("Up-to-date", desc=docs.DEPLOYMENT_STATUS_UPDATED_REPLICAS),
        column("Available", desc=docs.DEPLOYMENT_STATUS_AVAILABLE_REPLICAS),
        AGE_COLUMN,
        *_workload_tail(docs.DEPLOYMENT_SPEC_SELECTOR),
    ],
    _deployment_row,
)
REPLICA_SET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Desired", "integer", desc=docs.REPLICA_SET_SPEC_REPLICAS),
        column("Current", "integer", desc=docs.REPLICA_SET_STATUS_REPLICAS),
        column("Ready", "integer", desc=docs.REPLICA_SET_STATUS_READY_REPLICAS),
        AGE_COLUMN,
        *_workload_tail(docs.REPLICA_SET_SPEC_SELECTOR),
    ],
    _replicaset_row,
)
# A ReplicationController's columns: a ReplicaSet's, documented by the ReplicationController's fields.
REPLICATION_CONTROLLER_COLUMNS = [
    NAME_COLUMN,
    column("Desired", "integer", desc=docs.REPLICATION_CONTROLLER_SPEC_REPLICAS),
    column("Current", "integer", desc=docs.REPLICATION_CONTROLLER_STATUS_REPLICAS),
    column("Ready", "integer", desc=docs.REPLICATION_CONTROLLER_STATUS_READY_REPLICAS),
    AGE_COLUMN,
    *_workload_tail(docs.REPLICATION_CONTROLLER_SPEC_SELECTOR),
]
STATEFUL_SET_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Ready", desc="Number of the pod with ready state"),
        AGE_COLUMN,
        *_CONTAINERS_COLUMNS,
    ],
    _statefulset_row,
)
JOB_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Status", desc="Status of the job."),
        column("Completions", desc=docs.JOB_STATUS_SUCCEEDED),
        column("Duration", desc="Time required to complete the job."),
        AGE_COLUMN,
        *_workload_tail(docs.JOB_SPEC_SELECTOR),
    ],
    _job_row,
)
ENDPOINTS_PRINTER = Printer(
    [NAME_COLUMN, column("Endpoints", desc=docs.ENDPOINTS_SUBSETS), AGE_COLUMN],
    _endpoints_row,
)
LEASE_PRINTER = Printer(
    [NAME_COLUMN, column("Holder", desc=docs.LEASE_SPEC_HOLDER_IDENTITY), AGE_COLUMN], _lease_row
)
# Roles and ClusterRoles have no printer in kube: the default table convertor's columns and cells.
ROLE_PRINTER = Printer(DEFAULT_COLUMNS, _role_row)
# The two kinds of binding print alike but for their columns' descriptions.
BINDING_PRINTER = Printer(_binding_columns("roleBinding", docs.ROLE_BINDING_ROLE_REF), _binding_row)
CLUSTER_ROLE_BINDING_PRINTER = Printer(
    _binding_columns("clusterRoleBinding", docs.CLUSTER_ROLE_BINDING_ROLE_REF), _binding_row
)


# --- HorizontalPodAutoscaler (autoscaling/v2 objects) and ComponentStatus -------------------------


def _hpa_metric(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> str:
    """One metric as `kubectl get hpa` shows it: current/target, "<unknown>" before a reading."""
    kind = spec.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(kind))
    if key is not None:
        src, cur = _d(spec.get(key)), _d(_d(_d(status).get(key)).get("current"))
        target = _d(src.get("target"))
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
    target, cur = _d(_d(spec.get(key)).get("target")), _d(_d(_d(status).get(key)).get("current"))
    if target.get("averageValue") is not None:
        suffix = "" if kind == "Pods" else " (avg)"
        return f"{cur.get('averageValue', '<unknown>')}/{target['averageValue']}{suffix}"
    return f"{cur.get('value', '<unknown>')}/{target.get('value', '<unknown>')}"


def _hpa_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    ref = _d(spec.get("scaleTargetRef"))
    metrics = [_d(m) for m in _l(spec.get("metrics"))]
    current = [_d(m) for m in _l(status.get("currentMetrics"))]
    shown = [_hpa_metric(m, current[i] if i < len(current) else None) for i, m in enumerate(metrics)]
    targets = ", ".join(shown[:2]) if shown else "<none>"
    if len(shown) > 2:
        targets += f" + {len(shown) - 2} more..."
    low = spec.get("minReplicas")
    cells = [
        _name(obj),
        f"{ref.get('kind')}/{ref.get('name')}",
        targets,
        str(low) if low is not None else "<unset>",
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        _age(obj, now),
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


def _component_row(obj: dict[str, Any], now: datetime) -> Row:
    healthy = [_d(c) for c in _l(obj.get("conditions")) if _d(c).get("type") == "Healthy"]
    if not healthy:
        return [_name(obj), "Unknown", "", ""], []
    first = healthy[0]
    status = "Healthy" if first.get("status") == "True" else "Unhealthy"
    return [_name(obj), status, first.get("message", ""), first.get("error", "")], []


COMPONENT_STATUS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Status", desc="Status of the component conditions"),
        column("Message", desc="Message of the component conditions"),
        column("Error", desc="Error of the component conditions"),
    ],
    _component_row,
)
