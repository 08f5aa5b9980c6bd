"""KubeRay's own operator and ours, side by side on one API server (issue 11).

One API server per session (localkube's in-process one, or the real control plane with
`--control-plane kubernetes`) with KubeRay's CRDs; KubeRay's operator (the referee built by
tools/referees/build) watches NS_KUBERAY, ours NS_OURS. Each test applies the same manifest into
both namespaces, plays the kubelet for both, and compares what the two operators made."""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from support.differential import snapshot
from support.kuberay import Kube
from support.operator import OperatorProcess, stop_process
from support.paths import REPO, SHARED
from support.waiting import wait_for

NS_KUBERAY = "side-kuberay"
NS_OURS = "side-ours"
SIDES = {"kuberay": NS_KUBERAY, "ours": NS_OURS}
BUILD = REPO / "tools" / "referees" / "build"
KUBERAY_CRDS = sorted((SHARED / "kuberay" / "crds").glob("ray.io_*.yaml"))
# localkube decodes the protobuf bodies KubeRay's operator sends (Pods, Services, RBAC, ...): both
# operators meet on it. False would send them to the real control plane whatever was asked.
LOCALKUBE_SERVES_KUBERAY = True


def _unavailable(why: str) -> None:
    message = f"KubeRay's operator unavailable: {why}"
    if os.environ.get("KUBERAY_REQUIRE_REFEREES") == "1":
        pytest.fail(f"{message}; KUBERAY_REQUIRE_REFEREES=1 requires it", pytrace=False)
    pytest.skip(message)


