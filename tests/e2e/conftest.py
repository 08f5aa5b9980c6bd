"""e2e fixtures: every test here runs real processes in network namespaces; after each one nothing
of ours (netns, veth, bridge, pod process, mount) may remain."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock
from localkube.kubelet.testing import Cluster, running_cluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def node_lock() -> Iterator[None]:
    """Serialize with any other localkube node on this machine (another engineer's test run)."""
    if os.geteuid() != 0:
        pytest.fail("e2e tests need root for network namespaces and mounts")
    lock = NodeLock()
    lock.acquire()
    try:
        cleanup.remove_everything()
        yield
    finally:
        lock.release()


@pytest.fixture
def host_clean(node_lock: None, tmp_path: Path) -> Iterator[Path]:
    """A data dir; afterwards everything is removed and the test fails if something was left."""
    data = tmp_path / "data"
    data.mkdir()
    try:
        yield data
    finally:
        left = cleanup.leftovers(data)
        cleanup.remove_everything(data)
    assert left.empty(), f"left behind: {left}"


@pytest.fixture
def cluster(host_clean: Path) -> Iterator[Cluster]:
    """localkube API server + node (crash-loop back-off shortened to 1s..4s so tests see it)."""
    with running_cluster(host_clean, backoff_base=1.0, backoff_max=4.0) as c:
        yield c


@pytest.fixture
def core(cluster: Cluster) -> Iterator[Any]:
    """The official Kubernetes client's CoreV1Api against the cluster."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def kubectl(cluster: Cluster) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real kubectl against the cluster with default flags."""
    binary = Path(sys.executable).parent / "kubectl"

    def run(*args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), "--kubeconfig", str(cluster.kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def host_clean_unlocked(node_lock: None, tmp_path: Path) -> Iterator[Path]:
    """Like host_clean, for tests whose node runs in a child process: that process takes the node
    lock itself, so the test must not hold it meanwhile."""
    data = tmp_path / "data"
    data.mkdir()
    lock = NodeLock()
    lock.release_all_in_process()
    try:
        yield data
    finally:
        lock.acquire()
        left = cleanup.leftovers(data)
        cleanup.remove_everything(data)
    assert left.empty(), f"left behind: {left}"
