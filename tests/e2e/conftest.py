"""e2e fixtures: every test here runs real processes in network namespaces; after each one nothing
of ours (netns, veth, bridge, pod process, mount) may remain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock


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
