"""KubeRay's RayJob metrics: kuberay_job_info, kuberay_job_deployment_status (both read from the
watch cache, no LIST) and kuberay_job_execution_duration_seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kuberay.metrics import REGISTRY

EXECUTION_DURATION = Gauge(
    "kuberay_job_execution_duration_seconds",
    "Duration from when the RayJob CR's JobDeploymentStatus transitions from Initializing to either the "
    "Retrying state or a terminal state, such as Complete or Failed.",
    ["name", "namespace", "uid", "job_deployment_status", "retry_count"],
    registry=REGISTRY,
)


class RayJobInfoCollector(Collector):
    def __init__(self, jobs: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self._jobs = jobs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "kuberay_job_info",
            "Metadata information about RayJob custom resources",
            labels=["name", "namespace", "uid"],
        )
        status = GaugeMetricFamily(
            "kuberay_job_deployment_status",
            "The RayJob's current deployment status",
            labels=["name", "namespace", "uid", "deployment_status"],
        )
        for job in self._jobs():
            meta = job.get("metadata") or {}
            labels = [meta.get("name", ""), meta.get("namespace", ""), meta.get("uid", "")]
            info.add_metric(labels, 1)
            status.add_metric([*labels, str((job.get("status") or {}).get("jobDeploymentStatus") or "")], 1)
        yield info
        yield status


def forget(name: str, namespace: str) -> None:
    for labels in list(EXECUTION_DURATION._metrics):  # prometheus_client has no partial-match removal
        if labels[0] == name and labels[1] == namespace:
            EXECUTION_DURATION.remove(*labels)
