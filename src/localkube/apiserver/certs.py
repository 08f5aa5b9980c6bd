"""localkube's own certificate authority, the API server's serving certificate, and the kubelet's
TLS: its serving certificate and the API server's client certificate for it (the kubelet trusts
only client certificates of this CA, as kubelet's --client-ca-file). The one place that knows the
files: PKI_FILES, kubelet_server_context and kubelet_client_context."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DNS_SANS = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True)
class CertPaths:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _load_or_make_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = directory / "ca.crt", directory / "ca.key"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localkube-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_key(key_path, key)
    return cert, key


def _san(entry: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(entry))
    except ValueError:
        return x509.DNSName(entry)


def _issue(
    directory: Path,
    name: str,
    common_name: str,
    *,
    groups: Sequence[str] = (),
    sans: Sequence[str] = (),
    usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.SERVER_AUTH,
) -> tuple[Path, Path]:
    """A certificate signed by the CA in `directory` (made if missing), written there as
    NAME.crt and NAME.key."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _load_or_make_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    subject.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_san(s) for s in sans]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_key(key_path, key)
    return cert_path, key_path


def make_serving_cert(directory: Path, service_ip: str, extra_sans: Sequence[str] = ()) -> CertPaths:
    """Ensure a CA in `directory` and issue a fresh serving certificate for the API server."""
    sans: list[str] = ["127.0.0.1", service_ip, *DNS_SANS]
    sans += [s for s in extra_sans if s not in sans]
    cert, key = _issue(directory, "apiserver", "kube-apiserver", sans=sans)
    return CertPaths(directory / "ca.crt", directory / "ca.key", cert, key)


def issue_serving_cert(directory: Path, name: str, common_name: str, sans: Sequence[str]) -> CertPaths:
    """A serving certificate for another server of the cluster (a kubelet), from the same CA."""
    cert, key = _issue(directory, name, common_name, sans=sans)
    return CertPaths(directory / "ca.crt", directory / "ca.key", cert, key)


@dataclass(frozen=True)
class ClientCert:
    cert: Path
    key: Path


def issue_client_cert(directory: Path, name: str, common_name: str, groups: Sequence[str] = ()) -> ClientCert:
    """A client certificate from the CA in `directory` (made if missing), written as NAME.crt and
    NAME.key there: an API server takes CN as the user name and each O as a group."""
    cert, key = _issue(directory, name, common_name, groups=groups, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    return ClientCert(cert, key)


# file names under the PKI directory (DIR/pki)
PKI_FILES = {
    "ca": "ca.crt",
    "kubelet-client-cert": "apiserver-kubelet-client.crt",
    "kubelet-client-key": "apiserver-kubelet-client.key",
    "kubelet-serving-cert": "kubelet.crt",
    "kubelet-serving-key": "kubelet.key",
}
KUBELET_CLIENT_CN = "kube-apiserver-kubelet-client"


def make_kubelet_client_cert(directory: Path) -> tuple[Path, Path]:
    """The API server's client certificate for kubelets (kube-apiserver --kubelet-client-certificate)."""
    client = issue_client_cert(directory, "apiserver-kubelet-client", KUBELET_CLIENT_CN, ["system:masters"])
    return client.cert, client.key


def kubelet_server_context(
    directory: Path,
    node_ips: Sequence[str],
    name: str = "kubelet",
    common_name: str = "localkube-kubelet",
) -> ssl.SSLContext:
    """The kubelet's TLS: a serving certificate for its addresses (and names), and client
    certificates of the cluster CA required from every caller; anything else fails the handshake."""
    cert, key = _issue(directory, name, common_name, sans=["127.0.0.1", *node_ips])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(directory / PKI_FILES["ca"]))
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def kubelet_client_context(directory: Path) -> ssl.SSLContext:
    """What the API server presents to kubelets (and checks their serving certificates against)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(directory / PKI_FILES["ca"]))
    ctx.load_cert_chain(
        directory / PKI_FILES["kubelet-client-cert"], directory / PKI_FILES["kubelet-client-key"]
    )
    return ctx
