"""Pod log/exec/attach/portforward: proxied to the kubelet of the pod's node, as kube-apiserver does.

Kubelets speak HTTPS and want the API server's kubelet client certificate. Logs stream
(`follow` included); exec, attach and portforward are websocket upgrades
relayed frame by frame in both directions with the subprotocol the client negotiated with the kubelet,
or SPDY/3.1 upgrades (kubectl without websockets, older clients) passed on to the kubelet, whose
bytes are then copied as they are, as kube-apiserver's upgrade-aware proxy does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web

from localkube import upgrade
from localkube.apiserver import errors
from localkube.apiserver.core import NODE_KEY, Core
from localkube.apiserver.kinds import ResourceInfo

KUBELET_PATHS = {"log": "containerLogs", "exec": "exec", "attach": "attach", "portforward": "portForward"}


def pick_container(pod: dict[str, Any], wanted: str | None) -> str:
    """The container a log/exec request means: the named one, or the only one. As kube-apiserver,
    the server does not read kubectl's default-container annotation (kubectl does, and names the
    container it picks)."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    containers = [c.get("name") for c in spec.get("containers") or () if isinstance(c, dict)]
    others = [
        c.get("name")
        for k in ("initContainers", "ephemeralContainers")
        for c in spec.get(k) or ()
        if isinstance(c, dict)
    ]
    if wanted:
        if wanted not in containers and wanted not in others:
            raise errors.bad_request(f"container {wanted} is not valid for pod {name}")
        return wanted
    if len(containers) == 1:
        return str(containers[0])
    if not containers:
        raise errors.bad_request(f"pod {name} has no containers")
    # kube-apiserver asks the client to choose; kubectl itself picks the first and says so
    message = (
        f"a container name must be specified for pod {name}, choose one of: "
        f"[{' '.join(str(c) for c in containers)}]"
    )
    inits = [c.get("name") for c in spec.get("initContainers") or () if isinstance(c, dict)]
    if inits:
        message += f" or one of the init containers: [{' '.join(str(c) for c in inits)}]"
    raise errors.bad_request(message)


def kubelet_address(node: dict[str, Any]) -> tuple[str, int]:
    status = node.get("status") or {}
    addresses = status.get("addresses") or []
    ip = next((a.get("address") for a in addresses if a.get("type") == "InternalIP"), None)
    ip = ip or next((a.get("address") for a in addresses if a.get("address")), None)
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    if not ip or not port:
        raise errors.APIError(
            500, "InternalError", f"node {node['metadata']['name']} has no kubelet address", {}
        )
    return str(ip), int(port)


async def relay(
    request: web.Request, upstream: aiohttp.ClientResponse, resp: web.StreamResponse
) -> web.StreamResponse:
    """Stream an upstream answer's body to the client as it arrives."""
    await resp.prepare(request)
    async for chunk in upstream.content.iter_any():
        await resp.write(chunk)
    await resp.write_eof()
    return resp


