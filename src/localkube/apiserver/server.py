"""The localkube API server: HTTPS, its own CA, the bootstrap objects, and the controllers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from kubeschema.timestamps import now_time
from localkube.apiserver import apiservices, authz, certs, codec
from localkube.apiserver.controllers import Controllers
from localkube.apiserver.core import Core, WriteOptions
from localkube.apiserver.durable import StateFile
from localkube.apiserver.errors import APIError
from localkube.apiserver.httpproxy import HTTPProxy
from localkube.apiserver.ipalloc import Allocator
from localkube.apiserver.kinds import Registry, ResourceInfo
from localkube.apiserver.proxy import PodProxy
from localkube.apiserver.rbac_cache import RBACAuthorizer
from localkube.apiserver.rest import RestAPI
from localkube.apiserver.store import Store
from localkube.apiserver.strategies import BUILTIN
from localkube.apiserver.tokens import TokenAuthority

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def tune_gc() -> None:
    """For a process that is mostly this server: stored objects are acyclic JSON, so the cyclic
    collector's full passes over tens of thousands of them only add latency. Move what exists at
    start out of its sight and collect far less often (measured: watch delivery max 190 -> 35 ms
    with 10,000 pods). Process-wide, so left to the program's entry point."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


STATE_FILE = "state.db"


