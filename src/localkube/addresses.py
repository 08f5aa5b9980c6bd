"""Addresses a Service's endpoints may never name: the API server refuses them in Endpoints and
EndpointSlices, and the service proxy never dials them (pure)."""

from __future__ import annotations

import ipaddress

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
