"""Every resource kube-apiserver v1.37 lists in discovery is served (issue 17 item 2), used the way
a user's client uses it: the official Python client (its dynamic client walks discovery) and
kubectl. Runs against kube-apiserver too (`--control-plane kubernetes`)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest
from kubernetes import watch
from kubernetes.client import ApiException, AutoscalingV1Api, AutoscalingV2Api, CoreV1Api
from kubernetes.dynamic import DynamicClient

from support.waiting import wait_for

NS = "default"
# (apiVersion, plural) of each resource issue 17 item 2 found missing
RESOURCES = [
    ("v1", "bindings"),
    ("v1", "componentstatuses"),
    ("autoscaling/v1", "horizontalpodautoscalers"),
    ("autoscaling/v2", "horizontalpodautoscalers"),
    ("admissionregistration.k8s.io/v1", "mutatingadmissionpolicies"),
    ("admissionregistration.k8s.io/v1", "mutatingadmissionpolicybindings"),
    ("certificates.k8s.io/v1", "clustertrustbundles"),
    ("certificates.k8s.io/v1", "podcertificaterequests"),
    ("resource.k8s.io/v1", "devicetaintrules"),
    ("storagemigration.k8s.io/v1", "storageversionmigrations"),
]
SUBRESOURCES = [
    ("v1", "pods", "ephemeralcontainers"),
    ("v1", "pods", "resize"),
    ("v1", "pods", "proxy"),
    ("v1", "services", "proxy"),
    ("v1", "nodes", "proxy"),
    ("storage.k8s.io/v1", "csinodes", "status"),
    ("certificates.k8s.io/v1", "podcertificaterequests", "status"),
    ("resource.k8s.io/v1", "devicetaintrules", "status"),
]


def _pod(name: str, resources: dict[str, Any] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "busybox:1", "command": ["sleep", "3600"]}
    if resources is not None:
        container["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container]},
    }


def _hpa(api_version: str, name: str, **spec: Any) -> dict[str, Any]:
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    return {
        "apiVersion": api_version,
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {"scaleTargetRef": target, **spec},
    }


@pytest.fixture
def core(k8s: kubernetes.client.ApiClient) -> CoreV1Api:
    return CoreV1Api(k8s)


def _create_pod(core: CoreV1Api, body: dict[str, Any]) -> None:
    # a fresh real control plane admits pods once the namespace's default service account exists
    wait_for("the default service account", lambda: core.list_namespaced_service_account(NS).items)
    core.create_namespaced_pod(NS, body)


def test_a_client_walking_discovery_finds_each_resource(k8s: kubernetes.client.ApiClient) -> None:
    dynamic = DynamicClient(k8s)
    for api_version, plural in RESOURCES:
        found = dynamic.resources.get(api_version=api_version, name=plural)
        assert found.name == plural, (api_version, plural)
    for api_version, plural, sub in SUBRESOURCES:
        resource = dynamic.resources.get(api_version=api_version, name=plural)
        assert sub in resource.subresources, (api_version, plural, sub)
    hpa = dynamic.resources.get(api_version="autoscaling/v1", name="horizontalpodautoscalers")
    assert hpa.short_names == ["hpa"] and hpa.categories == ["all"]
    assert dynamic.resources.get(api_version="v1", name="componentstatuses").verbs == ["get", "list"]


def test_an_hpa_written_in_v1_is_listed_watched_and_read_in_v2(k8s: kubernetes.client.ApiClient) -> None:
    v1, v2 = AutoscalingV1Api(k8s), AutoscalingV2Api(k8s)
    start = v1.list_namespaced_horizontal_pod_autoscaler(NS).metadata.resource_version
    body = _hpa("autoscaling/v1", "web", maxReplicas=5, targetCPUUtilizationPercentage=60)
    created = v1.create_namespaced_horizontal_pod_autoscaler(NS, body)
    assert created.spec.min_replicas == 1 and created.spec.target_cpu_utilization_percentage == 60
    assert [h.metadata.name for h in v1.list_namespaced_horizontal_pod_autoscaler(NS).items] == ["web"]
    stream = watch.Watch().stream(
        v1.list_namespaced_horizontal_pod_autoscaler, NS, resource_version=start, timeout_seconds=10
    )
    first = next(iter(stream))
    assert first["type"] == "ADDED" and first["object"].spec.target_cpu_utilization_percentage == 60

    as_v2 = v2.read_namespaced_horizontal_pod_autoscaler("web", NS)
    (cpu,) = as_v2.spec.metrics
    assert cpu.resource.name == "cpu" and cpu.resource.target.average_utilization == 60

    # a v2 client adds a memory metric: v1 keeps showing the CPU target, and the rest in its annotation
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
    }
    cpu_75 = {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}},
    }
    v2.patch_namespaced_horizontal_pod_autoscaler("web", NS, {"spec": {"metrics": [memory, cpu_75]}})
    seen = v1.read_namespaced_horizontal_pod_autoscaler("web", NS)
    assert seen.spec.target_cpu_utilization_percentage == 75
    others = json.loads(seen.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"])
    assert others == [{"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]

    # and a v1 client's read-modify-write keeps the memory metric (read again on a conflict: on a
    # real cluster the HPA controller writes the status meanwhile)
    def raise_max() -> bool:
        seen = v1.read_namespaced_horizontal_pod_autoscaler("web", NS)
        seen.spec.max_replicas = 8
        try:
            v1.replace_namespaced_horizontal_pod_autoscaler("web", NS, seen)
        except ApiException as e:
            if e.status == 409:
                return False
            raise
        return True

    wait_for("the v1 replace to go through", raise_max)
    after = v2.read_namespaced_horizontal_pod_autoscaler("web", NS)
    assert after.spec.max_replicas == 8
    assert [m.resource.name for m in after.spec.metrics] == ["memory", "cpu"]


def test_kubectl_is_told_what_an_hpa_is_missing(kubectl: Any) -> None:
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "x"},
        "spec": {},
    }
    refused = kubectl("create", "-n", NS, "-f", "-", input=json.dumps(body))
    assert refused.returncode != 0
    for field in ("spec.scaleTargetRef.kind: Required value", "spec.maxReplicas: Required value"):
        assert field in refused.stderr


def test_kubectl_is_told_when_a_metric_names_nothing(kubectl: Any) -> None:
    metric = {
        "type": "Pods",
        "pods": {"metric": {}, "target": {"type": "AverageValue", "averageValue": "10"}},
    }
    body = _hpa("autoscaling/v2", "nameless", maxReplicas=3, metrics=[metric])
    refused = kubectl("create", "-n", NS, "-f", "-", input=json.dumps(body))
    assert refused.returncode != 0
    assert "spec.metrics[0].pods.metric.name: Required value" in refused.stderr


def test_a_pod_is_bound_through_the_namespaces_bindings(core: CoreV1Api) -> None:
    _create_pod(core, _pod("bound"))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "bound"},
        "target": {"kind": "Node", "name": "n1"},
    }
    # kube-apiserver answers with a Status, which this client cannot read as a Binding
    response = core.create_namespaced_binding_with_http_info(NS, binding, _preload_content=False)
    assert response.status == 201
    assert core.read_namespaced_pod("bound", NS).spec.node_name == "n1"
    with pytest.raises(ApiException) as again:
        core.create_namespaced_binding_with_http_info(
            NS, {**binding, "target": {"name": "n2"}}, _preload_content=False
        )
    assert again.value.status == 409


def test_kubectl_resizes_a_pods_cpu_and_refuses_what_resize_cannot_change(
    core: CoreV1Api, kubectl: Any
) -> None:
    requests, limits = {"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"}
    _create_pod(core, _pod("sized", {"requests": requests, "limits": limits}))
    wanted = {"requests": {"cpu": "150m"}, "limits": {"cpu": "300m"}}
    cpu = json.dumps({"spec": {"containers": [{"name": "app", "resources": wanted}]}})
    done = kubectl("patch", "pod", "sized", "-n", NS, "--subresource", "resize", "-p", cpu)
    assert done.returncode == 0, done.stderr
    resources = core.read_namespaced_pod("sized", NS).spec.containers[0].resources
    assert resources.requests == {"cpu": "150m", "memory": "64Mi"}
    assert resources.limits == {"cpu": "300m", "memory": "128Mi"}
    storage = '{"spec":{"containers":[{"name":"app","resources":{"limits":{"ephemeral-storage":"1Gi"}}}]}}'
    refused = kubectl("patch", "pod", "sized", "-n", NS, "--subresource", "resize", "-p", storage)
    assert refused.returncode != 0 and "only cpu and memory resources are mutable" in refused.stderr


def test_a_debug_container_is_added_through_ephemeralcontainers(core: CoreV1Api) -> None:
    _create_pod(core, _pod("debugged"))
    debug = {
        "name": "debug",
        "image": "busybox:1",
        "command": ["sh"],
        "stdin": True,
        "targetContainerName": "app",
    }
    core.patch_namespaced_pod_ephemeralcontainers("debugged", NS, {"spec": {"ephemeralContainers": [debug]}})
    (added,) = core.read_namespaced_pod("debugged", NS).spec.ephemeral_containers
    assert added.name == "debug" and added.target_container_name == "app"
    with pytest.raises(ApiException) as removed:
        core.replace_namespaced_pod_ephemeralcontainers(
            "debugged",
            NS,
            {
                **core.read_namespaced_pod("debugged", NS).to_dict(),
                "spec": {"containers": [], "ephemeralContainers": []},
            },
        )
    assert removed.value.status == 422 and "may not be removed" in removed.value.body


def test_kubectl_gets_componentstatuses_with_the_deprecation_warning(kubectl: Any) -> None:
    done = kubectl("get", "componentstatuses")
    assert done.returncode == 0, done.stderr
    assert "v1 ComponentStatus is deprecated in v1.19+" in done.stderr
    etcd = next(line.split() for line in done.stdout.splitlines() if line.startswith("etcd-0"))
    assert etcd[1] == "Healthy"


def test_proxies_without_a_target_answer_a_clear_status(core: CoreV1Api) -> None:
    core.create_namespaced_service(
        NS,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "lonely"},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "none"}},
        },
    )
    with pytest.raises(ApiException) as no_endpoints:
        core.connect_get_namespaced_service_proxy_with_path("lonely", NS, "healthz")
    assert no_endpoints.value.status == 503
    assert 'no endpoints available for service \\"lonely\\"' in no_endpoints.value.body
    with pytest.raises(ApiException) as no_pod:
        core.connect_get_namespaced_pod_proxy_with_path("nobody", NS, "x")
    assert no_pod.value.status == 404
    _create_pod(core, _pod("unplaced"))
    with pytest.raises(ApiException) as no_ip:
        core.connect_get_namespaced_pod_proxy_with_path("unplaced", NS, "x")
    assert no_ip.value.status == 400


def _outward_ip() -> str:
    """This machine's address towards other hosts (never loopback: proxies refuse loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 1))  # no packet is sent: this only picks the route
        return str(s.getsockname()[0])


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[tuple[str, int]]:
    ip = _outward_ip()
    server = http.server.ThreadingHTTPServer((ip, 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ip, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_pods_proxy_relays_to_the_pods_port(core: CoreV1Api, web_server: tuple[str, int]) -> None:
    ip, port = web_server
    _create_pod(core, _pod("serving"))
    # the kubelet's part: the pod runs at this address
    core.patch_namespaced_pod_status("serving", NS, {"status": {"podIP": ip, "podIPs": [{"ip": ip}]}})
    answer = core.connect_get_namespaced_pod_proxy_with_path(f"serving:{port}", NS, "some/page")
    assert answer == "hello from /some/page"


def test_a_device_taint_rules_new_effect_is_timed_anew(k8s: kubernetes.client.ApiClient) -> None:
    """timeAdded says since when the taint's effect holds: a new effect without a new timeAdded
    gets the time of the change; one the writer sets is kept."""
    api = kubernetes.client.CustomObjectsApi(k8s)
    args = ("resource.k8s.io", "v1", "devicetaintrules")
    then = "2020-01-01T00:00:00Z"
    taint = {"key": "example.com/broken", "effect": "NoSchedule", "timeAdded": then}
    api.create_cluster_custom_object(
        *args,
        {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceTaintRule", "metadata": {"name": "timed"},
         "spec": {"taint": taint}},
    )  # fmt: skip
    value = api.patch_cluster_custom_object(*args, "timed", {"spec": {"taint": {"value": "v"}}})
    assert value["spec"]["taint"]["timeAdded"] == then  # not the effect: the time stays
    effect = api.patch_cluster_custom_object(*args, "timed", {"spec": {"taint": {"effect": "NoExecute"}}})
    assert effect["spec"]["taint"]["timeAdded"] > then
    told = {"effect": "None", "timeAdded": "2021-01-01T00:00:00Z"}
    both = api.patch_cluster_custom_object(*args, "timed", {"spec": {"taint": told}})
    assert both["spec"]["taint"]["timeAdded"] == "2021-01-01T00:00:00Z"
    api.delete_cluster_custom_object(*args, "timed")
