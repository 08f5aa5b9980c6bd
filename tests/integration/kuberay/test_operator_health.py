"""The operator through an API server restart: its probes say when it cannot watch, and it
recovers by itself (re-list, re-watch) once the API answers again, without being restarted."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest

from kuberay.api.crd import render_crd
from localkube.apiserver.server import APIServer
from support.kuberay import Kube, sample_cluster
from support.operator import OperatorProcess
from support.waiting import wait_for

# The operator's bound for /healthz: long enough to watch /readyz fail first, short for the test.
UNHEALTHY_AFTER = "6"


class RestartableAPIServer:
    """A localkube API server on its own loop thread that the test can stop and start again on
    the same port, as a new server: durable, it comes back with the same state and admin token;
    otherwise with an empty store and a new admin token."""

    def __init__(self, data_dir: Path, durable: bool) -> None:
        self.data_dir = data_dir
        self.durable = durable
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="localkube-apiserver", daemon=True)
        self.thread.start()
        self.server: APIServer | None = None

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)  # type: ignore[arg-type]

    def start(self, server: APIServer) -> None:
        self.server = server
        self._run(server.start())

    def stop(self) -> None:
        if self.server is not None:
            self._run(self.server.stop())

    def start_new(self) -> None:
        port = self.server.port if self.server is not None else 0
        self.start(APIServer(self.data_dir, port=port, durable=self.durable))

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()


@pytest.fixture
def restartable(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RestartableAPIServer]:
    api = RestartableAPIServer(tmp_path / "localkube", durable=getattr(request, "param", False))
    try:
        api.start_new()
        yield api
    finally:
        api.close()


def client(api: RestartableAPIServer) -> kubernetes.client.ApiClient:
    assert api.server is not None
    return kubernetes.config.new_client_from_config(config_file=str(api.server.kubeconfig_path))


def install_crd(k8s: kubernetes.client.ApiClient) -> None:
    ext = kubernetes.client.ApiextensionsV1Api(k8s)
    crd = render_crd()
    ext.create_custom_resource_definition(crd)
    wait_for(
        "the CRD to be Established",
        lambda: any(
            c.type == "Established" and c.status == "True"
            for c in ext.read_custom_resource_definition(crd["metadata"]["name"]).status.conditions or []
        ),
    )


def hand_credentials(api: RestartableAPIServer, operator: OperatorProcess) -> None:
    """Give the operator the server's current kubeconfig, as a rotated credentials file."""
    assert api.server is not None
    operator.kubeconfig.write_text(api.server.kubeconfig_path.read_text())


@pytest.fixture
def running(restartable: RestartableAPIServer, tmp_path: Path) -> Iterator[OperatorProcess]:
    assert restartable.server is not None
    with client(restartable) as k8s:
        install_crd(k8s)
    op = OperatorProcess(
        tmp_path / "operator-kubeconfig", tmp_path / "operator.log", ["--unhealthy-after", UNHEALTHY_AFTER]
    )
    hand_credentials(restartable, op)
    try:
        op.start()
        wait_for("the operator to be ready", lambda: op.probe("/readyz") == 200)
        yield op
    finally:
        op.stop()
        print(op.log()[-6000:])


def _gets_pods(k8s: kubernetes.client.ApiClient, name: str) -> None:
    kube = Kube(k8s)
    kube.create(sample_cluster(name, replicas=1))
    wait_for(f"{name}'s head and worker pods", lambda: len(kube.pods(name)) == 2, timeout=60)


@pytest.mark.parametrize("restartable", [True], ids=["durable"], indirect=True)
def test_restart_with_the_same_state(restartable: RestartableAPIServer, running: OperatorProcess) -> None:
    with client(restartable) as k8s:
        _gets_pods(k8s, "before")
    restartable.stop()
    wait_for("/readyz to fail while the API is down", lambda: running.probe("/readyz") == 503, timeout=30)
    restartable.start_new()  # a new server process would read the same state from its data dir
    hand_credentials(restartable, running)  # the same token, written again
    wait_for("/readyz to pass again", lambda: running.probe("/readyz") == 200, timeout=60)
    assert running.proc is not None and running.proc.poll() is None, "the operator must not exit"
    with client(restartable) as k8s:
        _gets_pods(k8s, "after")
        # the cluster from before the restart was neither duplicated nor lost
        assert len(Kube(k8s).pods("before")) == 2


def test_restart_with_new_state_and_new_credentials(
    restartable: RestartableAPIServer, running: OperatorProcess
) -> None:
    with client(restartable) as k8s:
        _gets_pods(k8s, "before")
    restartable.stop()
    wait_for("/readyz to fail while the API is down", lambda: running.probe("/readyz") == 503, timeout=30)
    wait_for("/healthz to fail once that lasts", lambda: running.probe("/healthz") == 503, timeout=60)
    restartable.start_new()  # an empty store and a new admin token
    hand_credentials(restartable, running)
    with client(restartable) as k8s:
        install_crd(k8s)
        wait_for("/readyz to pass again", lambda: running.probe("/readyz") == 200, timeout=60)
        assert running.probe("/healthz") == 200
        assert running.proc is not None and running.proc.poll() is None, "the operator must not exit"
        # the same name as before the restart: nothing the operator remembers may stand in its way
        _gets_pods(k8s, "before")


def test_wrong_credentials_fail_readiness(
    restartable: RestartableAPIServer, running: OperatorProcess
) -> None:
    """A server that no longer accepts the operator's token, until the new one is handed over."""
    restartable.stop()
    restartable.start_new()  # the operator's kubeconfig keeps the old token: 401 Unauthorized
    wait_for("/readyz to fail while unauthorized", lambda: running.probe("/readyz") == 503, timeout=30)
    with client(restartable) as k8s:
        install_crd(k8s)
        hand_credentials(restartable, running)
        wait_for("/readyz to pass with the new token", lambda: running.probe("/readyz") == 200, timeout=60)
        _gets_pods(k8s, "after")
    assert running.proc is not None and running.proc.poll() is None


def test_a_standby_elector_reloads_credentials(restartable: RestartableAPIServer, tmp_path: Path) -> None:
    """A standby waits on a Lease someone else holds; the API server comes back empty with a new
    token. The standby's Lease requests must pick up the rotated credentials, find the Lease gone
    and take over, instead of failing with 401 forever."""
    with client(restartable) as k8s:
        install_crd(k8s)
        kubernetes.client.CoordinationV1Api(k8s).create_namespaced_lease(
            "default",
            {
                "metadata": {"name": "kuberay-operator"},
                "spec": {"holderIdentity": "another-replica", "leaseDurationSeconds": 3600},
            },
        )
    op = OperatorProcess(tmp_path / "operator-kubeconfig", tmp_path / "operator.log", ["--leader-elect"])
    hand_credentials(restartable, op)
    try:
        op.start()
        wait_for("the standby to try the Lease", lambda: "tries to acquire" in op.log())
        assert "leading as" not in op.log()
        restartable.stop()
        restartable.start_new()  # an empty store (no Lease) and a new admin token
        hand_credentials(restartable, op)
        with client(restartable) as k8s:
            install_crd(k8s)
            wait_for("the standby to lead with the new token", lambda: "leading as" in op.log(), timeout=60)
            _gets_pods(k8s, "after")
        assert op.proc is not None and op.proc.poll() is None
    finally:
        op.stop()
        print(op.log()[-6000:])
