"""One RayService with real Ray Serve on localkube (config/rayservice/ray-service.fruit.yaml: two
applications, six deployments, code from a ConfigMap), exercised end to end and shared by every
step to keep CI short: requests through `fruit-serve-svc`'s ClusterIP from a client pod get the
right answers; a `user_config` change is served without a new cluster; a worker env change does a
NewCluster upgrade while the client streams requests (the failed ones are counted: the goal is 0);
the serving head is killed and the service recovers. The figures are printed for the README."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict

import pytest

from support.rayservice import (
    Figures,
    bring_up,
    clusters,
    cost,
    in_place,
    kill_head,
    requests_seen,
    serve_selector,
    status,
    tear_down,
    upgrade,
)
from support.walkthrough import Stack, exec_in_head, head_pod_name, localkube_with_node


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_with_node(tmp_path_factory.mktemp("rayservice")) as s:
        s.kubectl.ok("wait", "--for=condition=Established", "crd/rayservices.ray.io", "--timeout=60s")
        yield s


def test_rayservice_serves_updates_upgrades_under_load_and_recovers(stack: Stack) -> None:
    kubectl = stack.kubectl
    fig = Figures()
    try:
        first = bring_up(kubectl, fig, deletion_delay=10)  # KubeRay's 60 s would only add CI time
        st = status(kubectl)
        assert st["activeServiceStatus"]["applicationStatuses"]["fruit_app"]["status"] == "RUNNING"
        deployments = st["activeServiceStatus"]["applicationStatuses"]["calc_app"]["serveDeploymentStatuses"]
        assert set(deployments) == {"Adder", "Multiplier", "Router"}
        assert st["numServeEndpoints"] >= 1 and serve_selector(kubectl) == first
        out = kubectl.ok("get", "rayservice", "fruit")
        assert "Running" in out
        # what the README's tutorial shows
        print("$ kubectl get rayservice\n" + out)
        print("$ kubectl get raycluster\n" + kubectl.ok("get", "raycluster"))
        print("$ kubectl get svc\n" + kubectl.ok("get", "svc"))
        print(
            "$ kubectl get pods -l ray.io/serve=true\n" + kubectl.ok("get", "pods", "-l", "ray.io/serve=true")
        )

        # both applications answer right through the serve Service, from inside the cluster
        assert cost(next(s for s in requests_seen(kubectl) if s.get("ok"))) == 6  # mango 3 x 2
        head = head_pod_name(kubectl, first)
        ip = kubectl.ok("get", "svc", "fruit-serve-svc", "-o", "jsonpath={.spec.clusterIP}").strip()
        calc = exec_in_head(
            kubectl,
            head,
            "python3",
            "-c",
            "import urllib.request; print(urllib.request.urlopen("
            f"'http://{ip}:8000/calc?op=mul&x=4', timeout=10).read().decode())",
        )
        assert json.loads(calc.strip().splitlines()[-1])["result"] == 20
        print("calc answer: " + calc.strip().splitlines()[-1])
        print("client log: " + json.dumps(requests_seen(kubectl)[-1]))

        # in place: a new price, same cluster, no pending one
        in_place(kubectl, fig, price=5)
        assert clusters(kubectl) == [first]
        assert "rayClusterName" not in status(kubectl).get("pendingServiceStatus", {})

        # a NewCluster upgrade under load
        second = upgrade(kubectl, fig, first)
        assert second != first and clusters(kubectl) == [second]
        assert status(kubectl)["activeServiceStatus"]["rayClusterName"] == second
        assert cost(requests_seen(kubectl)[-1]) == 10  # the new cluster got the current config
        assert fig.upgrade_requests > 0
        assert fig.upgrade_failed == 0, fig.notes

        # the serving head killed: the service answers again
        kill_head(kubectl, fig, second)
        assert cost(requests_seen(kubectl)[-1]) == 10
    finally:
        print("RAYSERVICE FIGURES " + json.dumps(asdict(fig)))
        tear_down(kubectl)
