"""API clients for tests: as someone other than the cluster admin, or sending exact bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes
import urllib3

from localkube.apiserver.server import APIServer
from support.waiting import wait_for


def client_with_token(server: APIServer, token: str) -> kubernetes.client.ApiClient:
    """The official client against `server`, authenticating with a bearer token only."""
    conf = kubernetes.client.Configuration()
    conf.host = server.url
    conf.ssl_ca_cert = str(server.ca_cert_path)
    conf.api_key = {"BearerToken": token}
    conf.api_key_prefix = {"BearerToken": "Bearer"}
    return kubernetes.client.ApiClient(conf)


def read_or_none(read: Callable[..., Any], *args: Any) -> Any:
    """`read(*args)` with the official client, or None where the object is not there (404)."""
    try:
        return read(*args)
    except kubernetes.client.ApiException as e:
        if e.status == 404:
            return None
        raise


class RawClient:
    """Exact bytes and headers over the official client's connection pool, with its token (the
    admin's unless `token` is given): for what the typed client would not send."""

    def __init__(self, k8s: kubernetes.client.ApiClient) -> None:
        self.conf = k8s.configuration
        self.pool = k8s.rest_client.pool_manager

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        token: str | None = None,
        accept: str = "application/json",
    ) -> urllib3.BaseHTTPResponse:
        auth = token if token is not None else self.conf.get_api_key_with_prefix("BearerToken") or ""
        headers = {"Content-Type": content_type, "Accept": accept, "Authorization": auth}
        return self.pool.request(method, self.conf.host + path, headers=headers, body=body, retries=False)


def wait_unauthorized(call: Callable[[], object], timeout: float = 30.0) -> None:
    """Wait until `call` is refused with 401. kube-apiserver learns that a token's service account
    or pod is gone from its informers, a moment after the delete; localkube at once."""

    def refused() -> bool:
        try:
            call()
        except kubernetes.client.ApiException as e:
            if e.status == 401:
                return True
            raise
        return False

    wait_for("the token to be refused (401)", refused, timeout=timeout)
