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
) -> Iterator[Cluster]:
    from localkube.apiserver.server import APIServer  # the API server is the other half of localkube

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="localkube", daemon=True)
    thread.start()
    server = APIServer(data_dir / "api", extra_sans=(ipam.gateway(DEFAULT_POD_CIDR),))
    stop: asyncio.Event | None = None
    node_task: concurrent.futures.Future[None] | None = None

    async def make_event() -> asyncio.Event:
        return asyncio.Event()

    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=60)
        stop = asyncio.run_coroutine_threadsafe(make_event(), loop).result()
        node_task = asyncio.run_coroutine_threadsafe(
            run_node(
                server.url,
                server.kubeconfig_path,
                data_dir,
                cpu=cpu,
                memory=memory,
                stop=stop,
                backoff_base=backoff_base,
                backoff_max=backoff_max,
                max_pods=max_pods,
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
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
