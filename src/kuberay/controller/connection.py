"""Where the operator's API server is and how it authenticates: kubeconfig or in-cluster."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import kopf
from kubernetes_asyncio import client, config

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class Connection:
    configuration: client.Configuration
    source: str  # for the log line that says where we connect

    def api_client(self) -> client.ApiClient:
        return client.ApiClient(configuration=self.configuration)


async def connect(kubeconfig: str | None) -> Connection:
    """Load credentials the way kubectl users expect.

    An explicit --kubeconfig wins; in a pod the service account is used; otherwise $KUBECONFIG
    or ~/.kube/config.
    """
    configuration = client.Configuration()
    if kubeconfig:
        await config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
        return Connection(configuration, f"kubeconfig {kubeconfig}")
    if os.environ.get("KUBERNETES_SERVICE_HOST") and (SERVICE_ACCOUNT_DIR / "token").exists():
        config.load_incluster_config(client_configuration=configuration)
        return Connection(configuration, "in-cluster service account")
    await config.load_kube_config(client_configuration=configuration)
    return Connection(configuration, "default kubeconfig")


async def kopf_credentials(conn: Connection) -> kopf.ConnectionInfo:
    """The same credentials, in the form kopf's own watch client takes."""
    cfg = conn.configuration
    maybe = cfg.get_api_key_with_prefix("BearerToken")
    # a coroutine since kubernetes-asyncio 33.3
    header: str | None = await maybe if inspect.isawaitable(maybe) else maybe
    scheme: str | None = None
    token: str | None = None
    if header:
        parts = str(header).split(" ", 1)
        scheme, token = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    return kopf.ConnectionInfo(
        server=str(cfg.host),
        ca_path=cfg.ssl_ca_cert,
        insecure=not cfg.verify_ssl,
        username=cfg.username or None,
        password=cfg.password or None,
        scheme=scheme,
        token=token,
        certificate_path=cfg.cert_file,
        private_key_path=cfg.key_file,
    )
