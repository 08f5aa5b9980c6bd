"""Service ClusterIP and NodePort allocation (the API server's allocators), rebuilt from the store."""

from __future__ import annotations

import ipaddress
from typing import Any

from localkube.apiserver.fielderrors import INVALID, FieldError

NODE_PORTS = range(30000, 32768)


class Allocator:
    def __init__(self, service_cidr: str) -> None:
        self.network = ipaddress.ip_network(service_cidr)
        self.used: set[str] = set()
        self.ports: set[int] = set()
        self._next = 2  # .0 is the network, .1 the `kubernetes` service (allocated explicitly)

    @property
    def kubernetes_ip(self) -> str:
        return str(self.network.network_address + 1)

    def allocate(self, wanted: str | None) -> str | FieldError:
        if wanted:
            try:
                ip = ipaddress.ip_address(wanted)
            except ValueError:
                return FieldError("spec.clusterIPs[0]", INVALID, "must be a valid IP address", wanted)
            if ip not in self.network or ip == self.network.network_address:
                return FieldError(
                    "spec.clusterIPs",
                    INVALID,
                    f"failed to allocate IP {wanted}: the provided IP ({wanted}) is not in "
                    f"the valid range. The range of valid IPs is {self.network}",
                    [wanted],
                )
            if wanted in self.used:
                return FieldError(
                    "spec.clusterIPs",
                    INVALID,
                    f"failed to allocate IP {wanted}: provided IP is already allocated",
                    [wanted],
                )
            self.used.add(wanted)
            return wanted
        size = self.network.num_addresses
        for i in range(size - 2):
            offset = 2 + (self._next - 2 + i) % (size - 3)
            candidate = str(self.network.network_address + offset)
            if candidate not in self.used:
                self.used.add(candidate)
                self._next = offset + 1
                return candidate
        return FieldError("spec.clusterIPs", INVALID, "range is full", None)

    def release(self, ip: str | None) -> None:
        if ip:
            self.used.discard(ip)

    def allocate_port(self, wanted: int | None, path: str) -> int | FieldError:
        if wanted:
            if wanted not in NODE_PORTS:
                return FieldError(
                    path,
                    INVALID,
                    "provided port is not in the valid range. "
                    f"The range of valid ports is {NODE_PORTS.start}-{NODE_PORTS.stop - 1}",
                    wanted,
                )
            if wanted in self.ports:
                return FieldError(path, INVALID, "provided port is already allocated", wanted)
            self.ports.add(wanted)
            return wanted
        for port in NODE_PORTS:
            if port not in self.ports:
                self.ports.add(port)
                return port
        return FieldError(path, INVALID, "range is full", None)

    def release_port(self, port: int | None) -> None:
        if port:
            self.ports.discard(port)

    def reserve(self, service: dict[str, Any]) -> None:
        """Mark a stored Service's cluster IPs and node ports taken (after a restart)."""
        spec = service.get("spec") or {}
        for ip in [spec.get("clusterIP"), *(spec.get("clusterIPs") or [])]:
            if isinstance(ip, str) and ip not in ("", "None"):
                self.used.add(ip)
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and isinstance(port.get("nodePort"), int):
                self.ports.add(port["nodePort"])
