"""Run a localkube API server for tests: on its own event loop in a background thread, so that
synchronous clients (the official `kubernetes` client, kubectl subprocesses) can talk to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubeschema.timestamps import now_time
from localkube.apiserver.server import APIServer

if TYPE_CHECKING:
    from localkube.controlplane.plane import KubernetesControlPlane


@contextmanager
def running_apiserver(data_dir: Path, **kwargs: Any) -> Iterator[APIServer]:
    """Start an APIServer in a thread; it is always stopped (and the thread joined) on exit."""
    loop = asyncio.new_event_loop()
    server = APIServer(data_dir, **kwargs)
    thread = threading.Thread(target=loop.run_forever, name="localkube-apiserver", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
        yield server
    finally:
        try:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()


@contextmanager
def running_kubernetes(data_dir: Path, binaries: Path, **kwargs: Any) -> Iterator[KubernetesControlPlane]:
    """The real control plane (see localkube.controlplane) for tests: started, and always stopped
    on exit with every process it began."""
    from localkube.controlplane.plane import KubernetesControlPlane

    plane = KubernetesControlPlane(data_dir, binaries=binaries, **kwargs)
    try:
        asyncio.run(plane.start())
        yield plane
    finally:
        asyncio.run(plane.stop())


@contextmanager
def running_controllers(url: str, kubeconfig: Path) -> Iterator[None]:
    """Run the control plane's controllers against the API at `url` in a thread, as `localkube up` does;
    they are always stopped (and the thread joined) on exit."""
    from localkube.controllers import run_controllers

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    done = threading.Event()

    def main() -> None:
        try:
            loop.run_until_complete(run_controllers(url, kubeconfig, stop))
        finally:
            done.set()

    thread = threading.Thread(target=main, name="localkube-controllers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
        if not done.is_set():
            raise RuntimeError("the controllers did not stop within 30 s")


def running_pod_status(
    containers: Iterable[tuple[str, str]], ip: str, host_ip: str | None = None
) -> dict[str, Any]:
    """The status a kubelet reports for a pod whose containers ((name, image) pairs) all run and
    are ready: for tests and benchmarks that play the kubelet."""
    now = now_time()
    status: dict[str, Any] = {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": now,
        "conditions": [
            {"type": t, "status": "True", "lastTransitionTime": now}
            for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        ],
        "containerStatuses": [
            {
                "name": name,
                "ready": True,
                "started": True,
                "restartCount": 0,
                "image": image,
                "imageID": "",
                "state": {"running": {"startedAt": now}},
            }
            for name, image in containers
        ],
    }
    if host_ip is not None:
        status["hostIP"] = host_ip
    return status
