"""Pod IP allocation from the node's pod CIDR (pure)."""

from __future__ import annotations

import ipaddress


def gateway(cidr: str) -> str:
    """The bridge's address: the first host of the CIDR."""
    net = ipaddress.ip_network(cidr)
    return str(net.network_address + 1)


def allocate(cidr: str, used: set[str]) -> str:
    """The lowest free host address after the gateway; raises when the CIDR is full."""
    net = ipaddress.ip_network(cidr)
    gw = net.network_address + 1
    for addr in net.hosts():
        if addr == gw:
            continue
        s = str(addr)
        if s not in used:
            return s
    raise RuntimeError(f"pod CIDR {cidr} has no free address")
