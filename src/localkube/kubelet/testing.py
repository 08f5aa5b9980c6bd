"""Run localkube (API server + this node) for tests and benchmarks: both on one event loop in a
background thread, so synchronous clients (the official client, kubectl) can talk to it. Everything
is stopped on exit, also when the test fails."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localkube.kubelet import ipam
from localkube.kubelet.names import DEFAULT_POD_CIDR
from localkube.kubelet.node import run_node


@dataclass(frozen=True)
class Cluster:
    url: str
    kubeconfig: Path
    data_dir: Path
    admin_token: str
    ca_cert: Path


@contextmanager
def running_cluster(
    data_dir: Path,
    *,
    cpu: str = "64",
    memory: str = "256Gi",
    backoff_base: float = 10.0,
    backoff_max: float = 300.0,
    max_pods: int = 250,
    kubernetes_binaries: Path | None = None,
) -> Iterator[Cluster]:
    """With `kubernetes_binaries` (tools/referees/build's directory) the control plane is the real
    Kubernetes one (localkube.controlplane) and this node joins it as an ordinary node."""
    from localkube.apiserver.server import APIServer  # the API server is the other half of localkube
    from localkube.controlplane.plane import KubernetesControlPlane

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="localkube", daemon=True)
    thread.start()
    gateway = ipam.gateway(DEFAULT_POD_CIDR)
    server: APIServer | KubernetesControlPlane
    node_kubeconfig: Path | None = None
    if kubernetes_binaries is not None:
        server = KubernetesControlPlane(data_dir / "api", binaries=kubernetes_binaries, node_address=gateway)
        node_kubeconfig = server.node_kubeconfig_path
    else:
        server = APIServer(data_dir / "api", extra_sans=(gateway,))
    stop: asyncio.Event | None = None
    node_task: concurrent.futures.Future[None] | None = None

    async def make_event() -> asyncio.Event:
        return asyncio.Event()

    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=300)
        stop = asyncio.run_coroutine_threadsafe(make_event(), loop).result()
        node_task = asyncio.run_coroutine_threadsafe(
            run_node(
                server.url,
                node_kubeconfig or server.kubeconfig_path,
                data_dir,
                cpu=cpu,
                memory=memory,
                stop=stop,
                backoff_base=backoff_base,
                backoff_max=backoff_max,
                max_pods=max_pods,
                control_plane_controllers=node_kubeconfig is not None,
                serving_tls=server.node_serving_tls() if isinstance(server, KubernetesControlPlane) else None,
            ),
            loop,
        )
        yield Cluster(server.url, server.kubeconfig_path, data_dir, server.admin_token, server.ca_cert_path)
        if node_task.done():
            node_task.result()  # a node that died during the test fails it
    finally:
        try:
            if stop is not None and node_task is not None:
                loop.call_soon_threadsafe(stop.set)
                try:
                    node_task.result(timeout=120)
                except Exception:
                    if not node_task.done():
                        raise
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=120)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
