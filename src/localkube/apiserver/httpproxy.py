"""The proxy subresources: pods/proxy, services/proxy and nodes/proxy relay an HTTP request to a
pod's IP, to a ready endpoint of a service, or to a node's kubelet, as kube-apiserver does
(`kubectl proxy` then reaches e.g. the Ray dashboard at
/api/v1/namespaces/NS/services/http:NAME:dashboard/proxy/). Plain HTTP requests only: an
upgraded connection (a websocket) is refused with 400; `kubectl port-forward` carries those.

Where a request goes is pure (`pod_target`, `service_target`, `node_target`); `Forwarder` sends it.
"""

from __future__ import annotations

import ssl as ssl_module
from typing import Any

import aiohttp
from aiohttp import web

from localkube.addresses import backends, special_ip
from localkube.apiserver import errors
from localkube.apiserver.core import NODE_KEY, Core
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.proxy import kubelet_address, relay
from localkube.apiserver.shapes import as_dict

# headers that belong to one hop, or to the client's credentials for this API server
_NOT_FORWARDED = {
    "authorization",
    "connection",
    "host",
    "keep-alive",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "impersonate-user",
    "impersonate-group",
    "impersonate-uid",
}


def split_name(name: str) -> tuple[str, str, str]:
    """`[scheme:]name[:port]` as the proxy subresources name their target: (scheme, name, port)."""
    parts = name.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return parts[0], parts[1], ":".join(parts[2:])


def tail(path: str) -> str:
    """What follows `/proxy` in a request path: the path asked of the target ("/" for none)."""
    _, _, rest = path.partition("/proxy")
    return rest if rest.startswith("/") else "/" + rest


def _scheme(scheme: str) -> str:
    if scheme not in ("", "http", "https"):
        raise errors.bad_request(f"unsupported scheme {scheme!r}: only http and https")
    return scheme or "http"


def pod_target(pod: dict[str, Any], scheme: str, port: str) -> str:
    """The base URL of a pod's port (80 when none is named)."""
    ip = str(as_dict(pod.get("status")).get("podIP") or "")
    if not ip or special_ip(ip):
        raise errors.bad_request("address not allowed")
    if port and not port.isdigit():
        named = [
            p.get("containerPort")
            for c in as_dict(pod.get("spec")).get("containers") or ()
            for p in as_dict(c).get("ports") or ()
            if as_dict(p).get("name") == port
        ]
        if not named:
            raise errors.bad_request(f"no port named {port!r} in pod {pod['metadata']['name']}")
        port = str(named[0])
    return f"{_scheme(scheme)}://{ip}:{port or 80}"


def service_target(
    name: str, service: dict[str, Any] | None, endpoints: dict[str, Any] | None, scheme: str, port: str
) -> str:
    """The base URL of the first ready endpoint of a service's port (its name or number; the only
    port when none is named); 503 when there is none, as kube-apiserver answers."""
    unavailable = errors.APIError(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
    if service is None:
        raise unavailable
    ports = [as_dict(p) for p in as_dict(service.get("spec")).get("ports") or ()]
    chosen = [p for p in ports if port and (p.get("name") == port or str(p.get("port")) == port)]
    if not port and len(ports) == 1:
        chosen = ports
    if not chosen:
        raise unavailable
    found = backends(endpoints, str(chosen[0].get("name") or ""))
    if not found:
        raise unavailable
    ip, target_port = found[0]
    return f"{_scheme(scheme)}://{ip}:{target_port}"


def node_target(node: dict[str, Any]) -> str:
    """The base URL of a node's kubelet; as kube-apiserver, never one on the API server's own
    loopback or link-local addresses (a Node object names any address its writer likes)."""
    try:
        ip, port = kubelet_address(node)
    except errors.APIError as e:
        raise errors.APIError(503, "ServiceUnavailable", e.message) from e
    if special_ip(ip):
        raise errors.bad_request("address not allowed")
    return f"https://{ip}:{port}"


class Forwarder:
    """Sends one proxied request and streams the answer back."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10), auto_decompress=False
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request, url: str, ssl: Any = True) -> web.StreamResponse:
        if request.headers.get("Upgrade"):
            raise errors.bad_request(
                "localkube's proxy subresources relay plain HTTP requests only; use kubectl port-forward"
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        body = await request.read()
        try:
            upstream = await self._client().request(
                request.method, url, headers=headers, data=body or None, ssl=ssl, allow_redirects=False
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            raise errors.APIError(503, "ServiceUnavailable", f"error trying to reach {url}: {e}") from e
        try:
            resp = web.StreamResponse(status=upstream.status)
            for k, v in upstream.headers.items():
                if k.lower() not in _NOT_FORWARDED:
                    resp.headers.add(k, v)
            return await relay(request, upstream, resp)
        finally:
            upstream.release()


class HTTPProxy:
    """pods/proxy, services/proxy, nodes/proxy: finds the target in the store and forwards."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.forwarder = Forwarder()
        # the kubelet client certificate (nodes/proxy); pods and services are not verified,
        # as kube-apiserver does not verify them
        self.ssl: ssl_module.SSLContext | None = None

    async def close(self) -> None:
        await self.forwarder.close()

    def target(self, plural: str, ns: str, name: str) -> tuple[str, Any]:
        scheme, target, port = split_name(name)
        if plural == "nodes":
            node = self.core.find(NODE_KEY, "", target)
            if node is None:
                raise errors.not_found("nodes", "", target)
            return node_target(node), self.ssl if self.ssl is not None else True
        if plural == "services":
            service = self.core.find(("", "services"), ns, target)
            endpoints = self.core.find(("", "endpoints"), ns, target)
            return service_target(target, service, endpoints, scheme, port), False
        pod = self.core.find(("", "pods"), ns, target)
        if pod is None:
            raise errors.not_found("pods", "", target)
        return pod_target(pod, scheme, port), False

    async def handle(
        self, request: web.Request, info: ResourceInfo, ns: str, name: str, sub: str
    ) -> web.StreamResponse:
        base, verify = self.target(info.plural, ns, name)
        url = base + tail(request.path) + (f"?{request.query_string}" if request.query_string else "")
        return await self.forwarder.forward(request, url, verify)
