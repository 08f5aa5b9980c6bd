"""The real control plane's credentials: one CA (localkube's own, so every client that trusts a
localkube cluster trusts this one), client certificates for each component, and the
service-account signing key."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from localkube.apiserver import certs
from localkube.apiserver.certs import ClientCert, issue_client_cert

NODE_GROUP = "system:nodes"


@dataclass(frozen=True)
class Credentials:
    ca_cert: Path
    ca_key: Path
    serving: certs.CertPaths
    admin_token: str
    node_token: str
    token_file: Path
    sa_key: Path
    sa_pub: Path
    kubelet_client: ClientCert  # the API server's identity towards kubelets
    controller_manager: ClientCert
    scheduler: ClientCert


def token_file_lines(admin_token: str, node_token: str, node_name: str) -> str:
    """kube-apiserver's --token-auth-file: token,user,uid,"group1,group2" (pure). The admin keeps
    a bearer token so DIR/kubeconfig has the same shape as localkube's; the node gets its own
    identity in system:nodes, as a kubelet has. The admin's user name is localkube's (and
    kubeadm's), kubernetes-admin."""
    return (
        f'{admin_token},kubernetes-admin,kubernetes-admin,"system:masters"\n'
        f'{node_token},system:node:{node_name},system:node:{node_name},"{NODE_GROUP}"\n'
    )


def make_credentials(
    directory: Path, service_ip: str, extra_sans: Sequence[str], node_name: str
) -> Credentials:
    """Everything the control plane needs, in `directory` (a CA already there is kept)."""
    serving = certs.make_serving_cert(directory, service_ip, extra_sans)
    sa = ec.generate_private_key(ec.SECP256R1())
    sa_key, sa_pub = directory / "sa.key", directory / "sa.pub"
    if not sa_key.exists():
        certs.write_key(sa_key, sa)
        sa_pub.write_bytes(
            sa.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    admin_token, node_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    token_file = directory / "tokens.csv"
    token_file.write_text(token_file_lines(admin_token, node_token, node_name))
    token_file.chmod(0o600)
    return Credentials(
        ca_cert=serving.ca_cert,
        ca_key=serving.ca_key,
        serving=serving,
        admin_token=admin_token,
        node_token=node_token,
        token_file=token_file,
        sa_key=sa_key,
        sa_pub=sa_pub,
        kubelet_client=issue_client_cert(
            directory, "apiserver-kubelet-client", "kube-apiserver-kubelet-client"
        ),
        controller_manager=issue_client_cert(
            directory, "controller-manager", "system:kube-controller-manager"
        ),
        scheduler=issue_client_cert(directory, "scheduler", "system:kube-scheduler"),
    )
