"""The RayService controller against localkube's API server (no kubelet): the test plays the
kubelet (pod status) and, for each cluster's head, Ray: a small real HTTP server on a loopback
address of its own answers Serve's REST API (`GET`/`PUT /api/serve/applications/` on 8265) and the
proxy's health (`/-/healthz` on 8000), so the operator's own requests are what is observed."""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from kuberay.api.crd import render_crd
from support.crds import sample_object
from support.kuberay import Kube
from support.operator import OperatorProcess
from support.paths import SHARED
from support.waiting import wait_for

NAME = "rayservice-sample"


class FakeRay:
    """Ray's dashboard Serve API and a Serve proxy on one loopback address (real sockets)."""

    def __init__(self, ip: str) -> None:
        self.ip = ip
        self.config: dict[str, Any] | None = None
        self.puts = 0
        self.app_status = "RUNNING"
        self.proxy_ok = True
        self._servers: list[ThreadingHTTPServer] = []

    def _answer(self) -> dict[str, Any]:
        apps = {}
        for app in (self.config or {}).get("applications") or []:
            apps[app["name"]] = {
                "name": app["name"],
                "status": self.app_status,
                "message": "",
                "deployed_app_config": {**app, "args": {}},
                "deployments": {
                    d["name"]: {"name": d["name"], "status": "HEALTHY", "message": ""}
                    for d in app.get("deployments") or []
                },
            }
        return {"applications": apps, "deploy_mode": "MULTI_APP"}

    def start(self) -> None:
        ray = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/serve/applications/":
                    self._send(200, json.dumps(ray._answer()))
                elif self.path == "/-/healthz":
                    self._send(200 if ray.proxy_ok else 503, "success" if ray.proxy_ok else "no")
                else:
                    self._send(404, "{}")

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                ray.config = json.loads(self.rfile.read(length))
                ray.puts += 1
                self._send(200, "{}")

        for port in (8265, 8000):
            server = ThreadingHTTPServer((self.ip, port), Handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def rays() -> Iterator[Callable[[], FakeRay]]:
    started: list[FakeRay] = []
    base = random.randint(2, 60) * 4

    def new() -> FakeRay:
        ray = FakeRay(f"127.0.{base // 256}.{base % 256 + len(started) + 1}")
        ray.start()
        started.append(ray)
        return ray

    try:
        yield new
    finally:
        for ray in started:
            ray.stop()


@pytest.fixture
def rayservice_operator(
    kubeconfig: Path,
    tmp_path: Path,
    install_crd: Callable[[dict[str, Any]], None],
    request: pytest.FixtureRequest,
) -> Iterator[OperatorProcess]:
    """Our RayCluster CRD, then our RayService CRD (KubeRay's with the marker kuberay_crd)."""
    install_crd(render_crd())
    if request.node.get_closest_marker("kuberay_crd"):
        install_crd(yaml.safe_load((SHARED / "kuberay" / "crds" / "ray.io_rayservices.yaml").read_text()))
    else:
        install_crd(render_crd("rayservice"))
    with OperatorProcess(kubeconfig, tmp_path / "operator.log").running(log_tail=8000) as op:
        yield op


class Services:
    def __init__(self, client: kubernetes.client.ApiClient) -> None:
        self.custom = kubernetes.client.CustomObjectsApi(client)
        self.core = kubernetes.client.CoreV1Api(client)

    def create(self, obj: dict[str, Any]) -> None:
        self.custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayservices", obj)

    def get(self) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object("ray.io", "v1", "default", "rayservices", NAME)  # type: ignore[no-any-return]

    def patch(self, patch: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object("ray.io", "v1", "default", "rayservices", NAME, patch)

    def status(self) -> dict[str, Any]:
        return self.get().get("status") or {}

    def condition(self, type_: str) -> dict[str, Any]:
        return next((c for c in self.status().get("conditions") or [] if c["type"] == type_), {})

    def clusters(self) -> list[str]:
        items = self.custom.list_namespaced_custom_object("ray.io", "v1", "default", "rayclusters")["items"]
        return sorted(c["metadata"]["name"] for c in items if not c["metadata"].get("deletionTimestamp"))

    def selector(self, svc: str) -> dict[str, str]:
        return dict(self.core.read_namespaced_service(svc, "default").spec.selector)

    def events(self) -> list[tuple[str, str, str]]:
        return [
            (e.type, e.reason, e.message)
            for e in self.core.list_namespaced_event("default").items
            if e.involved_object.kind == "RayService" and e.involved_object.name == NAME
        ]


def _run_cluster(kube: Kube, cluster: str, ray: FakeRay) -> None:
    """Play the kubelet for a cluster's head and one worker, all at the fake Ray's address."""
    wait_for(f"{cluster}'s pods", lambda: len(kube.pods(cluster)) == 2)
    for pod in kube.pods(cluster):
        kube.run_pod(pod, ray.ip)


def _wait(what: str, check: Callable[[], Any], services: Services, timeout: float = 30) -> Any:
    try:
        return wait_for(what, check, timeout)
    except AssertionError:
        print(yaml.safe_dump(services.get()))
        raise


def _with_price(config: str, price: int) -> str:
    doc = yaml.safe_load(config)
    doc["applications"][0]["deployments"][0]["user_config"]["price"] = price
    return yaml.safe_dump(doc)


def test_rayservice_serves_updates_in_place_upgrades_and_refuses_bad_input(
    rayservice_operator: OperatorProcess,
    kube: Kube,
    k8s: kubernetes.client.ApiClient,
    rays: Callable[[], FakeRay],
) -> None:
    services = Services(k8s)
    manifest = copy.deepcopy(sample_object("ray-service.sample.yaml", "RayService"))
    manifest["spec"]["rayClusterDeletionDelaySeconds"] = 0
    services.create(manifest)

    # a first (pending) cluster, owned by the RayService
    first = _wait(
        "a pending cluster",
        lambda: services.status().get("pendingServiceStatus", {}).get("rayClusterName"),
        services,
    )
    assert first.startswith(NAME + "-")
    cluster = _wait(
        "the RayCluster", lambda: services.clusters() == [first] and kube.cluster(first), services
    )
    assert cluster["metadata"]["labels"]["ray.io/originated-from-crd"] == "RayService"
    assert cluster["metadata"]["ownerReferences"][0]["kind"] == "RayService"
    assert services.condition("Ready")["reason"] == "Initializing"

    ray_a = rays()
    _run_cluster(kube, first, ray_a)
    head = kube.pods(first, "head")[0]
    worker = kube.pods(first, "worker")[0]
    assert worker.metadata.labels["ray.io/serve"] == "true"
    probe = worker.spec.containers[0].readiness_probe
    assert "localhost:8000/-/healthz" in probe._exec.command[-1] and probe.failure_threshold == 1

    # serveConfigV2 PUT once; both Services point at it; the head joins the serve Service
    st = _wait(
        "the service to be ready",
        lambda: services.status().get("serviceStatus") == "Running" and services.status(),
        services,
    )
    assert ray_a.puts == 1
    assert ray_a.config is not None and [a["name"] for a in ray_a.config["applications"]] == [
        "fruit_app",
        "math_app",
    ]
    assert st["activeServiceStatus"]["rayClusterName"] == first
    assert "rayClusterName" not in st.get("pendingServiceStatus", {})
    apps = st["activeServiceStatus"]["applicationStatuses"]
    assert apps["fruit_app"]["status"] == "RUNNING"
    assert apps["fruit_app"]["serveDeploymentStatuses"]["MangoStand"]["status"] == "HEALTHY"
    assert services.selector(f"{NAME}-serve-svc") == {"ray.io/cluster": first, "ray.io/serve": "true"}
    assert services.selector(f"{NAME}-head-svc")["ray.io/cluster"] == first
    _wait(
        "the head's serve label",
        lambda: kube.pods(first, "head")[0].metadata.labels.get("ray.io/serve") == "true",
        services,
    )
    _wait("both serve endpoints", lambda: services.status().get("numServeEndpoints") == 2, services)
    assert services.condition("Ready") | {} and services.condition("Ready")["status"] == "True"
    assert services.condition("UpgradeInProgress")["reason"] == "NoPendingCluster"
    assert head.metadata.name == kube.pods(first, "head")[0].metadata.name

    # steady state: no PUT again, no status write
    rv = services.get()["metadata"]["resourceVersion"]
    time.sleep(5)
    assert ray_a.puts == 1 and services.get()["metadata"]["resourceVersion"] == rv

    # a change inside serveConfigV2: PUT in place, no new cluster
    config = manifest["spec"]["serveConfigV2"]
    services.patch({"spec": {"serveConfigV2": _with_price(config, 4)}})
    _wait("the in-place PUT", lambda: ray_a.puts == 2, services)
    assert ray_a.config["applications"][0]["deployments"][0]["user_config"]["price"] == 4
    assert services.clusters() == [first]
    assert services.condition("UpgradeInProgress")["status"] == "False"

    # a proxy that stops answering takes the head out of the serve Service
    ray_a.proxy_ok = False
    _wait(
        "the head's serve label off",
        lambda: kube.pods(first, "head")[0].metadata.labels.get("ray.io/serve") == "false",
        services,
    )
    _wait("one serve endpoint", lambda: services.status().get("numServeEndpoints") == 1, services)
    ray_a.proxy_ok = True

    # a rayClusterConfig change: a pending cluster, traffic stays until its apps are RUNNING
    env = [{"name": "UPGRADE", "value": "1"}]
    spec = services.get()["spec"]["rayClusterConfig"]
    spec["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["env"] = env
    services.patch({"spec": {"rayClusterConfig": spec}})
    second = _wait(
        "the pending cluster",
        lambda: services.status().get("pendingServiceStatus", {}).get("rayClusterName"),
        services,
    )
    assert second != first
    _wait(
        "UpgradeInProgress", lambda: services.condition("UpgradeInProgress").get("status") == "True", services
    )
    ray_b = rays()
    ray_b.app_status = "DEPLOYING"
    _wait("the second cluster", lambda: second in services.clusters(), services)
    _run_cluster(kube, second, ray_b)
    _wait("the PUT to the new cluster", lambda: ray_b.puts == 1, services)
    _wait(
        "pending app statuses",
        lambda: services.status()["pendingServiceStatus"].get("applicationStatuses"),
        services,
    )
    assert services.selector(f"{NAME}-serve-svc")["ray.io/cluster"] == first  # not ready: no switch
    ray_b.app_status = "RUNNING"
    _wait("the switch", lambda: services.selector(f"{NAME}-serve-svc")["ray.io/cluster"] == second, services)
    assert services.selector(f"{NAME}-head-svc")["ray.io/cluster"] == second
    _wait(
        "the promotion",
        lambda: services.status()["activeServiceStatus"].get("rayClusterName") == second,
        services,
    )
    _wait("the old cluster deleted (delay 0)", lambda: services.clusters() == [second], services)
    _wait(
        "UpgradeInProgress False",
        lambda: services.condition("UpgradeInProgress").get("status") == "False",
        services,
    )
    # the operator posts each event after the write it reports, so the last may trail the check above
    expected = {
        "CreatedRayCluster",
        "DeletedRayCluster",
        "CreatedService",
        "UpdatedService",
        "UpdatedServeApplications",
    }
    _wait("the upgrade's events", lambda: expected <= {r for _, r, _ in services.events()}, services)

    # bad input: a Warning event and a status naming the field; nothing else changes
    for bad, field in (
        ({"upgradeStrategy": {"type": "Sideways"}}, "spec.upgradeStrategy.type"),
        (
            {"upgradeStrategy": {"type": "None"}, "serveConfigV2": "applications: [unclosed"},
            "spec.serveConfigV2",
        ),
    ):
        services.patch({"spec": bad})
        _wait(
            f"{field} refused",
            lambda f=field: (
                services.condition("Ready").get("reason") == "ValidationFailed"  # type: ignore[misc]
                and f in services.condition("Ready")["message"]
            ),
            services,
        )
        assert any(
            t == "Warning" and r == "InvalidRayServiceSpec" and field in m for t, r, m in services.events()
        )
        services.patch({"spec": {"upgradeStrategy": {"type": "NewCluster"}, "serveConfigV2": config}})
    assert services.clusters() == [second]


@pytest.mark.kuberay_crd
def test_kuberays_rayservice_crd_works_too(
    rayservice_operator: OperatorProcess,
    kube: Kube,
    k8s: kubernetes.client.ApiClient,
    rays: Callable[[], FakeRay],
) -> None:
    services = Services(k8s)
    services.create(copy.deepcopy(sample_object("ray-service.sample.yaml", "RayService")))
    name = _wait(
        "a pending cluster",
        lambda: services.status().get("pendingServiceStatus", {}).get("rayClusterName"),
        services,
    )
    ray = rays()
    _wait("the RayCluster", lambda: name in services.clusters(), services)
    _run_cluster(kube, name, ray)
    _wait("the service to be ready", lambda: services.status().get("serviceStatus") == "Running", services)
    assert ray.puts == 1 and services.status()["activeServiceStatus"]["rayClusterName"] == name
