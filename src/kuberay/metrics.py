"""Prometheus metrics, named as KubeRay names them so dashboards carry over."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

PROVISIONED_DURATION = Gauge(
    "kuberay_cluster_provisioned_duration_seconds",
    "The time, in seconds, when a RayCluster's `RayClusterProvisioned` status transitions from false "
    "(or unset) to true",
    ["name", "namespace", "uid"],
    registry=REGISTRY,
)
RECONCILE_TOTAL = Counter(
    "controller_runtime_reconcile_total",
    "Total number of reconciliations per controller",
    ["controller", "result"],
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "controller_runtime_reconcile_errors_total",
    "Total number of reconciliation errors per controller",
    ["controller"],
    registry=REGISTRY,
)
RECONCILE_TIME = Histogram(
    "controller_runtime_reconcile_time_seconds",
    "Length of time per reconciliation per controller",
    ["controller"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("workqueue_depth", "Current depth of workqueue", ["name"], registry=REGISTRY)
API_REQUESTS = Counter(
    "kuberay_operator_api_requests_total",
    "Write requests the operator sent to the Kubernetes API, by verb, resource and response code",
    ["verb", "resource", "code"],
    registry=REGISTRY,
)


class ClusterInfoCollector(Collector):
    """kuberay_cluster_info and kuberay_cluster_condition_provisioned, read from the cache (no LIST)."""

    def __init__(self, clusters: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self._clusters = clusters

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "kuberay_cluster_info",
            "Metadata information about RayCluster custom resources",
            labels=["name", "namespace", "uid", "owner_kind"],
        )
        provisioned = GaugeMetricFamily(
            "kuberay_cluster_condition_provisioned",
            "Indicates whether the RayCluster is provisioned",
            labels=["name", "namespace", "uid", "condition"],
        )
        for cluster in self._clusters():
            meta = cluster.get("metadata", {})
            labels = meta.get("labels") or {}
            name, ns, uid = meta.get("name", ""), meta.get("namespace", ""), meta.get("uid", "")
            info.add_metric([name, ns, uid, labels.get("ray.io/originated-from-crd", "None")], 1)
            conditions = (cluster.get("status") or {}).get("conditions") or []
            is_provisioned = any(
                c.get("type") == "RayClusterProvisioned" and c.get("status") == "True" for c in conditions
            )
            provisioned.add_metric([name, ns, uid, "true" if is_provisioned else "false"], 1)
        yield info
        yield provisioned
