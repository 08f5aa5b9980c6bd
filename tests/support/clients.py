"""API clients for tests that act as someone other than the cluster admin."""

from __future__ import annotations

import kubernetes

from localkube.apiserver.server import APIServer


def client_with_token(server: APIServer, token: str) -> kubernetes.client.ApiClient:
    """The official client against `server`, authenticating with a bearer token only."""
    conf = kubernetes.client.Configuration()
    conf.host = server.url
    conf.ssl_ca_cert = str(server.ca_cert_path)
    conf.api_key = {"BearerToken": token}
    conf.api_key_prefix = {"BearerToken": "Bearer"}
    return kubernetes.client.ApiClient(conf)
