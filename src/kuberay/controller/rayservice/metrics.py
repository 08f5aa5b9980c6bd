"""KubeRay's RayService metrics, read from the watch cache (no LIST): kuberay_service_info,
kuberay_service_condition_ready and kuberay_service_condition_upgrade_in_progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kuberay.api.rayservice_types import READY, UPGRADE_IN_PROGRESS
from kuberay.build.rayservice.plan import condition_true


class RayServiceInfoCollector(Collector):
    def __init__(self, services: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self._services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "kuberay_service_info",
            "Metadata information about RayService custom resources",
            labels=["name", "namespace", "uid"],
        )
        ready = GaugeMetricFamily(
            "kuberay_service_condition_ready",
            "Describes whether the RayService is ready. Ready means users can send requests to the "
            "underlying cluster and the number of serve endpoints is greater than 0.",
            labels=["name", "namespace", "uid", "condition"],
        )
        upgrading = GaugeMetricFamily(
            "kuberay_service_condition_upgrade_in_progress",
            "Describes whether the RayService is performing a zero-downtime upgrade.",
            labels=["name", "namespace", "uid", "condition"],
        )
        for service in self._services():
            meta = service.get("metadata") or {}
            labels = [meta.get("name", ""), meta.get("namespace", ""), meta.get("uid", "")]
            status = service.get("status") or {}
            info.add_metric(labels, 1)
            ready.add_metric([*labels, str(condition_true(status, READY)).lower()], 1)
            upgrading.add_metric([*labels, str(condition_true(status, UPGRADE_IN_PROGRESS)).lower()], 1)
        yield info
        yield ready
        yield upgrading
