"""Where the operator reaches a head's dashboard: the in-cluster name from a pod, the ClusterIP or
the head pod's IP from the host."""

from __future__ import annotations

from typing import Any

from kuberay.controller.rayjob.resolver import dashboard_base

URL = "c-head-svc.default.svc.cluster.local:8265"


def service(cluster_ip: str, target: Any = None) -> dict[str, Any]:
    port: dict[str, Any] = {"name": "dashboard", "port": 8265}
    if target is not None:
        port["targetPort"] = target
    return {"spec": {"clusterIP": cluster_ip, "ports": [port]}}


HEAD = {"status": {"podIP": "10.244.0.7"}}


def test_in_a_pod_the_cluster_dns_name_kuberay_writes() -> None:
    assert dashboard_base(URL, None, None, inside=True) == "http://" + URL


def test_on_the_host_a_cluster_ip_service_goes_through_the_service_proxy() -> None:
    assert dashboard_base(URL, service("10.96.0.12"), HEAD, inside=False) == "http://10.96.0.12:8265"


def test_on_the_host_kuberays_headless_service_means_the_head_pod_ip() -> None:
    assert dashboard_base(URL, service("None"), HEAD, inside=False) == "http://10.244.0.7:8265"
    assert dashboard_base(URL, service("None", 18265), HEAD, inside=False) == "http://10.244.0.7:18265"


def test_nothing_to_reach_yet() -> None:
    assert dashboard_base("", service("None"), HEAD, inside=False) is None
    assert dashboard_base(URL, service("None"), None, inside=False) is None
    assert dashboard_base(URL, {"spec": {"clusterIP": "None", "ports": []}}, HEAD, inside=False) is None
