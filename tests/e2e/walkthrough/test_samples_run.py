"""The small samples run real Ray: the mini cluster is a working one-node Ray, and the
heterogeneous one is five Ray nodes (head, three small, one medium) that the sample's script in
/opt/sample_code.py reaches, as seed 003 shows."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from support.paths import OUR_SAMPLES
from support.walkthrough import (
    Stack,
    exec_in_head,
    localkube_with_node,
    pods,
    running,
    wait_for,
    wait_head_ready,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_with_node(tmp_path_factory.mktemp("samples-run")) as s:
        yield s


def test_mini_sample_is_a_one_node_ray_cluster(stack: Stack) -> None:
    kubectl = stack.kubectl
    kubectl.ok("apply", "-f", str(OUR_SAMPLES / "ray-cluster.mini.yaml"))
    try:
        head = wait_head_ready(kubectl, "raycluster-mini")
        out = exec_in_head(
            kubectl,
            head,
            "python",
            "-c",
            "import ray; ray.init(); print(len([n for n in ray.nodes() if n['Alive']]))",
        )
        assert out.strip().splitlines()[-1] == "1"
    finally:
        kubectl.ok("delete", "-f", str(OUR_SAMPLES / "ray-cluster.mini.yaml"))
        wait_for(
            "the mini cluster's pods to go", lambda: pods(kubectl, "ray.io/cluster=raycluster-mini") == []
        )


def test_heterogeneous_sample_code_sees_five_ray_nodes(stack: Stack) -> None:
    kubectl = stack.kubectl
    out = kubectl.ok("create", "-f", str(OUR_SAMPLES / "ray-cluster.heterogeneous.yaml"))
    assert "configmap/ray-code created" in out
    assert "raycluster.ray.io/raycluster-heterogeneous created" in out
    selector = "ray.io/cluster=raycluster-heterogeneous"
    head = wait_head_ready(kubectl, "raycluster-heterogeneous")
    all_running = wait_for(
        "five running pods",
        lambda: (lambda p: p if len(running(p)) == 5 else None)(pods(kubectl, selector)),
        300,
        2,
    )
    pod_ips = {p["status"]["podIP"] for p in all_running}

    def five_nodes() -> set[str] | None:
        printed = exec_in_head(kubectl, head, "python", "/opt/sample_code.py")
        line = next((x for x in printed.splitlines() if x.startswith("Ray Nodes:")), "")
        found = ast.literal_eval(line.split(":", 1)[1].strip()) if line else set()
        return found if len(found) == 5 else None

    # workers join Ray a little after their pods run
    assert wait_for("sample_code.py to print five node IPs", five_nodes, timeout=180, interval=5) == pod_ips
