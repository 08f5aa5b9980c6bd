"""Fixtures for the operator against a localkube API server without a kubelet: the test plays
the kubelet by writing pod status, as envtest-based KubeRay tests do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from kuberay.api.crd import render_crd
from support.crds import create_crd
from support.kuberay import Kube
from support.operator import OperatorProcess
from support.paths import KUBERAY_CRD


@pytest.fixture
def install_crd(k8s: kubernetes.client.ApiClient) -> Callable[[dict[str, Any]], None]:
    def install(crd: dict[str, Any]) -> None:
        create_crd(k8s, crd)

    return install


@pytest.fixture
def operator(
    k8s: kubernetes.client.ApiClient,
    kubeconfig: Path,
    tmp_path: Path,
    install_crd: Callable[[dict[str, Any]], None],
    request: pytest.FixtureRequest,
) -> Iterator[OperatorProcess]:
    """Our CRD installed and the operator running (KubeRay's CRD instead with the marker kuberay_crd)."""
    if request.node.get_closest_marker("kuberay_crd"):
        install_crd(yaml.safe_load(KUBERAY_CRD.read_text()))
    else:
        install_crd(render_crd())
    op = OperatorProcess(kubeconfig, tmp_path / "operator.log")
    with op.running():
        yield op
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(op.log()[-5000:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "rep_" + report.when, report)


@pytest.fixture
def kube(k8s: kubernetes.client.ApiClient) -> Kube:
    return Kube(k8s)
