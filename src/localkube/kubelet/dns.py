"""Name resolution inside pods without a DNS server: each pod's own /etc/hosts lists every Service
under the names cluster DNS would answer, and is rewritten in place when Services change (pure
rendering; the in-place writer keeps the inode so the bind mount inside running pods follows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localkube.kubelet.names import CLUSTER_DOMAIN


@dataclass(frozen=True)
class ServiceRecord:
    name: str
    namespace: str
    ips: tuple[str, ...]  # the ClusterIP, or the ready pod IPs of a headless service
    # headless services also name each pod: HOSTNAME.SVC.NS.svc.cluster.local
    pod_hostnames: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PodIdentity:
    name: str
    namespace: str
    ip: str
    hostname: str = ""
    subdomain: str = ""


def service_names(name: str, namespace: str, own_namespace: str) -> list[str]:
    names = [f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}", f"{name}.{namespace}.svc", f"{name}.{namespace}"]
    if namespace == own_namespace:
        names.append(name)
    return names


def render_hosts(pod: PodIdentity, services: list[ServiceRecord]) -> str:
    lines = [
        "# Kubernetes-managed hosts file (localkube).",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
    ]
    host = pod.hostname or pod.name
    own = [host]
    if pod.subdomain:
        own.insert(0, f"{host}.{pod.subdomain}.{pod.namespace}.svc.{CLUSTER_DOMAIN}")
    if pod.ip:
        lines.append(f"{pod.ip}\t" + " ".join(own))
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        names = " ".join(service_names(svc.name, svc.namespace, pod.namespace))
        for ip in svc.ips:
            lines.append(f"{ip}\t{names}")
        for hostname, ip in svc.pod_hostnames:
            lines.append(f"{ip}\t{hostname}.{svc.name}.{svc.namespace}.svc.{CLUSTER_DOMAIN}")
    return "\n".join(lines) + "\n"


def render_resolv(namespace: str) -> str:
    # No nameserver runs: names come from /etc/hosts; the search path matches a cluster's.
    return (
        f"search {namespace}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}\n"
        "nameserver 127.0.0.1\noptions ndots:5 attempts:1 timeout:1\n"
    )


def write_in_place(path: Path, content: str) -> bool:
    """Rewrite without replacing the inode; returns whether the content changed."""
    data = content.encode()
    with path.open("r+b") as f:
        if f.read() == data:
            return False
        f.seek(0)
        f.write(data)
        f.truncate()
    return True
