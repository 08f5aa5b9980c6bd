"""Pod IP allocation from the node's pod CIDR (pure)."""

from __future__ import annotations

import ipaddress


def gateway(cidr: str) -> str:
    """The bridge's address: the first host of the CIDR."""
    net = ipaddress.ip_network(cidr)
    return str(net.network_address + 1)


def allocate(cidr: str, used: set[str], after: str = "") -> str:
    """The first free host address after `after` (wrapping around), skipping the gateway.

    Allocating onwards instead of reusing the lowest free address keeps a just-released IP idle
    for a while, so neighbours' ARP caches do not send a new pod's traffic to the old pod's MAC.
    """
    net = ipaddress.ip_network(cidr)
    gw = net.network_address + 1
    first = int(gw) + 1
    last = int(net.broadcast_address) - 1
    if last < first:
        raise RuntimeError(f"pod CIDR {cidr} has no free address")
    start = int(ipaddress.ip_address(after)) + 1 if after else first
    size = last - first + 1
    for i in range(size):
        candidate = first + (start - first + i) % size
        s = str(ipaddress.ip_address(candidate))
        if s not in used:
            return s
    raise RuntimeError(f"pod CIDR {cidr} has no free address")
