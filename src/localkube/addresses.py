"""Addresses a Service's endpoints may never name: the API server refuses them in Endpoints and
EndpointSlices, and the service proxy (and the API server's services/proxy) never dials them (pure)."""

from __future__ import annotations

import ipaddress
from typing import Any

_LINK_LOCAL_MULTICAST_V4 = ipaddress.ip_network("224.0.0.0/24")
_LINK_LOCAL_MULTICAST_V6 = ipaddress.ip_network("ff02::/16")


def special_ip(text: str) -> str:
    """Why an address may not be an endpoint ("" if it may), worded as Kubernetes'
    ValidateNonSpecialIP: a Service must not lead into the host's loopback or link-local services."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""  # the syntax is validation's concern
    if ip.is_unspecified:
        return f"may not be unspecified ({text})"
    if ip.is_loopback:
        return "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    if ip.is_link_local:
        return "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    if ip in _LINK_LOCAL_MULTICAST_V4 or ip in _LINK_LOCAL_MULTICAST_V6:
        return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
    return ""


def backends(endpoints: dict[str, Any] | None, port_name: str) -> list[tuple[str, int]]:
    """Ready (ip, port) pairs of an Endpoints object for the service port with this name (pure).
    Loopback and link-local addresses are never dialled (the API server refuses them from clients);
    only the API server's own `default/kubernetes` Endpoints, which it writes itself, name one."""
    out = []
    meta = (endpoints or {}).get("metadata") or {}
    api_server = (meta.get("namespace"), meta.get("name")) == ("default", "kubernetes")
    for subset in (endpoints or {}).get("subsets") or []:
        ports = subset.get("ports") or []
        match = [p for p in ports if (p.get("name") or "") == port_name] or (ports if len(ports) == 1 else [])
        for p in match:
            for addr in subset.get("addresses") or []:
                if api_server or not special_ip(addr["ip"]):
                    out.append((addr["ip"], int(p["port"])))
    return out
