"""kubectl port-forward with the real kubectl: to a pod and to svc/NAME, two connections at once, a
server that listens on the pod's localhost only, and a closed port (kubectl shows the kubelet's
error and ends the session)."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.pods import create, wait_for, wait_ready

WEB = """
kind: Pod
apiVersion: v1
metadata: {name: web, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: nginx
    image: nginx
    ports: [{containerPort: 80, name: http}]
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
  - name: local
    image: busybox
    # listens on the pod's loopback only: reachable by port-forward (as in Kubernetes), not by IP
    command: [python3, -m, http.server, --bind, 127.0.0.1, --directory, /etc, "8000"]
    readinessProbe:
      exec: {command: [python3, -c, "import socket; socket.create_connection(('127.0.0.1', 8000))"]}
      periodSeconds: 1
"""

SERVICE = """
kind: Service
apiVersion: v1
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 8080, targetPort: http}]
"""

NGINX_PAGE = "built-in stand-in for the nginx image"


@contextmanager
def port_forward(cluster: Any, *args: str) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """`kubectl port-forward ARGS` with local ports chosen by kubectl; yields it and its ports."""
    kubectl = Path(sys.executable).parent / "kubectl"
    proc = subprocess.Popen(
        [str(kubectl), "--kubeconfig", str(cluster.kubeconfig), "port-forward", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ports: list[int] = []
        wanted = sum(1 for a in args if ":" in a)
        assert proc.stdout is not None
        while len(ports) < wanted:
            line = proc.stdout.readline()
            assert line, f"kubectl port-forward ended: {proc.communicate(timeout=10)}"
            m = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ->", line)
            if m:
                ports.append(int(m.group(1)))
        yield proc, ports
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)


def fetch(port: int, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return str(r.read().decode())


def test_port_forward_to_a_pod(cluster: Any, core: Any) -> None:
    create(core, WEB)
    wait_ready(core, "web")
    with port_forward(cluster, "pod/web", ":80", ":8000") as (_proc, (web, local)):
        assert NGINX_PAGE in fetch(web)
        # two connections at once, each its own pair of streams on the one SPDY connection
        with ThreadPoolExecutor(2) as pool:
            pages = list(pool.map(lambda p: fetch(*p), [(web, "/"), (local, "/hostname")]))
        assert NGINX_PAGE in pages[0]
        assert pages[1].strip() == "web"
        # and many in a row over the same session
        for _ in range(5):
            assert NGINX_PAGE in fetch(web)


def test_port_forward_to_a_service(cluster: Any, core: Any) -> None:
    create(core, WEB)
    create(core, SERVICE)
    wait_ready(core, "web")
    # kubectl resolves the service to one of its pods and the service port to the pod's port
    with port_forward(cluster, "svc/web", ":8080") as (proc, (port,)):
        assert NGINX_PAGE in fetch(port)
        assert proc.poll() is None


def test_a_closed_port_is_reported_by_kubectl(cluster: Any, core: Any) -> None:
    create(core, WEB)
    wait_ready(core, "web")
    with port_forward(cluster, "pod/web", ":81") as (proc, (port,)):
        try:
            fetch(port)
            raise AssertionError("a port nobody listens on answered")
        except OSError:
            pass
        # kubectl prints the kubelet's error and ends the session
        wait_for("kubectl to end", lambda: proc.poll() is not None, timeout=60)
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert "error forwarding port 81 to pod web_default" in err, err
    assert "connection refused" in err.lower(), err


def test_port_forward_and_exec_over_spdy_when_kubectl_does_not_use_websockets(
    cluster: Any, core: Any, monkeypatch: Any
) -> None:
    # kubectl's fallback (and older clients): a SPDY/3.1 upgrade the API server passes to the kubelet
    monkeypatch.setenv("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false")
    monkeypatch.setenv("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")
    create(core, WEB)
    wait_ready(core, "web")
    with port_forward(cluster, "pod/web", ":80") as (_proc, (port,)):
        assert NGINX_PAGE in fetch(port)
        assert NGINX_PAGE in fetch(port)
    kubectl = Path(sys.executable).parent / "kubectl"
    script = "tr a-z A-Z; echo to-stderr >&2; exit 3"
    argv = [str(kubectl), "--kubeconfig", str(cluster.kubeconfig), "exec", "-i", "web", "-c", "local"]
    out = subprocess.run(
        [*argv, "--", "sh", "-c", script],
        input="shout\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout == "SHOUT\n" and out.stderr.startswith("to-stderr\n"), out
    assert out.returncode == 3, out
