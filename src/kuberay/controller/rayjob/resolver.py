"""Where the operator itself reaches a head's dashboard.

`status.dashboardURL` is what KubeRay writes and what the submitter pod uses:
`<head svc>.<ns>.svc.cluster.local:8265`, a name only in-cluster DNS answers (in localkube, each
pod's /etc/hosts). The operator runs either in a pod (that name works) or as a host process, where
no cluster DNS exists. From the host, localkube's service proxy listens on every ClusterIP (a /32 on
the host), and pod IPs are routed over the lkbr0 bridge. So on the host: the head Service's
ClusterIP when it has one, else (KubeRay's head Service is headless by default) the head pod's IP.
"""

from __future__ import annotations

import os
from typing import Any

IN_CLUSTER_ENV = "KUBERNETES_SERVICE_HOST"  # set by the kubelet in every pod


def in_cluster() -> bool:
    return bool(os.environ.get(IN_CLUSTER_ENV))


def dashboard_base(
    dashboard_url: str,
    head_service: dict[str, Any] | None,
    head_pod: dict[str, Any] | None,
    *,
    inside: bool,
) -> str | None:
    """`http://host:port` for the dashboard, or None when it cannot be reached yet (pure)."""
    if not dashboard_url:
        return None
    if inside:
        return dashboard_url if dashboard_url.startswith("http") else "http://" + dashboard_url
    spec = (head_service or {}).get("spec") or {}
    port = next((p for p in spec.get("ports") or [] if p.get("name") == "dashboard"), None)
    if port is None:
        return None
    cluster_ip = spec.get("clusterIP")
    if cluster_ip and cluster_ip != "None":
        return f"http://{cluster_ip}:{port['port']}"
    pod_ip = ((head_pod or {}).get("status") or {}).get("podIP")
    if not pod_ip:
        return None
    target = port.get("targetPort")
    return f"http://{pod_ip}:{target if isinstance(target, int) else port['port']}"