def kuberay_operator_binary() -> Path:
    """$KUBERAY_REFEREES_DIR/kuberay-operator, else what `tools/referees/build kuberay-operator`
    makes (a cache hit once built; a cold build takes minutes)."""
    if os.environ.get("KUBERAY_REFEREES_DIR"):
        found = Path(os.environ["KUBERAY_REFEREES_DIR"]) / "kuberay-operator"
        if not found.is_file():
            _unavailable(f"{found} missing: run `tools/referees/build kuberay-operator`")
        return found
    if subprocess.run(["sh", "-c", "command -v go"], capture_output=True).returncode != 0:
        _unavailable("no Go toolchain to run `tools/referees/build kuberay-operator`")
    done = subprocess.run([str(BUILD), "kuberay-operator"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        _unavailable(f"`tools/referees/build kuberay-operator` failed: {done.stderr.strip()[-300:]}")
    return Path(done.stdout.strip()) / "kuberay-operator"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KubeRayOperator:
    """KubeRay v1.5's operator process: webhooks off, metrics and probes on free local ports,
    watching one namespace; leader election off unless asked for, then on a Lease in that
    namespace (outside a pod, controller-runtime cannot guess one)."""

    def __init__(
        self, binary: Path, kubeconfig: Path, namespace: str, log_path: Path, leader_election: bool = False
    ) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.log_path = log_path
        self.leader_election = leader_election
        self.proc: subprocess.Popen[bytes] | None = None
        self.metrics_port = _free_port()
        self.health_port = _free_port()

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "ENABLE_WEBHOOKS"}
        env["KUBECONFIG"] = str(self.kubeconfig)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(self.binary),
                    f"--watch-namespace={self.namespace}",
                    f"--enable-leader-election={str(self.leader_election).lower()}",
                    f"--leader-election-namespace={self.namespace}",
                    f"--metrics-addr=127.0.0.1:{self.metrics_port}",
                    f"--health-probe-bind-address=127.0.0.1:{self.health_port}",
                    "--log-stdout-encoder=console",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"kuberay-operator exited: {self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2) as r:
                    return r.status == 200
            except (urllib.error.URLError, ConnectionError):
                return False

        wait_for("KubeRay's operator to answer /readyz", ready, timeout=60, interval=0.2)

    def stop(self) -> None:
        stop_process(self.proc)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Duel:
    """The shared API server with both operators; `kube[side]` works in that side's namespace."""

    api: kubernetes.client.ApiClient
    kube: dict[str, Kube]
    logs: dict[str, Callable[[], str]]
    created: list[str] = field(default_factory=list)

    def apply(self, manifest: dict[str, Any]) -> None:
        """Create the same object in both namespaces (KubeRay's first)."""
        for kube in self.kube.values():
            body = copy.deepcopy(manifest)
            try:
                if body["kind"] == "Secret":
                    kube.core.create_namespaced_secret(kube.ns, body)
                else:
                    kube.create(body)
            except kubernetes.client.ApiException as e:
                # a ConfigMap or Secret that an earlier sample already made (same name, same use)
                if e.status != 409 or body["kind"] == "RayCluster":
                    raise
        if manifest["kind"] == "RayCluster":
            self.created.append(manifest["metadata"]["name"])

    def patch(self, name: str, patch: dict[str, Any]) -> None:
        for kube in self.kube.values():
            kube.patch_cluster(name, copy.deepcopy(patch))

    def play_kubelet(self, cluster: str) -> None:
        """Pods of `cluster` that are not yet Running become Running and Ready, on both sides."""
        for kube in self.kube.values():
            for i, pod in enumerate(kube.pods(cluster)):
                if pod.status.phase != "Running":
                    kube.run_pod(pod, f"10.244.1.{i + 2}")

    def settle(self, cluster: str, state: str | None = "ready", timeout: float = 60) -> dict[str, Any]:
        """Play the kubelet until both clusters reach `state` and neither side's objects change for
        two seconds (ours may hold a count-only status change back for up to one:
        docs/differences.md); then each side's snapshot."""
        last: dict[str, Any] = {}
        stable_since = 0.0

        def settled() -> dict[str, Any] | None:
            nonlocal last, stable_since
            self.play_kubelet(cluster)
            now = {side: snapshot(self.api, ns, cluster) for side, ns in SIDES.items()}
            if state is not None and any(s["status"].get("state") != state for s in now.values()):
                last, stable_since = now, 0.0
                return None
            if now != last:
                last, stable_since = now, time.monotonic()
                return None
            return now if time.monotonic() - stable_since >= 2.0 else None

        try:
            result: dict[str, Any] = wait_for(
                f"both operators to settle {cluster} (state {state})", settled, timeout=timeout, interval=0.3
            )
        except AssertionError:
            for side, log in self.logs.items():
                print(f"--- {side} operator log (tail) ---\n{log()[-4000:]}")
            raise
        return result

    def cleanup(self) -> None:
        """Delete this test's clusters on both sides, finalizers first (no Job controller runs the
        Redis clean-up here), so that the next test starts from empty namespaces."""
        for name in self.created:
            for kube in self.kube.values():
                try:
                    kube.patch_cluster(name, {"metadata": {"finalizers": None}})
                    kube.delete_cluster(name)
                except kubernetes.client.ApiException as e:
                    if e.status != 404:
                        raise
        self.created.clear()


@pytest.fixture(scope="session")
def kuberay_operator_path() -> Path:
    return kuberay_operator_binary()


@pytest.fixture(scope="session")
def duel_server(
    kuberay_operator_path: Path,
    control_plane: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    if control_plane == "localkube" and LOCALKUBE_SERVES_KUBERAY:
        from localkube.testing import running_apiserver

        with running_apiserver(tmp_path_factory.mktemp("localkube")) as server:
            yield server
        return
    plane = request.getfixturevalue("kubernetes_plane")
    since = plane.snapshot()
    try:
        yield plane
    finally:
        plane.reset(since)


@pytest.fixture(scope="session")
def duel_session(
    duel_server: Any, kuberay_operator_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Duel]:
    kubeconfig: Path = duel_server.kubeconfig_path
    api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    ext = kubernetes.client.ApiextensionsV1Api(api)
    core = kubernetes.client.CoreV1Api(api)
    for path in KUBERAY_CRDS:
        ext.create_custom_resource_definition(yaml.safe_load(path.read_text()))
    for path in KUBERAY_CRDS:
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        wait_for(
            f"CRD {name} Established",
            lambda name=name: any(
                c.type == "Established" and c.status == "True"
                for c in ext.read_custom_resource_definition(name).status.conditions or []
            ),
        )
    for ns in SIDES.values():
        core.create_namespace({"metadata": {"name": ns}})
        if hasattr(duel_server, "snapshot"):  # kube-controller-manager makes the default account
            wait_for(
                f"{ns}'s default ServiceAccount", lambda ns=ns: core.list_namespaced_service_account(ns).items
            )
    logs = tmp_path_factory.mktemp("operators")
    theirs = KubeRayOperator(kuberay_operator_path, kubeconfig, NS_KUBERAY, logs / "kuberay.log")
    ours = OperatorProcess(kubeconfig, logs / "ours.log", extra=["--namespace", NS_OURS])
    try:
        theirs.start()
        ours.start()
        yield Duel(
            api,
            {side: Kube(api, ns) for side, ns in SIDES.items()},
            {"kuberay": theirs.log, "ours": ours.log},
        )
    finally:
        ours.stop()
        theirs.stop()
        api.close()


@pytest.fixture
def kuberay_operator(
    kuberay_operator_path: Path, duel_server: Any, duel_session: Duel, tmp_path: Path
) -> Iterator[Callable[..., KubeRayOperator]]:
    """Makes KubeRay operator processes on the shared API server, once KubeRay's CRDs are in
    (`make(namespace, name, leader_election=...)`); each is stopped when the test ends, whatever
    happened."""
    made: list[KubeRayOperator] = []

    def make(namespace: str, name: str, leader_election: bool = False) -> KubeRayOperator:
        op = KubeRayOperator(
            kuberay_operator_path,
            duel_server.kubeconfig_path,
            namespace,
            tmp_path / f"{name}.log",
            leader_election,
        )
        made.append(op)
        return op

    try:
        yield make
    finally:
        for op in reversed(made):
            op.stop()


@pytest.fixture
def duel(duel_session: Duel) -> Iterator[Duel]:
    try:
        yield duel_session
    finally:
        duel_session.cleanup()
