"""The control plane the API-level suites run against: localkube's own (default) or the real
Kubernetes control plane built by tools/referees/build (`--control-plane kubernetes`), one per
test session, emptied between tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.referees import known_difference

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "tools" / "referees" / "build"
REQUIRE_ENV = "KUBERAY_REQUIRE_REFEREES"
DIR_ENV = "KUBERAY_REFEREES_DIR"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--control-plane",
        choices=("localkube", "kubernetes"),
        default="localkube",
        help="run the API-level suites against localkube or the real Kubernetes control plane "
        "(binaries from tools/referees/build)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "localkube_only(reason): about localkube's own internals; not run against real Kubernetes"
    )
    config.addinivalue_line(
        "markers",
        "referees: needs binaries from tools/referees/build (set on every test whose fixtures ask for "
        "them); `.ci/run` runs the others while the referees build",
    )


# fixtures that need the binaries of tools/referees/build
REFEREE_FIXTURES = {"kubernetes_binaries", "kubernetes_plane", "kuberay_operator_path"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if REFEREE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.referees)
    if config.getoption("--control-plane") != "kubernetes":
        return
    for item in items:
        marker = item.get_closest_marker("localkube_only")
        if marker is not None:
            why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "localkube internals")
            item.add_marker(pytest.mark.skip(reason=f"localkube only: {why}"))
        elif difference := known_difference(item.nodeid):
            # listed with its reason in tests/support/referees.py and docs/referees.md
            item.add_marker(
                pytest.mark.xfail(reason=f"differs on real Kubernetes: {difference}", strict=False)
            )


@pytest.fixture(scope="session")
def control_plane(pytestconfig: pytest.Config) -> str:
    """ "localkube" or "kubernetes": which control plane this session's API-level tests use."""
    return str(pytestconfig.getoption("--control-plane"))


def _unavailable(why: str) -> None:
    message = f"real Kubernetes control plane unavailable: {why} (see tools/referees/build)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)


def referee_binaries() -> Path:
    """The directory of referee binaries: $KUBERAY_REFEREES_DIR, else what tools/referees/build
    prints (it reuses its cache; a cold build takes long)."""
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    if shutil.which("go") is None:
        _unavailable("no Go toolchain to run tools/referees/build")
    done = subprocess.run([str(BUILD)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        _unavailable(f"tools/referees/build failed: {done.stderr.strip().splitlines()[-1:]}")
    return Path(done.stdout.strip())


@pytest.fixture(scope="session")
def kubernetes_binaries() -> Path:
    """The directory with the real etcd, kube-apiserver, controller-manager and scheduler."""
    from localkube.controlplane.plane import ControlPlaneError, find_binaries

    try:
        return find_binaries(referee_binaries())
    except ControlPlaneError as e:
        _unavailable(str(e))
        raise


@pytest.fixture(scope="session")
def kubernetes_plane(tmp_path_factory: pytest.TempPathFactory, kubernetes_binaries: Path) -> Iterator[object]:
    """The real control plane without a node, for the whole session. One that has its binaries
    but does not start is a failure, not a skip."""
    from localkube.testing import running_kubernetes

    with running_kubernetes(tmp_path_factory.mktemp("kubernetes"), kubernetes_binaries) as plane:
        yield plane