class APIServer:
    """A Kubernetes API server on one machine. `start()` returns once it answers on `url`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        service_cidr: str = "10.96.0.0/12",
        extra_sans: Sequence[str] = (),
        authorization: str = "RBAC",
        durable: bool = False,
        fsync: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.service_cidr = service_cidr
        self.extra_sans = tuple(extra_sans)
        if authorization not in ("AlwaysAllow", "RBAC"):
            raise ValueError(f"unknown authorization mode {authorization!r}")
        self.authorization = authorization
        self.kubeconfig_path = self.data_dir / "kubeconfig"
        self.ca_cert_path = self.data_dir / "pki" / "ca.crt"
        # durable: objects, resourceVersion and the token signing key survive a restart
        self.durable = durable
        self.tokens = (
            TokenAuthority.kept_in(self.data_dir / "pki" / "tokens.json") if durable else TokenAuthority()
        )
        self.admin_token = self.tokens.admin_token
        self.store = Store(state=StateFile(self.data_dir / STATE_FILE, sync=fsync) if durable else None)
        self.registry = Registry(BUILTIN)
        self.allocator = Allocator(service_cidr)
        self.core = Core(self.store, self.registry, self.allocator)
        self.controllers = Controllers(self.core)
        self.proxy = PodProxy(self.core)
        self.http_proxy = HTTPProxy(self.core)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._serving = False

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def service_ip(self) -> str:
        return str(ipaddress.ip_network(self.service_cidr).network_address + 1)

    async def start(self) -> None:
        codec.ensure_recursion_limit()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig_path.unlink(missing_ok=True)
        paths = certs.make_serving_cert(self.data_dir / "pki", self.service_ip, self.extra_sans)
        certs.make_kubelet_client_cert(self.data_dir / "pki")
        self.proxy.ssl = self.http_proxy.ssl = certs.kubelet_client_context(self.data_dir / "pki")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(paths.cert, paths.key)
        app = web.Application(client_max_size=4 * 1024 * 1024)
        rest = RestAPI(
            self.core, self.tokens, f"{self.host}:{self.port}", self.proxy.handle, self.http_proxy.handle
        )
        rest.install(app)
        app.middlewares.insert(0, self._refuse_when_stopped)
        if self.authorization == "RBAC":
            # as kube-apiserver: every identity but system:masters is held to RBAC
            rbac = RBACAuthorizer(self.store)
            rest.decide = rbac.decide
            rest.rules = rbac.rules
        self.core.after_create.append(self._namespace_created)
        if self.store.load():
            for service in self.store.items(("", "services"), None):
                self.allocator.reserve(service.obj)
        # every request is logged when the server's logger is at DEBUG (`localkube up -v`)
        access_log = logging.getLogger("localkube.access") if log.isEnabledFor(logging.DEBUG) else None
        self._runner = web.AppRunner(app, access_log=access_log, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        self._serving = True
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ctx, backlog=1024)
        await site.start()
        if self.port == 0:
            server = site._server
            assert server is not None and hasattr(server, "sockets")
            self.port = server.sockets[0].getsockname()[1]
        rest.server_address = f"{self.host}:{self.port}"
        self._tasks.append(asyncio.create_task(self.controllers.run(), name="localkube-controllers"))
        self._bootstrap()
        await self._wait_answering(ctx)
        self._write_kubeconfig()

    @web.middleware
    async def _refuse_when_stopped(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # A connection accepted before stop() but still in its TLS handshake then is unknown to
        # aiohttp's shutdown, and would be served afterwards from the old, closed store (in a
        # process that starts a new server, a client could talk to the dead one for ever).
        if not self._serving:
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable(text="localkube API server stopped")
        return await handler(request)

    async def stop(self) -> None:
        self._serving = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self.store.close_watchers()
        await self.proxy.close()
        await self.http_proxy.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.store.close()

    async def _wait_answering(self, _ctx: ssl.SSLContext) -> None:
        # The kubeconfig appears only when a real HTTPS request is answered.
        import aiohttp

        client_ctx = ssl.create_default_context(cafile=str(self.ca_cert_path))
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{self.url}/readyz", ssl=client_ctx) as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("localkube API server did not answer")

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [
                {
                    "name": "localkube",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_cert_path)},
                }
            ],
            "users": [{"name": "localkube-admin", "user": {"token": self.admin_token}}],
            "contexts": [
                {
                    "name": "localkube",
                    "context": {"cluster": "localkube", "user": "localkube-admin", "namespace": "default"},
                }
            ],
            "current-context": "localkube",
        }
        tmp = self.kubeconfig_path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
        tmp.chmod(0o600)
        tmp.replace(self.kubeconfig_path)

    # ------------------------------------------------------------------ bootstrap objects

    def _create(
        self,
        plural: str,
        ns: str,
        obj: dict[str, Any],
        group: str = "",
        version: str = "v1",
        *,
        refresh: bool = False,
    ) -> None:
        """Create a bootstrap object; `refresh`: one kept from an earlier run is brought up to
        date (the `kubernetes` Service and Endpoints name this run's port)."""
        info = self.registry.get(group, version, plural)
        assert info is not None
        opts = WriteOptions(field_validation="Ignore")
        try:
            self.core.create(info, ns, obj, opts)
        except APIError as e:
            if e.code != 409:
                raise
            if refresh:
                name = obj["metadata"]["name"]
                old = self.core.get(info, ns, name).obj
                meta = {**obj["metadata"], "resourceVersion": old["metadata"]["resourceVersion"]}
                self.core.update(info, ns, name, {**old, **obj, "metadata": meta}, opts)

    def _create_with_status(self, plural: str, obj: dict[str, Any], group: str) -> None:
        """A cluster-scoped object whose status the server reports itself (a create drops it)."""
        self._create(plural, "", obj, group)
        info = self.registry.get(group, "v1", plural)
        assert info is not None
        stored = self.core.get(info, "", obj["metadata"]["name"])
        body = {**stored.obj, "status": obj["status"]}
        self.core.update(
            info, "", obj["metadata"]["name"], body, WriteOptions(field_validation="Ignore"), "status"
        )

    def _bootstrap(self) -> None:
        roles, bindings = authz.bootstrap_policy()
        for role in roles:
            self._create("clusterroles", "", role, authz.RBAC_GROUP)
        for binding in bindings:
            self._create("clusterrolebindings", "", binding, authz.RBAC_GROUP)
        self.controllers.aggregate_cluster_roles()
        for service in apiservices.local_apiservices(self.registry, now_time()):
            self._create_with_status("apiservices", service, "apiregistration.k8s.io")
        for ns in SYSTEM_NAMESPACES:
            self._create(
                "namespaces", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            )
        ip = self.allocator.kubernetes_ip
        self._create(
            "services",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": ip,
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": self.port}],
                },
            },
            refresh=True,
        )
        self._create(
            "endpoints",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                },
                "subsets": [
                    {
                        "addresses": [{"ip": "127.0.0.1"}],
                        "ports": [{"name": "https", "port": self.port, "protocol": "TCP"}],
                    }
                ],
            },
            refresh=True,
        )

    def _namespace_created(self, info: ResourceInfo, obj: dict[str, Any]) -> None:
        """What kube-controller-manager adds to every new namespace."""
        if info.plural != "namespaces" or info.group:
            return
        ns = obj["metadata"]["name"]
        self._create(
            "serviceaccounts",
            ns,
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
        )
        self._create(
            "configmaps",
            ns,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "annotations": {
                        "kubernetes.io/description": (
                            "Contains a CA bundle that can be used to verify the "
                            "kube-apiserver when using internal endpoints such as the "
                            "internal service IP or kubernetes.default.svc. No other "
                            "usage is guaranteed across distributions of Kubernetes "
                            "clusters."
                        )
                    },
                },
                "data": {"ca.crt": self.ca_cert_path.read_text()},
            },
        )
