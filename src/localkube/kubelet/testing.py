"""Run localkube (API server + this node) for tests and benchmarks: both on one event loop in a
background thread, so synchronous clients (the official client, kubectl) can talk to it. Everything
is stopped on exit, also when the test fails."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    node: asyncio.Task[None] | None = None

    async def make_event() -> asyncio.Event:
        return asyncio.Event()

    async def start_node(stop: asyncio.Event) -> asyncio.Task[None]:
        return asyncio.ensure_future(
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
            )
        )

    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=300)
        stop = asyncio.run_coroutine_threadsafe(make_event(), loop).result()
        node = asyncio.run_coroutine_threadsafe(start_node(stop), loop).result()
        yield Cluster(server.url, server.kubeconfig_path, data_dir, server.admin_token, server.ca_cert_path)
        if node.done():
            node.result()  # a node that died during the test fails it
    finally:
        try:
            try:
                if stop is not None and node is not None:
                    asyncio.run_coroutine_threadsafe(_stop_node(stop, node, 120), loop).result(timeout=180)
            finally:
                asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=120)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()


async def _stop_node(stop: asyncio.Event, node: asyncio.Task[None], timeout: float) -> None:
    """Stop the node; one that does not stop in time is cancelled and awaited, so its shutdown
    still closes what it holds in this process (the service proxy's listeners on service IPs,
    which a node leaking them would keep from every later node of the test run)."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(node), timeout)
    except TimeoutError:
        node.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await node
        raise
    except Exception:
        if not node.done():
            raise
