"""The service proxy never dials loopback or link-local endpoint addresses, which would lead a pod
into the host's own services; only the API server's own Endpoints may name loopback."""

from __future__ import annotations

from typing import Any

from localkube.addresses import backends


def endpoints(ns: str, name: str, *ips: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": ns, "name": name},
        "subsets": [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"name": "http", "port": 8080}]}],
    }


def test_special_addresses_are_never_backends() -> None:
    eps = endpoints("team", "web", "10.244.0.7", "127.0.0.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1")
    assert backends(eps, "http") == [("10.244.0.7", 8080)]


def test_the_api_servers_own_endpoints_may_be_loopback() -> None:
    assert backends(endpoints("default", "kubernetes", "127.0.0.1"), "http") == [("127.0.0.1", 8080)]
    assert backends(endpoints("team", "kubernetes", "127.0.0.1"), "http") == []
