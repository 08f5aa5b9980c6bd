"""Host networking with netlink (pyroute2): the bridge, each pod's netns and veth, service IPs.

All functions are blocking netlink calls of a few milliseconds; callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
from pathlib import Path

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

from localkube.kubelet import names


def _forget_parent_signal_wakeup() -> None:
    """pyroute2 forks helpers (netns.create, IPRoute(netns=...)), and a fork keeps the parent's
    signal wakeup fd: a SIGTERM the helper receives would be read by the parent's asyncio loop as
    its own, and `localkube up` would stop. A forked child reports its signals to no one."""
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)


os.register_at_fork(after_in_child=_forget_parent_signal_wakeup)


def _link_index(ip: IPRoute, ifname: str) -> int | None:
    found = ip.link_lookup(ifname=ifname)
    return found[0] if found else None


def ensure_bridge(cidr: str) -> str:
    """Create the bridge with the CIDR's gateway address and the services dummy; enable forwarding.

    Returns the gateway IP. Forwarding stays inside the host: there is no NAT, so pod traffic can
    reach other pods and the host's own addresses but never leaves the machine.
    """
    net = ipaddress.ip_network(cidr)
    gw = str(net.network_address + 1)
    with IPRoute() as ip:
        idx = _link_index(ip, names.BRIDGE)
        if idx is None:
            ip.link("add", ifname=names.BRIDGE, kind="bridge")
            idx = _link_index(ip, names.BRIDGE)
        assert idx is not None
        # A bridge whose MAC was never set takes its lowest port's, so a new pod's veth could change
        # it; the host then drops other pods' frames to the old MAC (the gateway, so Services and
        # the API server) until their ARP entries expire. Setting it, even to itself, pins it.
        mac = ip.get_links(idx)[0].get_attr("IFLA_ADDRESS")
        ip.link("set", index=idx, address=mac)
        have = {a.get_attr("IFA_ADDRESS") for a in ip.get_addr(index=idx)}
        if gw not in have:
            ip.addr("add", index=idx, address=gw, prefixlen=net.prefixlen)
        ip.link("set", index=idx, state="up")
        if _link_index(ip, names.SERVICES_DUMMY) is None:
            # Kernels without the dummy driver: service IPs then live on the bridge.
            with contextlib.suppress(NetlinkError):
                ip.link("add", ifname=names.SERVICES_DUMMY, kind="dummy")
        didx = _link_index(ip, names.SERVICES_DUMMY)
        if didx is not None:
            ip.link("set", index=didx, state="up")
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
    return gw


def create_pod_network(uid: str, pod_ip: str, cidr: str) -> str:
    """A named netns with lo up, eth0 (pod_ip) on the bridge and a default route via the gateway.

    Returns the netns path.
    """
    net = ipaddress.ip_network(cidr)
    gw = str(net.network_address + 1)
    ns = names.netns_name(uid)
    veth = names.veth_name(uid)
    delete_pod_network(uid)
    netns.create(ns)
    try:
        with IPRoute() as ip:
            peer = "lkp" + names.short_uid(uid)
            ip.link("add", ifname=veth, kind="veth", peer={"ifname": peer, "net_ns_fd": ns})
            vidx = _link_index(ip, veth)
            br = _link_index(ip, names.BRIDGE)
            ip.link("set", index=vidx, master=br, state="up")
        with IPRoute(netns=ns) as nsip:
            pidx = _link_index(nsip, peer)
            nsip.link("set", index=pidx, ifname="eth0")
            nsip.addr("add", index=pidx, address=pod_ip, prefixlen=net.prefixlen)
            nsip.link("set", index=pidx, state="up")
            lo = _link_index(nsip, "lo")
            nsip.link("set", index=lo, state="up")
            nsip.route("add", dst="default", gateway=gw)
    except Exception:
        delete_pod_network(uid)
        raise
    return os.path.join(names.NETNS_DIR, ns)


def delete_pod_network(uid: str) -> None:
    """Remove the pod's veth (its peer goes with it) and netns; missing pieces are fine."""
    with IPRoute() as ip:
        idx = _link_index(ip, names.veth_name(uid))
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ip.link("del", index=idx)
    ns = names.netns_name(uid)
    if ns in netns.listnetns():
        with contextlib.suppress(OSError):
            netns.remove(ns)


def _services_link(ip: IPRoute) -> int | None:
    idx = _link_index(ip, names.SERVICES_DUMMY)
    return idx if idx is not None else _link_index(ip, names.BRIDGE)


def add_service_ip(addr: str) -> None:
    with IPRoute() as ip:
        idx = _services_link(ip)
        if idx is None:
            return
        have = {a.get_attr("IFA_ADDRESS") for a in ip.get_addr(index=idx)}
        if addr not in have:
            ip.addr("add", index=idx, address=addr, prefixlen=32)


def remove_service_ip(addr: str) -> None:
    with IPRoute() as ip:
        idx = _services_link(ip)
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ip.addr("del", index=idx, address=addr, prefixlen=32)


def our_links() -> list[str]:
    with IPRoute() as ip:
        out = []
        for link in ip.get_links():
            name = link.get_attr("IFLA_IFNAME") or ""
            if name in (names.BRIDGE, names.SERVICES_DUMMY) or name.startswith(names.VETH_PREFIX):
                out.append(name)
        return out


def our_netns() -> list[str]:
    return [n for n in netns.listnetns() if n.startswith(names.NETNS_PREFIX)]


def remove_all() -> None:
    """Remove every netns, veth, bridge and dummy interface of ours (also a crashed run's)."""
    for ns in our_netns():
        with contextlib.suppress(OSError):
            netns.remove(ns)
    with IPRoute() as ip:
        for name in our_links():
            idx = _link_index(ip, name)
            if idx is not None:
                with contextlib.suppress(NetlinkError):
                    ip.link("del", index=idx)
