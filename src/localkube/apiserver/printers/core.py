"""Printers of the core/v1 kinds: Pod, Service, ConfigMap, Secret, Namespace, ServiceAccount, Node,
Event, Endpoints, ComponentStatus (PersistentVolume(Claim) and ResourceQuota are in volumes.py,
PodTemplate and ReplicationController's columns in apps.py).
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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
    format_labels,
    human_duration,
    meta_of,
    name_of,
    since,
)

# --- Pod -----------------------------------------------------------------------------------------


def _pod_row(pod: dict[str, Any], now: datetime) -> Row:
    spec = as_map(pod.get("spec"))
    status = as_map(pod.get("status"))
    meta = meta_of(pod)
    containers = as_list(spec.get("containers"))
    init_specs = {c.get("name"): c for c in as_list(spec.get("initContainers")) if isinstance(c, Mapping)}
    total = len(containers) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = status.get("phase", "") or ""
    reason = status.get("reason") or phase
    for cond in as_list(status.get("conditions")):
        if as_map(cond).get("type") == "PodScheduled" and as_map(cond).get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions: list[dict[str, str]] = []
    if phase == "Succeeded":
        conditions = [_completed("Succeeded", "The pod has completed successfully.")]
    elif phase == "Failed":
        conditions = [_completed("Failed", "The pod failed.")]

    initializing = False
    init_statuses = as_list(status.get("initContainerStatuses"))
    for i, cs in enumerate(init_statuses):
        cs = as_map(cs)
        restarts += int(cs.get("restartCount", 0) or 0)
        finished = _last_terminated(cs)
        last_restart = _later(last_restart, finished)
        sidecar = _restartable(init_specs.get(cs.get("name"), {}))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount", 0) or 0)
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        state = as_map(cs.get("state"))
        terminated = as_map(state.get("terminated")) if "terminated" in state else None
        waiting = as_map(state.get("waiting")) if "waiting" in state else None
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
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_map(cs)
            restarts += int(cs.get("restartCount", 0) or 0)
            last_restart = _later(last_restart, _last_terminated(cs))
            state = as_map(cs.get("state"))
            waiting = as_map(state.get("waiting"))
            terminated = as_map(state.get("terminated"))
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

    ips = as_list(status.get("podIPs"))
    ip = as_map(ips[0]).get("ip", "") if ips else status.get("podIP", "")
    gates = as_list(spec.get("readinessGates"))
    gates_text = "<none>"
    if gates:
        true = 0
        for gate in gates:
            for cond in as_list(status.get("conditions")):
                if as_map(cond).get("type") == as_map(gate).get("conditionType"):
                    true += as_map(cond).get("status") == "True"
                    break
        gates_text = f"{true}/{len(gates)}"
    cells: Cells = [
        name_of(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        age_of(pod, now),
        ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]
    return cells, conditions


def _completed(reason: str, message: str) -> dict[str, str]:
    return {"type": "Completed", "status": "True", "reason": reason, "message": message}


def _restartable(container: Any) -> bool:
    return as_map(container).get("restartPolicy") == "Always"


def _last_terminated(cs: Mapping[str, Any]) -> datetime | None:
    return parse_time(as_map(as_map(cs.get("lastState")).get("terminated")).get("finishedAt"))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _condition_true(status: Mapping[str, Any], type_: str) -> bool:
    return any(
        as_map(c).get("type") == type_ and as_map(c).get("status") == "True"
        for c in as_list(status.get("conditions"))
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
POD_PRINTER = Printer(_POD_COLUMNS, _pod_row)


# --- Service -------------------------------------------------------------------------------------


def _service_row(svc: dict[str, Any], now: datetime) -> Row:
    spec = as_map(svc.get("spec"))
    stype = spec.get("type") or "ClusterIP"
    ips = as_list(spec.get("clusterIPs"))
    cluster_ip = ips[0] if ips else spec.get("clusterIP") or "<none>"
    external = as_list(spec.get("externalIPs"))
    if stype in ("ClusterIP", "NodePort"):
        external_text = ",".join(external) if external else "<none>"
    elif stype == "LoadBalancer":
        ingress = as_list(as_map(as_map(svc.get("status")).get("loadBalancer")).get("ingress"))
        lb = {as_map(i).get("ip") or as_map(i).get("hostname") for i in ingress}
        lb_ips = sorted(x for x in lb if x) + external
        external_text = ",".join(lb_ips) if lb_ips else "<pending>"
    elif stype == "ExternalName":
        external_text = spec.get("externalName", "")
    else:
        external_text = "<unknown>"
    pieces = []
    for port in as_list(spec.get("ports")):
        port = as_map(port)
        proto = port.get("protocol", "TCP")
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            pieces.append(f"{port.get('port')}/{proto}")
    ports = ",".join(pieces) or "<none>"
    cells: Cells = [
        name_of(svc),
        stype,
        cluster_ip,
        external_text,
        ports,
        age_of(svc, now),
        format_labels(spec.get("selector")),
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
SERVICE_PRINTER = Printer(_SERVICE_COLUMNS, _service_row)


# --- ConfigMap, Secret, Namespace, ServiceAccount ------------------------------------------------


def _configmap_row(obj: dict[str, Any], now: datetime) -> Row:
    count = len(as_map(obj.get("data"))) + len(as_map(obj.get("binaryData")))
    return [name_of(obj), count, age_of(obj, now)], []


# DATA is a string column, as kube's, though the cell is the number of entries
CONFIG_MAP_PRINTER = Printer(
    [NAME_COLUMN, column("Data", desc=docs.CONFIG_MAP_DATA), AGE_COLUMN],
    _configmap_row,
)


def _secret_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), obj.get("type") or "Opaque", len(as_map(obj.get("data"))), age_of(obj, now)], []


SECRET_PRINTER = Printer(
    [NAME_COLUMN, column("Type", desc=docs.SECRET_TYPE), column("Data", desc=docs.SECRET_DATA), AGE_COLUMN],
    _secret_row,
)


def _namespace_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), as_map(obj.get("status")).get("phase", "Active"), age_of(obj, now)], []


NAMESPACE_PRINTER = Printer(
    [NAME_COLUMN, column("Status", desc="The status of the namespace"), AGE_COLUMN],
    _namespace_row,
)


def _service_account_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), age_of(obj, now)], []


SERVICE_ACCOUNT_PRINTER = Printer([NAME_COLUMN, AGE_COLUMN], _service_account_row)


# --- Node, Event, Endpoints, ComponentStatus -----------------------------------------------------


def _node_row(node: dict[str, Any], now: datetime) -> Row:
    status = as_map(node.get("status"))
    states = []
    for cond in as_list(status.get("conditions")):
        if as_map(cond).get("type") == "Ready":
            states.append("Ready" if as_map(cond).get("status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if as_map(node.get("spec")).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in as_map(meta_of(node).get("labels")).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = as_map(status.get("nodeInfo"))
    kernel = info.get("kernelVersion") or "<unknown>"
    if info.get("architecture"):
        kernel += f" ({info['architecture']})"

    def address(kind: str) -> str:
        for addr in as_list(status.get("addresses")):
            if as_map(addr).get("type") == kind:
                return str(as_map(addr).get("address", ""))
        return "<none>"

    cells: Cells = [
        name_of(node),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        age_of(node, now),
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
NODE_PRINTER = Printer(_NODE_COLUMNS, _node_row)


def _event_row(ev: dict[str, Any], now: datetime) -> Row:
    first = (
        since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else since(ev.get("eventTime"), now)
    )
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = as_map(ev.get("series"))
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count", count)
    elif not count:
        count = 1
    involved = as_map(ev.get("involvedObject") or ev.get("regarding"))
    target = str(involved.get("kind", "")).lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    source = as_map(ev.get("source"))
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
        name_of(ev),
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
    column("Name", priority=1, fmt="name", desc=docs.OBJECT_META_NAME),
]
EVENT_PRINTER = Printer(_EVENT_COLUMNS, _event_row)


def _endpoints_row(obj: dict[str, Any], now: datetime) -> Row:
    """formatEndpoints: each subset's addresses port by port (`ip:port`, `[ipv6]:port`), the first 3."""
    subsets = as_list(obj.get("subsets"))
    pairs = []
    for subset in subsets:
        subset = as_map(subset)
        ips = [str(as_map(addr).get("ip", "")) for addr in as_list(subset.get("addresses"))]
        ports = [int(as_map(p).get("port", 0) or 0) for p in as_list(subset.get("ports"))]
        if not ports:
            pairs.extend(ips)
        for port in ports:
            pairs.extend(f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip in ips)
    text = ",".join(pairs[:3]) if subsets else "<none>"
    if len(pairs) > 3:
        text += f" + {len(pairs) - 3} more..."
    return [name_of(obj), text, age_of(obj, now)], []


ENDPOINTS_PRINTER = Printer(
    [NAME_COLUMN, column("Endpoints", desc=docs.ENDPOINTS_SUBSETS), AGE_COLUMN],
    _endpoints_row,
)


def _component_row(obj: dict[str, Any], now: datetime) -> Row:
    healthy = [as_map(c) for c in as_list(obj.get("conditions")) if as_map(c).get("type") == "Healthy"]
    if not healthy:
        return [name_of(obj), "Unknown", "", ""], []
    first = healthy[0]
    status = "Healthy" if first.get("status") == "True" else "Unhealthy"
    return [name_of(obj), status, first.get("message", ""), first.get("error", "")], []


COMPONENT_STATUS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Status", desc="Status of the component conditions"),
        column("Message", desc="Message of the component conditions"),
        column("Error", desc="Error of the component conditions"),
    ],
    _component_row,
)
