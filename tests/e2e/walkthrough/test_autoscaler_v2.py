"""Autoscaler v2 (config/samples/ray-cluster.autoscaler-v2.yaml): the same walkthrough steps grow
and shrink the cluster, and `ray status` shows v2's view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.walkthrough import (
    Stack,
    actors,
    apply_docs,
    load_sample,
    localkube_with_node,
    names,
    quick_autoscaling,
    running,
    status_sections,
    wait_for,
    wait_head_ready,
    worker_pods,
)

CLUSTER = "raycluster-autoscaler-v2"
AUTOSCALER_VERSION = (
    "import ray; ray.init('auto'); from ray.autoscaler.v2.utils import is_autoscaler_v2; "
    "print('v2' if is_autoscaler_v2(fetch_from_server=True) else 'v1')"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_with_node(tmp_path_factory.mktemp("walkthrough-v2")) as s:
        yield s


def test_v2_autoscaler_scales_up_for_an_actor_and_down_after_it_ends(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply_docs(kubectl, quick_autoscaling(load_sample("ray-cluster.autoscaler-v2.yaml")))
    head = wait_head_ready(kubectl, CLUSTER)
    env = kubectl.ok("get", "pod", head, "-o", "jsonpath={.spec.containers[0].env[*].name}").split()
    assert "RAY_enable_autoscaler_v2" in env

    kubectl.ok("exec", head, "--", "python3", "/home/ray/samples/detached_actor.py", "actor1")

    def one_running() -> list[str] | None:
        pods = worker_pods(kubectl, CLUSTER)
        return names(running(pods)) if len(pods) == 1 and running(pods) else None

    worker = wait_for("a worker pod for actor1", one_running, timeout=300, interval=2)[0]
    assert worker.startswith(f"{CLUSTER}-small-group-worker-")
    wait_for("actor1 ALIVE", lambda: actors(kubectl, head).get("actor1") == "ALIVE", timeout=240, interval=3)

    def v2_status() -> dict[str, list[str]] | None:
        sections = status_sections(kubectl.ok("exec", head, "-c", "ray-head", "--", "ray", "status"))
        return sections if any("small-group" in line for line in sections.get("Active", [])) else None

    wait_for("ray status listing the worker", v2_status, timeout=120, interval=3)
    version = kubectl.ok("exec", head, "-c", "ray-head", "--", "python3", "-c", AUTOSCALER_VERSION)
    assert version.strip().splitlines()[-1] == "v2"

    kubectl.ok("exec", head, "--", "python3", "/home/ray/samples/terminate_detached_actor.py", "actor1")
    wait_for(
        "the idle worker to be removed", lambda: worker_pods(kubectl, CLUSTER) == [], timeout=240, interval=2
    )
    assert actors(kubectl, head)["actor1"] == "DEAD"
