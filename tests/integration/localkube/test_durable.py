"""`localkube up --dir DIR` keeps the API's state in DIR: objects, custom resources, the
resourceVersion and the token signing key survive a restart, and so does every acknowledged write
when the server is SIGKILLed in the middle of a burst."""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import kubernetes
import pytest
import yaml
from kubernetes.client import ApiException, CoreV1Api, CustomObjectsApi

from localkube.apiserver.server import APIServer
from localkube.testing import running_apiserver
from support.clients import client_with_token
from support.crds import create_crd, widget_crd

LOCALKUBE = Path(sys.executable).parent / "localkube"

CRD = widget_crd("example.com", {"properties": {"size": {"type": "integer"}}}, subresources=False)


def client(kubeconfig: Path) -> kubernetes.client.ApiClient:
    return kubernetes.config.new_client_from_config(config_file=str(kubeconfig))


def test_state_tokens_and_resource_versions_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "localkube"
    with running_apiserver(data, durable=True) as server:
        api = client(server.kubeconfig_path)
        core = CoreV1Api(api)
        core.create_namespaced_config_map("default", {"metadata": {"name": "kept"}, "data": {"k": "v"}})
        core.create_namespaced_secret("default", {"metadata": {"name": "pw"}, "stringData": {"p": "q"}})
        svc = core.create_namespaced_service(
            "default", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
        )
        core.create_namespaced_service_account("default", {"metadata": {"name": "bot"}})
        token = core.create_namespaced_service_account_token("bot", "default", {"spec": {}}).status.token
        create_crd(api, CRD)
        CustomObjectsApi(api).create_namespaced_custom_object(
            "example.com",
            "v1",
            "default",
            "widgets",
            {
                "kind": "Widget",
                "apiVersion": "example.com/v1",
                "metadata": {"name": "w"},
                "spec": {"size": 3},
            },
        )
        before = core.list_namespaced_config_map("default").metadata.resource_version
        api.close()

    with running_apiserver(data, durable=True) as server:
        api = client(server.kubeconfig_path)
        core = CoreV1Api(api)
        assert core.read_namespaced_config_map("kept", "default").data == {"k": "v"}
        assert core.read_namespaced_secret("pw", "default").data == {"p": "cQ=="}
        widget = CustomObjectsApi(api).get_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", "w"
        )
        assert widget["spec"] == {"size": 3}
        # resourceVersion carries on; a new Service does not get the kept one's cluster IP
        again = core.list_namespaced_config_map("default").metadata.resource_version
        assert int(again) >= int(before)
        other = core.create_namespaced_service(
            "default", {"metadata": {"name": "other"}, "spec": {"ports": [{"port": 80}]}}
        )
        assert other.spec.cluster_ip != svc.spec.cluster_ip
        assert int(other.metadata.resource_version) > int(again)
        # a watch from before the restart is told its position is gone (410), as after compaction
        w = kubernetes.watch.Watch()
        with pytest.raises(ApiException) as gone:
            for _ in w.stream(
                core.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=2
            ):
                pass
        assert gone.value.status == 410
        # the token issued before the restart still names the service account
        as_bot = client_with_token(server, token)
        with pytest.raises(ApiException) as denied:
            CoreV1Api(as_bot).list_namespaced_secret("default")
        assert denied.value.status == 403
        assert "system:serviceaccount:default:bot" in str(denied.value.body)
        as_bot.close()
        api.close()


async def _answer_after_stop(data: Path) -> bytes:
    """Open a TCP connection to a running server, stop the server (its event loop goes on, as in a
    process that starts a new one), then finish the TLS handshake and ask for /readyz."""
    server = APIServer(data)
    await server.start()
    ctx = ssl.create_default_context(cafile=str(server.ca_cert_path))
    sock = socket.create_connection((server.host, server.port))
    try:
        await asyncio.sleep(0.1)  # accepted by the server's listener, not yet a TLS session
        await server.stop()

        def ask() -> bytes:
            with ctx.wrap_socket(sock, server_hostname=server.host) as tls:
                tls.settimeout(5)
                tls.sendall(b"GET /readyz HTTP/1.1\r\nHost: localkube\r\n\r\n")
                try:
                    return tls.recv(200)
                except (ConnectionError, ssl.SSLError):
                    return b""

        return await asyncio.to_thread(ask)
    finally:
        sock.close()


def test_a_stopped_server_answers_no_connection_it_accepted_before(tmp_path: Path) -> None:
    # An in-process restart (a new server on the same port) must not leave clients talking to the
    # old server's closed store: a standby operator read a stale Lease from it for ever.
    assert asyncio.run(_answer_after_stop(tmp_path / "localkube")) == b""


@pytest.fixture
def localkube_up(tmp_path: Path) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(data: Path) -> subprocess.Popen[bytes]:
        (data / "kubeconfig").unlink(missing_ok=True)
        log = (tmp_path / "localkube.log").open("ab")
        proc = subprocess.Popen(
            [str(LOCALKUBE), "up", "--dir", str(data), "--port", "0", "--no-kubelet"], stdout=log, stderr=log
        )
        procs.append(proc)
        deadline = time.monotonic() + 60
        while not (data / "kubeconfig").exists():
            assert proc.poll() is None, (tmp_path / "localkube.log").read_text()
            assert time.monotonic() < deadline, "no kubeconfig written"
            time.sleep(0.05)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _server_and_token(kubeconfig: Path) -> tuple[str, str]:
    config = yaml.safe_load(kubeconfig.read_text())
    return config["clusters"][0]["cluster"]["server"], config["users"][0]["user"]["token"]


async def _burst(data: Path, proc: subprocess.Popen[bytes], total: int, kill_after: int) -> set[str]:
    """Create `total` ConfigMaps from 8 clients; SIGKILL the server once `kill_after` are answered.
    Returns the names whose creation was acknowledged (201)."""
    server, token = _server_and_token(data / "kubeconfig")
    ctx = ssl.create_default_context(cafile=str(data / "pki" / "ca.crt"))
    acked: set[str] = set()
    names = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in names:
            body = {"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}}
            try:
                async with session.post(f"{server}/api/v1/namespaces/default/configmaps", json=body) as resp:
                    if resp.status == 201:
                        acked.add(f"cm-{i}")
            except aiohttp.ClientError:
                return  # the server is gone
            if len(acked) >= kill_after and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)

    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        await asyncio.gather(*(worker(session) for _ in range(8)))
    return acked


def test_every_acknowledged_write_survives_a_sigkill_in_a_burst(tmp_path: Path, localkube_up: Any) -> None:
    data = tmp_path / "state"
    proc = localkube_up(data)
    acked = asyncio.run(_burst(data, proc, total=1000, kill_after=400))
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert len(acked) >= 400

    localkube_up(data)
    api = client(data / "kubeconfig")
    stored = {cm.metadata.name: cm for cm in CoreV1Api(api).list_namespaced_config_map("default").items}
    api.close()
    missing = acked - set(stored)
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:5]}"
    assert all(stored[name].data == {"i": name.removeprefix("cm-")} for name in acked)
