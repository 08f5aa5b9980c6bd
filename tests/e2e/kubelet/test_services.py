"""Services: names resolve in pods, ClusterIP ports reach ready pods' (named) targetPorts."""

from __future__ import annotations

from typing import Any

from support.pods import FRONTEND, WEB, create, python_run, wait_for, wait_phase, wait_ready


def test_pod_reaches_another_through_service_name_and_port(core: Any, kubectl: Any) -> None:
    create(core, FRONTEND)
    create(core, WEB)
    wait_ready(core, "web")

    def endpoints_ready() -> Any:
        ep = core.read_namespaced_endpoints("frontend", "default")
        return ep if ep.subsets and ep.subsets[0].addresses else None

    ep = wait_for("endpoints", endpoints_ready)
    assert ep.subsets[0].ports[0].port == 8080
    assert ep.subsets[0].addresses[0].target_ref.name == "web"
    slices = kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=frontend", "-o",
                     "jsonpath={.items[*].endpoints[*].addresses[0]} {.items[*].ports[*].port}")  # fmt: skip
    assert slices.stdout == f"{ep.subsets[0].addresses[0].ip} 8080"
    script = (
        "import urllib.request, os\n"
        "for url in ['http://frontend/', 'http://frontend.default/', 'http://frontend.default.svc.cluster.local:80/']:\n"
        "    print(urllib.request.urlopen(url, timeout=5).read().decode().strip())\n"
        "print(os.environ['FRONTEND_SERVICE_PORT'], os.environ['KUBERNETES_SERVICE_HOST'])\n"
        "import socket; print(socket.gethostbyname('kubernetes.default.svc'))\n"
    )
    create(core, python_run("client", script))
    wait_phase(core, "client", "Succeeded")
    out = kubectl("logs", "client").stdout.splitlines()
    assert out == ["served-by-web"] * 3 + ["80 10.96.0.1", "10.96.0.1"]


def test_kubernetes_service_reaches_the_api_server_from_a_pod(core: Any, kubectl: Any) -> None:
    script = (
        "import ssl, urllib.request\n"
        "d = '/var/run/secrets/kubernetes.io/serviceaccount/'\n"
        "ctx = ssl.create_default_context(cafile=d + 'ca.crt')\n"
        "req = urllib.request.Request('https://kubernetes.default.svc/api/v1/namespaces/default/pods',\n"
        "    headers={'Authorization': 'Bearer ' + open(d + 'token').read()})\n"
        "try:\n"
        "    print(urllib.request.urlopen(req, context=ctx, timeout=5).status)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
        "print(open(d + 'namespace').read())\n"
    )
    create(core, python_run("apicall", script))
    wait_phase(core, "apicall", "Succeeded")
    out = kubectl("logs", "apicall").stdout.splitlines()
    # TLS to the ClusterIP verified against the mounted CA; the default service account may be
    # forbidden to list pods (403) but it authenticated
    assert out[0] in ("200", "403")
    assert out[1] == "default"


def test_hosts_file_follows_new_services_in_running_pods(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: watcher}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, "300"]}
""",
    )
    wait_ready(core, "watcher")
    created = create(core, FRONTEND.replace("frontend", "latecomer"))
    ip = created.spec.cluster_ip

    def listed() -> Any:
        r = kubectl("exec", "watcher", "--", "cat", "/etc/hosts")
        return r.stdout if f"{ip}\tlatecomer.default.svc.cluster.local" in r.stdout else None

    hosts = wait_for("service in /etc/hosts", listed, timeout=30)
    assert "latecomer" in hosts.split()


def test_headless_service_names_resolve_to_ready_pod_ips_and_tcp_probe(core: Any, kubectl: Any) -> None:
    create(
        core,
        """
kind: Service
apiVersion: v1
metadata: {name: peers}
spec:
  clusterIP: None
  selector: {app: peer}
  ports: [{port: 7000}]
""",
    )
    for name in ("peer-a", "peer-b"):
        create(
            core,
            f"""
kind: Pod
apiVersion: v1
metadata: {{name: {name}, labels: {{app: peer}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: python:3.11
    command: [python, -m, http.server, "7000"]
    readinessProbe:
      tcpSocket: {{port: 7000}}
      periodSeconds: 1
""",
        )
    ips = {wait_ready(core, n).status.pod_ip for n in ("peer-a", "peer-b")}

    def resolved() -> Any:
        r = kubectl("exec", "peer-a", "--", "python", "-c",
                    "import socket; print(sorted(set(socket.gethostbyname_ex('peers')[2])))")  # fmt: skip
        return r.stdout.strip() if r.stdout.strip() == str(sorted(ips)) else None

    assert wait_for("headless name", resolved, timeout=30) == str(sorted(ips))


def test_pods_cannot_use_the_kubelet_api_directly(core: Any, kubectl: Any) -> None:
    # The node registers itself shortly after the fixture starts it.
    node = wait_for(
        "the node to register",
        lambda: next((n for n in core.list_node().items if n.metadata.name == "localkube"), None),
    )
    port = node.status.daemon_endpoints.kubelet_endpoint.port
    script = (
        "import urllib.request, urllib.error\n"
        "import ssl\n"
        f"url = 'https://10.244.0.1:{port}/containerLogs/default/nosy/main'\n"
        "try:\n"
        "    urllib.request.urlopen(url, timeout=60, context=ssl._create_unverified_context())\n"
        "    print('reached')\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
        "except Exception as e:\n"
        "    print('no answer:', repr(e))\n"
    )
    create(core, python_run("nosy", script, container="main"))
    wait_phase(core, "nosy", "Succeeded")
    # without a client certificate of the cluster CA, the TLS handshake fails: not even a 403
    assert kubectl("logs", "nosy").stdout.startswith("no answer:"), kubectl("logs", "nosy").stdout
