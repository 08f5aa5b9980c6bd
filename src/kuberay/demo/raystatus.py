"""Ray's own view of the cluster, as the dashboard serves it at `http://HEAD_IP:8265/api/cluster_status`
(what `ray status` prints, in the JSON the v1 autoscaler stores in the GCS each period).

The parse is pure so the live view and the picture agree on what "pending demand" means: resource
bundles that tasks, actors and placement groups are waiting for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class RayView:
    active: dict[str, int] = field(default_factory=dict)  # node type -> nodes, busy or idle
    pending_nodes: int = 0  # nodes the autoscaler has asked for and that have not joined
    demand: list[tuple[dict[str, float], int]] = field(default_factory=list)  # (bundle, count)
    pending_cpus: float = 0.0  # CPUs of every waiting bundle
    error: str = ""


def _pairs(raw: Any) -> list[tuple[dict[str, float], int]]:
    out = []
    for item in raw or []:
        if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], dict):
            out.append(({str(k): float(v) for k, v in item[0].items()}, int(item[1])))
    return out


def parse_cluster_status(body: dict[str, Any]) -> RayView:
    """The dashboard's answer (`{"data": {"clusterStatus": {...}, "autoscalingError": ...}}`)."""
    data = body.get("data") or {}
    status = data.get("clusterStatus") or {}
    error = str(data.get("autoscalingError") or "")
    report = status.get("autoscalerReport") or status.get("autoscaler_report") or {}
    load = status.get("loadMetricsReport") or status.get("load_metrics_report") or {}
    active: dict[str, int] = {}
    for key in ("activeNodes", "active_nodes", "idleNodes", "idle_nodes"):
        for node_type, count in (report.get(key) or {}).items():
            active[node_type] = active.get(node_type, 0) + int(count)
    pending_nodes = len(report.get("pendingNodes") or report.get("pending_nodes") or [])
    pending_nodes += sum(
        int(v) for v in (report.get("pendingLaunches") or report.get("pending_launches") or {}).values()
    )
    demand = _pairs(load.get("resourceDemand") or load.get("resource_demand"))
    demand += _pairs(load.get("pgDemand") or load.get("pg_demand"))
    cpus = sum(bundle.get("CPU", 0.0) * count for bundle, count in demand)
    return RayView(active, pending_nodes, demand, cpus, error)


def describe_demand(view: RayView) -> str:
    if not view.demand:
        return "(no resource demands)"
    return ", ".join(f"{_bundle(b)} x{n}" for b, n in view.demand)


def _bundle(bundle: dict[str, float]) -> str:
    return "{" + ", ".join(f"{k}: {v:g}" for k, v in sorted(bundle.items())) + "}"


async def fetch_ray_view(session: aiohttp.ClientSession, head_ip: str, port: int = 8265) -> RayView | None:
    """None while the dashboard is not answering yet (the head is still starting)."""
    url = f"http://{head_ip}:{port}/api/cluster_status"
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
            if resp.status != 200:
                return None
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    return parse_cluster_status(body) if isinstance(body, dict) else None