class PodProxy:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._session: aiohttp.ClientSession | None = None
        # client certificate for kubelets, which answer only the cluster CA's client certificates
        self.ssl: ssl_module.SSLContext | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
                connector=aiohttp.TCPConnector(ssl=self.ssl if self.ssl is not None else True),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def target(self, ns: str, name: str, sub: str, query: dict[str, str]) -> str | None:
        """The kubelet URL of the request; None for the logs of a pod no node runs yet (empty, as
        kube-apiserver answers them)."""
        pod = self.core.find(("", "pods"), ns, name)
        if pod is None:
            raise errors.not_found("pods", "", name)
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            if sub == "log":
                pick_container(pod, query.get("container"))
                return None
            raise errors.bad_request(f"pod {name} does not have a host assigned")
        node = self.core.find(NODE_KEY, "", node_name)
        if node is None:
            raise errors.not_found("nodes", "", node_name)
        ip, port = kubelet_address(node)
        path = f"/{KUBELET_PATHS[sub]}/{ns}/{name}"
        if sub != "portforward":
            container = pick_container(pod, query.pop("container", None))
            path += f"/{container}"
        return f"https://{ip}:{port}{path}"

    async def handle(
        self, request: web.Request, info: ResourceInfo, ns: str, name: str, sub: str
    ) -> web.StreamResponse:
        query = list(request.query.items())
        single = {k: v for k, v in query}
        url = self.target(ns, name, sub, single)
        if url is None:
            return web.Response(body=b"", content_type="text/plain")
        rest = [(k, v) for k, v in query if k != "container"]
        qs = urlencode(rest)
        if qs:
            url += "?" + qs
        if sub == "log":
            return await self._logs(request, url)
        if upgrade.is_spdy_upgrade(request):
            return await self._spdy(request, url)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise errors.bad_request("Upgrade request required")
        return await self._websocket(request, url)

    async def _logs(self, request: web.Request, url: str) -> web.StreamResponse:
        try:
            upstream = await self.session().get(url)
        except aiohttp.ClientError as e:
            raise errors.APIError(500, "InternalError", f'Get "{url}": {e}', {}) from e
        try:
            if upstream.status != 200:
                text = await upstream.text()
                raise errors.bad_request(text.strip() or f"kubelet answered {upstream.status}")
            resp = web.StreamResponse(
                status=200, headers={"Content-Type": upstream.headers.get("Content-Type", "text/plain")}
            )
            resp.enable_chunked_encoding()
            return await relay(request, upstream, resp)
        finally:
            upstream.release()

    async def _spdy(self, request: web.Request, url: str) -> web.StreamResponse:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = [
            f"{request.method} {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Connection: Upgrade",
            "Upgrade: SPDY/3.1",
            "Content-Length: 0",
            *(f"{upgrade.PROTOCOL_HEADER}: {p}" for p in upgrade.client_protocols(request)),
        ]
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    parts.hostname, parts.port, ssl=self.ssl if self.ssl is not None else True
                ),
                10,
            )
        except (OSError, TimeoutError) as e:
            raise errors.APIError(500, "InternalError", f"error dialing kubelet: {e}", {}) from e
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            status_line, *lines = answer.decode("latin-1").split("\r\n")
            status = int(status_line.split()[1])
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            writer.close()
            raise errors.APIError(500, "InternalError", f"error upgrading to the kubelet: {e}", {}) from e
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        if status != 101:
            # the kubelet's refusal (no common protocol, no such pod) goes back as it answered
            body = b""
            with contextlib.suppress(OSError, TimeoutError):
                body = await asyncio.wait_for(reader.read(1 << 16), 5)
            writer.close()
            return web.Response(status=status, body=body, content_type="text/plain")
        client = await upgrade.upgrade(request, fields.get(upgrade.PROTOCOL_HEADER.lower(), ""))

        async def to_kubelet() -> None:
            while data := await client.read():
                writer.write(data)
                await writer.drain()

        async def to_client() -> None:
            while data := await reader.read(1 << 16):
                await client.write(data)

        tasks = {asyncio.create_task(to_kubelet()), asyncio.create_task(to_client())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            writer.close()
            client.close()
        return client.response

    async def _websocket(self, request: web.Request, url: str) -> web.StreamResponse:
        protocols = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]
        try:
            upstream = await self.session().ws_connect(
                url, protocols=protocols, autoping=False, max_msg_size=0
            )
        except aiohttp.WSServerHandshakeError as e:
            raise errors.APIError(
                e.status if e.status >= 400 else 500,
                "InternalError",
                f"error dialing kubelet: {e.message}",
                {},
            ) from e
        except aiohttp.ClientError as e:
            raise errors.APIError(500, "InternalError", f"error dialing kubelet: {e}", {}) from e
        chosen = upstream.protocol
        ws = web.WebSocketResponse(protocols=[chosen] if chosen else (), autoping=False, max_msg_size=0)
        await ws.prepare(request)

        async def pump(src: Any, dst: Any) -> None:
            async for msg in src:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    await dst.send_bytes(msg.data)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    await dst.send_str(msg.data)
                elif msg.type == aiohttp.WSMsgType.PING:
                    await dst.ping(msg.data)
                elif msg.type == aiohttp.WSMsgType.PONG:
                    await dst.pong(msg.data)
                else:
                    break

        a = asyncio.create_task(pump(ws, upstream))
        b = asyncio.create_task(pump(upstream, ws))
        try:
            await asyncio.wait({a, b}, return_when=asyncio.FIRST_COMPLETED)
            # the kubelet closing ends the session: flush what it sent, then close the client side
            if b.done():
                with contextlib.suppress(Exception):
                    await a if a.done() else None
        finally:
            for t in (a, b):
                t.cancel()
            for t in (a, b):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            code = upstream.close_code or aiohttp.WSCloseCode.OK
            await upstream.close()
            await ws.close(code=code)
        return ws
