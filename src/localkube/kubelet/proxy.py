"""kube-proxy in user space: each Service ClusterIP:port is a listening socket in the host's network
namespace (the ClusterIP is a /32 on our services interface), relaying every connection to one ready
endpoint. Pods reach ClusterIPs through their default route to the bridge."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from typing import Any

from localkube.addresses import backends
from localkube.kubelet import network

log = logging.getLogger(__name__)

ListenKey = tuple[str, int]  # (cluster IP, port)


def wanted_listeners(services: list[dict[str, Any]]) -> dict[ListenKey, tuple[str, str, str]]:
    """(clusterIP, port) -> (namespace, service name, port name) for every TCP service port (pure)."""
    out = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if not ip or ip == "None" or spec.get("type") == "ExternalName":
            continue
        meta = svc.get("metadata") or {}
        for p in spec.get("ports") or []:
            if (p.get("protocol") or "TCP") != "TCP":
                continue
            out[(ip, int(p["port"]))] = (meta.get("namespace", "default"), meta["name"], p.get("name") or "")
    return out


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


class ServiceProxy:
    def __init__(self, host_ip: str = "") -> None:
        # Endpoints may not hold loopback addresses, so the real API server advertises itself
        # at the node's address while it listens on loopback only: a backend at the node's
        # address that refuses is tried on loopback, the same host.
        self.host_ip = host_ip
        self.servers: dict[ListenKey, asyncio.Server] = {}
        self.targets: dict[ListenKey, tuple[str, str, str]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}  # "ns/name" -> Endpoints
        self._rr = itertools.count()
        self._conns: set[asyncio.Task[None]] = set()

    def set_endpoints(self, key: str, obj: dict[str, Any] | None) -> None:
        if obj is None:
            self.endpoints.pop(key, None)
        else:
            self.endpoints[key] = obj

    async def sync(self, services: list[dict[str, Any]]) -> None:
        want = wanted_listeners(services)
        self.targets = want
        for key in list(self.servers):
            if key not in want:
                server = self.servers.pop(key)
                server.close()
                if not any(k[0] == key[0] for k in want):
                    await asyncio.to_thread(network.remove_service_ip, key[0])
        for key in want:
            if key in self.servers:
                continue
            ip, port = key
            await asyncio.to_thread(network.add_service_ip, ip)
            try:
                self.servers[key] = await asyncio.start_server(
                    functools.partial(self._accept, key), ip, port, reuse_address=True
                )
            except OSError as e:
                log.error("service %s:%d cannot listen (its connections fail): %s", ip, port, e)

    def _accept(self, key: ListenKey, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._relay(key, reader, writer))
        self._conns.add(task)
        task.add_done_callback(self._conns.discard)

    async def _relay(
        self, key: ListenKey, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        target = self.targets.get(key)
        choices = backends(self.endpoints.get(f"{target[0]}/{target[1]}"), target[2]) if target else []
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        # try each backend once, starting at the round-robin position
        start = next(self._rr)
        for i in range(len(choices)):
            host, port = choices[(start + i) % len(choices)]
            hosts = [host, "127.0.0.1"] if host == self.host_ip else [host]
            for addr in hosts:
                try:
                    upstream = await asyncio.wait_for(asyncio.open_connection(addr, port), 5)
                    break
                except (OSError, TimeoutError):
                    continue
            if upstream is not None:
                break
        if upstream is None:
            writer.close()
            return
        ur, uw = upstream
        try:
            await asyncio.gather(_pipe(reader, uw), _pipe(ur, writer))
        finally:
            for w in (writer, uw):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()

    async def close(self) -> None:
        for server in self.servers.values():
            server.close()
        for t in list(self._conns):
            t.cancel()
        for key in self.servers:
            await asyncio.to_thread(network.remove_service_ip, key[0])
        self.servers.clear()
