"""Command lines of the real control plane's four processes (pure): everything on loopback, RBAC
and the Node authorizer on, service-account tokens signed with our key, one CA for all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localkube.controlplane.pki import Credentials

SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


@dataclass(frozen=True)
class Ports:
    apiserver: int
    etcd_client: int
    etcd_peer: int
    controller_manager: int
    scheduler: int


@dataclass(frozen=True)
class Layout:
    """Where the binaries are and where each process keeps its state."""

    binaries: Path
    data_dir: Path

    @property
    def etcd_dir(self) -> Path:
        return self.data_dir / "etcd"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    def kubeconfig(self, component: str) -> Path:
        return self.pki_dir / f"{component}.kubeconfig"

    @property
    def audit_policy(self) -> Path:
        return self.data_dir / "audit-policy.yaml"

    @property
    def audit_log(self) -> Path:
        return self.data_dir / "logs" / "audit.log"


# Every request at Metadata level (who, what, which User-Agent; no bodies), once it completed:
# benchmarks count each client's requests in it, as kube-apiserver's metrics have no client label.
AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
"""


def etcd(layout: Layout, ports: Ports) -> list[str]:
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    client = f"http://127.0.0.1:{ports.etcd_client}"
    return [
        str(layout.binaries / "etcd"),
        "--name=localkube",
        f"--data-dir={layout.etcd_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=localkube={peer}",
        "--log-level=warn",
        # a throwaway single-member store: fsync only costs the tests time
        "--unsafe-no-fsync=true",
    ]


def apiserver(
    layout: Layout, ports: Ports, creds: Credentials, *, advertise: str, service_cidr: str
) -> list[str]:
    return [
        str(layout.binaries / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        # The address written into the `kubernetes` Endpoints: Endpoints may not hold loopback
        # addresses, so it is the node's bridge address (the kubelet's service proxy reaches
        # this host's servers there).
        f"--advertise-address={advertise}",
        f"--cert-dir={layout.pki_dir}",
        f"--tls-cert-file={creds.serving.cert}",
        f"--tls-private-key-file={creds.serving.key}",
        f"--client-ca-file={creds.ca_cert}",
        f"--token-auth-file={creds.token_file}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        f"--service-cluster-ip-range={service_cidr}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={creds.sa_pub}",
        f"--service-account-signing-key-file={creds.sa_key}",
        f"--kubelet-client-certificate={creds.kubelet_client.cert}",
        f"--kubelet-client-key={creds.kubelet_client.key}",
        f"--kubelet-certificate-authority={creds.ca_cert}",
        "--kubelet-preferred-address-types=InternalIP,Hostname",
        "--allow-privileged=true",
        "--profiling=false",
        f"--audit-policy-file={layout.audit_policy}",
        f"--audit-log-path={layout.audit_log}",
        "--audit-log-maxsize=200",
        "--audit-log-maxbackup=1",
    ]


def _component(layout: Layout, name: str, port: int) -> list[str]:
    kubeconfig = layout.kubeconfig(name)
    return [
        str(layout.binaries / name),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={layout.pki_dir / name}",
        "--leader-elect=false",
        "--profiling=false",
    ]


def controller_manager(
    layout: Layout, ports: Ports, creds: Credentials, *, service_cidr: str, disabled: Sequence[str] = ()
) -> list[str]:
    return [
        *_component(layout, "kube-controller-manager", ports.controller_manager),
        f"--service-account-private-key-file={creds.sa_key}",
        f"--root-ca-file={creds.ca_cert}",
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={service_cidr}",
        *([f"--controllers=*,{','.join('-' + name for name in disabled)}"] if disabled else []),
    ]


def scheduler(layout: Layout, ports: Ports) -> list[str]:
    return _component(layout, "kube-scheduler", ports.scheduler)
