"""The kubelet API answers only TLS clients with a certificate of the cluster CA (the API server's
kubelet client certificate): a local user without one, or with one from another CA, gets nothing."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from localkube.apiserver import certs
from localkube.kubelet.testing import Cluster
from support.pods import create, wait_for, wait_ready

POD = """
kind: Pod
apiVersion: v1
metadata: {name: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sh, -c, "echo secret-log-line; sleep infinity"]}
"""


def _get(url: str, ctx: ssl.SSLContext) -> str:
    with urllib.request.urlopen(url, timeout=30, context=ctx) as r:
        return str(r.read().decode())


def test_only_the_cluster_cas_client_certificates_are_answered(
    core: Any, kubectl: Any, cluster: Cluster, tmp_path: Path
) -> None:
    create(core, POD)
    wait_ready(core, "talker")
    wait_for("the log line", lambda: "secret-log-line" in kubectl("logs", "talker").stdout)
    node = next(n for n in core.list_node().items if n.metadata.name == "localkube")
    ip = next(a.address for a in node.status.addresses if a.type == "InternalIP")
    url = f"https://{ip}:{node.status.daemon_endpoints.kubelet_endpoint.port}/containerLogs/default/talker/main"
    pki = cluster.ca_cert.parent
    # the API server's client certificate: answered (that is how `kubectl logs` works) ...
    assert "secret-log-line" in _get(url, certs.kubelet_client_context(pki))
    # ... and how the API server's nodes/proxy reaches the kubelet
    health = kubectl("get", "--raw", "/api/v1/nodes/localkube/proxy/healthz")
    assert (health.returncode, health.stdout) == (0, "ok"), health.stderr
    # no client certificate at all
    anonymous = ssl.create_default_context(cafile=str(cluster.ca_cert))
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        _get(url, anonymous)
    # a client certificate from another CA
    other = tmp_path / "other-pki"
    certs.make_kubelet_client_cert(other)
    stranger = ssl.create_default_context(cafile=str(cluster.ca_cert))
    files = certs.PKI_FILES
    stranger.load_cert_chain(other / files["kubelet-client-cert"], other / files["kubelet-client-key"])
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        _get(url, stranger)
