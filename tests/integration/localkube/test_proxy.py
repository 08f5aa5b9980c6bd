"""Pod logs and exec are proxied to the kubelet named by the pod's Node; here a tiny stand-in
kubelet (an aiohttp server in this test, with the kubelet's TLS: client certificates of the cluster
CA required) answers, and kubectl/the official client do the asking."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest
from aiohttp import web
from kubernetes.client import CoreV1Api

from localkube.apiserver import certs
from localkube.apiserver.server import APIServer
from support.clients import RawClient


class StandInKubelet:
    """Answers /containerLogs and /exec the way a kubelet does, recording what it was asked."""

    def __init__(self, pki: Path) -> None:
        self.pki = pki
        self.requests: list[str] = []
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner | None = None

    async def logs(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        container = request.match_info["container"]
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        lines = 3 if request.query.get("follow") == "true" else 1
        for i in range(lines):
            await resp.write(f"line {i} from {container}\n".encode())
        await resp.write_eof()
        return resp

    async def exec(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        ws = web.WebSocketResponse(protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"))
        await ws.prepare(request)
        command = " ".join(request.query.getall("command", []))
        await ws.send_bytes(b"\x01" + f"ran: {command} in {request.match_info['container']}\n".encode())
        await ws.send_bytes(b"\x03" + json.dumps({"metadata": {}, "status": "Success"}).encode())
        await ws.close()
        return ws

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        return web.Response(text="ok")

    def start(self) -> None:
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/containerLogs/{ns}/{pod}/{container}", self.logs)
        app.router.add_route("*", "/exec/{ns}/{pod}/{container}", self.exec)
        app.router.add_get("/healthz", self.healthz)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        tls = certs.kubelet_server_context(self.pki, ["127.0.0.1"])
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def node(k8s: kubernetes.client.ApiClient, apiserver: APIServer) -> Iterator[StandInKubelet]:
    kubelet = StandInKubelet(apiserver.ca_cert_path.parent)
    kubelet.start()
    try:
        CoreV1Api(k8s).create_node(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "n1"},
                "status": {
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet.port}},
                },
            }
        )
        CoreV1Api(k8s).create_namespaced_pod(
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "web",
                    "annotations": {"kubectl.kubernetes.io/default-container": "app"},
                },
                "spec": {
                    "nodeName": "n1",
                    "containers": [{"name": "sidecar", "image": "i"}, {"name": "app", "image": "i"}],
                },
            },
        )
        yield kubelet
    finally:
        kubelet.stop()


def test_logs_are_proxied_to_the_kubelet(k8s: kubernetes.client.ApiClient, node: StandInKubelet) -> None:
    v1 = CoreV1Api(k8s)
    # the API server does not read kubectl's default-container annotation: the client must choose
    with pytest.raises(kubernetes.client.ApiException) as e:
        v1.read_namespaced_pod_log("web", "default")
    assert e.value.status == 400 and json.loads(e.value.body)["message"] == (
        "a container name must be specified for pod web, choose one of: [sidecar app]"
    )
    assert v1.read_namespaced_pod_log("web", "default", container="app") == "line 0 from app\n"
    followed = v1.read_namespaced_pod_log("web", "default", container="sidecar", follow=True, tail_lines=5)
    assert followed == "line 0 from sidecar\nline 1 from sidecar\nline 2 from sidecar\n"
    assert node.requests[-1].startswith("/containerLogs/default/web/sidecar?")
    assert "tailLines=5" in node.requests[-1] and "follow=true" in node.requests[-1]


def test_kubectl_logs_and_exec(kubectl, node: StandInKubelet) -> None:  # type: ignore[no-untyped-def]
    logs = kubectl("logs", "web", "-c", "sidecar")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "line 0 from sidecar\n"
    ran = kubectl("exec", "web", "--", "echo", "hi")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "ran: echo hi in app\n"
    assert node.requests[-1].startswith("/exec/default/web/app?")


def test_nodes_proxy_refuses_a_node_at_a_loopback_address(kubectl, node: StandInKubelet) -> None:  # type: ignore[no-untyped-def]
    # A Node names whatever address its writer likes; kube-apiserver will not proxy into its own
    # loopback. (The real kubelet's address is proxied: tests/e2e/kubelet/test_kubelet_api.py.)
    answer = kubectl("get", "--raw", "/api/v1/nodes/n1/proxy/healthz?verbose=1")
    assert answer.returncode != 0
    assert "address not allowed" in answer.stderr
    assert "/healthz?verbose=1" not in node.requests


def test_logs_of_an_unscheduled_pod_are_empty_and_exec_is_400(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        },
    )
    # as kube-apiserver answers: no node runs it, so there is nothing to read yet
    assert not v1.read_namespaced_pod_log("p", "default")
    with pytest.raises(kubernetes.client.ApiException) as e:
        v1.read_namespaced_pod_log("p", "default", container="nope")
    assert e.value.status == 400
    r = RawClient(k8s).send("POST", "/api/v1/namespaces/default/pods/p/exec?command=true")
    assert r.status == 400 and json.loads(r.data)["message"] == "pod p does not have a host assigned"
