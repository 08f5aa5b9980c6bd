"""The real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager and
kube-scheduler, built by tools/referees/build) as child processes on loopback. It offers what
localkube's APIServer offers (`url`, `kubeconfig_path`, `admin_token`, `ca_cert_path`, async
`start()`/`stop()`), so `localkube up` and the tests treat both control planes alike."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from localkube.apiserver import certs, codec
from localkube.client.apiclient import ApiClient, ApiError
from localkube.controlplane import etcdstate, flags, kubeconfigs, leftovers, pki

log = logging.getLogger(__name__)

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
BINARIES_ENV = "LOCALKUBE_KUBERNETES_BINARIES"
START_TIMEOUT = 120.0
STOP_GRACE = 15.0
# a LIST answered with each object's metadata only (PartialObjectMetadataList)
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


class ControlPlaneError(RuntimeError):
    pass


def find_binaries(explicit: Path | None = None) -> Path:
    """The directory holding the four binaries: the one given, else $LOCALKUBE_KUBERNETES_BINARIES,
    else the directory of `kube-apiserver` on PATH."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    elif os.environ.get(BINARIES_ENV):
        candidates.append(Path(os.environ[BINARIES_ENV]))
    elif found := shutil.which("kube-apiserver"):
        candidates.append(Path(found).parent)
    for directory in candidates:
        missing = [b for b in BINARIES if not os.access(directory / b, os.X_OK)]
        if not missing:
            return directory.resolve()
        raise ControlPlaneError(
            f"{directory} lacks {', '.join(missing)}: build them with tools/referees/build "
            f"and pass the directory it prints (--kubernetes-binaries or ${BINARIES_ENV})"
        )
    raise ControlPlaneError(
        "no Kubernetes binaries: run tools/referees/build (needs Go) and pass the directory it "
        f"prints with --kubernetes-binaries or ${BINARIES_ENV}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop_leftover(pid_file: Path, binary: Path) -> None:
    """A `localkube up` that was killed outright left its processes running: end the one this pid
    file names, if it still runs our binary (a reused pid is left alone)."""
    try:
        pid = int(pid_file.read_text())
        if Path(f"/proc/{pid}/exe").resolve() == binary.resolve():
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


class KubernetesControlPlane:
    def __init__(
        self,
        data_dir: Path,
        *,
        binaries: Path | None = None,
        port: int = 0,
        service_cidr: str = "10.96.0.0/12",
        node_address: str = "10.244.0.1",
        node_name: str = "localkube",
        extra_sans: Sequence[str] = (),
        disabled_controllers: Sequence[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        # kube-controller-manager's controllers not to run (its --controllers=*,-name)
        self.disabled_controllers = tuple(disabled_controllers)
        self.binaries = find_binaries(binaries)
        self.layout = flags.Layout(self.binaries, self.data_dir)
        self.port = port
        self.service_cidr = service_cidr
        self.node_address = node_address
        self.node_name = node_name
        self.extra_sans = tuple(dict.fromkeys((node_address, *extra_sans)))
        self.kubeconfig_path = self.data_dir / "kubeconfig"
        self.node_kubeconfig_path = self.layout.kubeconfig("kubelet")
        self.ca_cert_path = self.layout.pki_dir / "ca.crt"
        self.logs_dir = self.data_dir / "logs"
        self.admin_token = ""
        self.creds: pki.Credentials | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.etcd_url = ""
        # stop() while start() still runs (Ctrl-C during the seconds kube-apiserver takes): the
        # starting thread spawns nothing more and gives up its waits; the lock orders the two
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def service_ip(self) -> str:
        return str(ipaddress.ip_network(self.service_cidr).network_address + 1)

    async def start(self) -> None:
        """Returns once the API server is ready and the controller-manager has made the default
        ServiceAccount (pods are refused before that); DIR/kubeconfig appears only then."""
        self._stopping.clear()
        try:
            await asyncio.to_thread(self._start)
            await self._bootstrap()
        except BaseException:
            await self.stop()
            raise

    def _start(self) -> None:
        self.kubeconfig_path.unlink(missing_ok=True)
        # each `up` is a new cluster, as localkube's own in-memory API server is
        shutil.rmtree(self.layout.etcd_dir, ignore_errors=True)
        self.layout.pki_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        for name in BINARIES:
            _stop_leftover(self.logs_dir / f"{name}.pid", self.binaries / name)
        if self.port == 0:
            self.port = _free_port()
        ports = flags.Ports(self.port, _free_port(), _free_port(), _free_port(), _free_port())
        creds = pki.make_credentials(self.layout.pki_dir, self.service_ip, self.extra_sans, self.node_name)
        self.creds = creds
        self.admin_token = creds.admin_token
        for component, cert in (
            ("kube-controller-manager", creds.controller_manager),
            ("kube-scheduler", creds.scheduler),
        ):
            kubeconfigs.write(
                self.layout.kubeconfig(component),
                kubeconfigs.kubeconfig(
                    self.url,
                    creds.ca_cert,
                    {"client-certificate": str(cert.cert), "client-key": str(cert.key)},
                    component,
                ),
            )
        kubeconfigs.write(
            self.node_kubeconfig_path,
            kubeconfigs.kubeconfig(
                self.url, creds.ca_cert, {"token": creds.node_token}, f"system:node:{self.node_name}"
            ),
        )
        self.layout.audit_policy.write_text(flags.AUDIT_POLICY)
        self.etcd_url = f"http://127.0.0.1:{ports.etcd_client}"
        self._spawn("etcd", flags.etcd(self.layout, ports))
        self._wait_http("etcd", f"{self.etcd_url}/health", None)
        self._spawn(
            "kube-apiserver",
            flags.apiserver(
                self.layout, ports, creds, advertise=self.node_address, service_cidr=self.service_cidr
            ),
        )
        self._wait_http("kube-apiserver", f"{self.url}/readyz", self._client_ssl(), creds.admin_token)
        self._spawn(
            "kube-controller-manager",
            flags.controller_manager(
                self.layout, ports, creds, service_cidr=self.service_cidr, disabled=self.disabled_controllers
            ),
        )
        self._spawn("kube-scheduler", flags.scheduler(self.layout, ports))
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        # their serving certificates are self-signed at start; only liveness is asked here
        insecure.verify_mode = ssl.CERT_NONE
        self._wait_http(
            "kube-controller-manager", f"https://127.0.0.1:{ports.controller_manager}/healthz", insecure
        )
        self._wait_http("kube-scheduler", f"https://127.0.0.1:{ports.scheduler}/healthz", insecure)

    def _client_ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert_path))

    def _spawn(self, name: str, argv: list[str]) -> None:
        log.info("starting %s", " ".join(argv))
        with self._lock, (self.logs_dir / f"{name}.log").open("ab") as out:
            if self._stopping.is_set():
                raise ControlPlaneError(f"stopped before {name} started")
            self.processes[name] = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,  # Ctrl-C reaches us; we stop them in order
            )
        (self.logs_dir / f"{name}.pid").write_text(str(self.processes[name].pid))

    def _fail(self, name: str, why: str) -> ControlPlaneError:
        log_file = self.logs_dir / f"{name}.log"
        tail = ""
        with contextlib.suppress(OSError):
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        return ControlPlaneError(f"{name} {why} (log: {log_file}):\n{tail}")

    def _wait_http(self, name: str, url: str, ctx: ssl.SSLContext | None, token: str = "") -> None:
        """Wait for `url` to answer 200 while the process lives (bounded; a start-up wait)."""
        deadline = time.monotonic() + START_TIMEOUT
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        while time.monotonic() < deadline:
            if self._stopping.is_set():
                raise ControlPlaneError(f"stopped while waiting for {name}")
            proc = self.processes[name]
            if proc.poll() is not None:
                raise self._fail(name, f"exited with code {proc.returncode} while starting")
            try:
                with urllib.request.urlopen(
                    urllib.request.Request(url, headers=headers), timeout=5, context=ctx
                ):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise self._fail(name, f"did not answer {url} within {START_TIMEOUT:.0f} s")

    async def _bootstrap(self) -> None:
        """What the node needs beyond the Node authorizer: its kubelet is also the node's service
        proxy (kube-proxy's role) and reads ConfigMaps and Secrets through cluster-wide watches."""
        assert self.creds is not None
        admin = ApiClient(self.url, self.creds.admin_token, self.ca_cert_path.read_text())
        node_user = {
            "kind": "User",
            "apiGroup": "rbac.authorization.k8s.io",
            "name": f"system:node:{self.node_name}",
        }
        rbac = "/apis/rbac.authorization.k8s.io/v1"
        try:
            await _create(
                admin,
                f"{rbac}/clusterroles",
                {
                    "metadata": {"name": "localkube:node-informers"},
                    "rules": [
                        {
                            "apiGroups": [""],
                            "resources": ["configmaps", "secrets"],
                            "verbs": ["list", "watch"],
                        }
                    ],
                },
            )
            for name, role in (
                ("localkube:node-proxier", "system:node-proxier"),
                ("localkube:node-informers", "localkube:node-informers"),
            ):
                await _create(
                    admin,
                    f"{rbac}/clusterrolebindings",
                    {
                        "metadata": {"name": name},
                        "roleRef": {
                            "apiGroup": "rbac.authorization.k8s.io",
                            "kind": "ClusterRole",
                            "name": role,
                        },
                        "subjects": [node_user],
                    },
                )
            await self._wait_default_service_account(admin)
        finally:
            await admin.close()
        kubeconfigs.write(
            self.kubeconfig_path,
            kubeconfigs.kubeconfig(
                self.url, self.ca_cert_path, {"token": self.creds.admin_token}, "localkube-admin"
            ),
        )

    async def _wait_default_service_account(self, admin: ApiClient) -> None:
        path = "/api/v1/namespaces/default/serviceaccounts"
        listing = await admin.get(path)
        if any(sa["metadata"]["name"] == "default" for sa in listing.get("items") or []):
            return
        rv = (listing.get("metadata") or {}).get("resourceVersion", "")
        params = {"resourceVersion": rv, "fieldSelector": "metadata.name=default", "timeoutSeconds": "60"}
        async with asyncio.timeout(START_TIMEOUT):
            async for event in admin.watch(path, params):
                if event.get("type") == "ADDED":
                    return
        raise self._fail("kube-controller-manager", "made no default ServiceAccount")

    def node_serving_tls(self) -> ssl.SSLContext:
        """TLS for the node's kubelet API: a serving certificate from the cluster CA for the
        address kube-apiserver dials (it checks it with --kubelet-certificate-authority), and only
        clients with a certificate from that CA (kube-apiserver's --kubelet-client-certificate)."""
        return certs.kubelet_server_context(
            self.layout.pki_dir,
            (self.node_address, self.node_name),
            name="kubelet-serving",
            common_name=f"system:node:{self.node_name}",
        )

    def snapshot(self) -> int:
        """A point to come back to with `reset`."""
        return etcdstate.revision(self.etcd_url)

    def reset(self, since: int) -> list[str]:
        """Delete every object created after the snapshot `since` (blocking; returns their keys).
        CustomResourceDefinitions go through the API first: the apiserver serves their resources
        until its own finalizer has run, and a CRD removed behind its back stays half-served."""
        self._delete_crds()
        return etcdstate.reset(self.etcd_url, since)

    def _api(
        self, method: str, path: str, patch: dict[str, Any] | None = None, accept: str = "application/json"
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.admin_token}", "Accept": accept}
        data = None
        if patch is not None:
            headers["Content-Type"] = "application/merge-patch+json"
            data = json.dumps(patch).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30, context=self._client_ssl()) as resp:
            result: dict[str, Any] = json.loads(resp.read())
            return result

    def _delete_crds(self) -> None:
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        items = self._api("GET", crds).get("items") or []
        # An object that keeps a finalizer after its controller stopped (a RayJob's, once the test's
        # operator is gone) would hold its CRD in Terminating until the apiserver gives up.
        self._strip_finalizers(items)
        for crd in items:
            with contextlib.suppress(urllib.error.HTTPError):
                self._api("DELETE", f"{crds}/{crd['metadata']['name']}")
        deadline = time.monotonic() + START_TIMEOUT
        while (left := self._api("GET", crds).get("items")) and time.monotonic() < deadline:
            # a controller still running may have added one meanwhile
            self._strip_finalizers(left)
            time.sleep(0.1)  # bounded: the apiserver's finalizer removes the CRD's objects first

    def _strip_finalizers(self, crds: list[dict[str, Any]]) -> None:
        """Remove the finalizers of every object of these CRDs (one LIST per CRD, a PATCH per
        object that has finalizers)."""
        for crd in crds:
            collection = leftovers.collection_path(crd)
            if collection is None:
                continue
            try:
                # metadata only: all it needs. Its managedFields nest as deep as the object,
                # which kube-apiserver allows to 10,000 levels, past Python's default limit.
                codec.ensure_recursion_limit()
                listing = self._api("GET", collection, accept=METADATA_LIST)
            except urllib.error.HTTPError:
                continue  # not served (yet, or any more): nothing of it to hold the CRD
            for path in leftovers.finalized_paths(collection, listing.get("items") or []):
                with contextlib.suppress(urllib.error.HTTPError):  # gone meanwhile
                    self._api("PATCH", path, {"metadata": {"finalizers": None}})

    async def stop(self) -> None:
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        with self._lock:
            self._stopping.set()
        # users of the API first, etcd last, so nothing logs a storm of connection errors
        for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
            proc = self.processes.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            (self.logs_dir / f"{name}.pid").unlink(missing_ok=True)


async def _create(client: ApiClient, path: str, body: dict[str, object]) -> None:
    try:
        await client.create(path, body)
    except ApiError as e:
        if e.status != 409:
            raise
