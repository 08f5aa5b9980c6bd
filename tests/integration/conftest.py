"""Fixtures: a localkube API server per test, and clients nobody here wrote to talk to it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import kubernetes
import pytest

from localkube.apiserver.server import APIServer
from localkube.testing import running_apiserver

KUBECTL = Path(sys.executable).parent / "kubectl"


@pytest.fixture
def apiserver(tmp_path: Path, control_plane: str, request: pytest.FixtureRequest) -> Iterator[APIServer]:
    """A fresh localkube API server; with `--control-plane kubernetes`, the session's real
    control plane instead, emptied of what the test made once it ends."""
    if control_plane == "kubernetes":
        plane = request.getfixturevalue("kubernetes_plane")
        since = plane.snapshot()
        try:
            yield plane
        finally:
            plane.reset(since)
        return
    with running_apiserver(tmp_path / "localkube") as server:
        yield server


@pytest.fixture
def kubeconfig(apiserver: APIServer) -> Path:
    return apiserver.kubeconfig_path


@pytest.fixture
def k8s(kubeconfig: Path) -> Iterator[kubernetes.client.ApiClient]:
    client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    try:
        yield client
    finally:
        client.close()


Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def kubectl(kubeconfig: Path, tmp_path: Path) -> Kubectl:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "KUBECONFIG": str(kubeconfig)}

    def run(*args: str, input: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=check,
        )

    return run
