"""The real control plane's credentials: one CA (localkube's own, so every client that trusts a
localkube cluster trusts this one), client certificates for each component, and the
service-account signing key."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localkube.apiserver import certs

NODE_GROUP = "system:nodes"


@dataclass(frozen=True)
class ClientCert:
    cert: Path
    key: Path


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


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / 'ca.key'}: expected an EC key (remove the directory to start afresh)")
    return cert, key


def issue_client_cert(directory: Path, name: str, common_name: str, groups: Sequence[str] = ()) -> ClientCert:
    """A client certificate from the CA in `directory`: the API server takes CN as the user and
    each O as a group."""
    ca_cert, ca_key = _load_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    subject.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    out = ClientCert(directory / f"{name}.crt", directory / f"{name}.key")
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(out.key, key)
    return out


def token_file_lines(admin_token: str, node_token: str, node_name: str) -> str:
    """kube-apiserver's --token-auth-file: token,user,uid,"group1,group2" (pure). The admin keeps
    a bearer token so DIR/kubeconfig has the same shape as localkube's; the node gets its own
    identity in system:nodes, as a kubelet has."""
    return (
        f'{admin_token},localkube-admin,localkube-admin,"system:masters"\n'
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
        _write_key(sa_key, sa)
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
