"""The seed walkthrough (000) and the seed 001 request, for real: localkube with its node, our
operator, config/samples/ray-cluster.autoscaler.yaml with Ray's unmodified v1 autoscaler in the
head pod, driven with the commands the seeds type. Then the scaling rules users rely on: maxReplicas
caps growth, Conservative upscaling limits pending pods, a placement group makes the cluster grow.

One localkube + operator + RayCluster serves the module; every test starts and ends with no worker
pods. The test's copy of the sample sets idleTimeoutSeconds 10 and a 1 s autoscaler period."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from support.walkthrough import (
    Stack,
    actors,
    apply_docs,
    exec_in_head,
    load_sample,
    localkube_with_node,
    names,
    quick_autoscaling,
    ready,
    replicas,
    status_sections,
    wait_for,
    wait_head_ready,
    worker_pods,
)

CLUSTER = "raycluster-autoscaler"
GROUP = "small-group"
# Which autoscaler the head's GCS runs (Ray 2.60 picks v2 under KubeRay unless told v1)
AUTOSCALER_VERSION = (
    "import ray; ray.init('auto'); from ray.autoscaler.v2.utils import is_autoscaler_v2; "
    "print('v2' if is_autoscaler_v2(fetch_from_server=True) else 'v1')"
)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, control_plane: str, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    # with --control-plane kubernetes the node joins the real control plane (tools/referees/build)
    binaries = request.getfixturevalue("kubernetes_binaries") if control_plane == "kubernetes" else None
    with localkube_with_node(tmp_path_factory.mktemp("walkthrough-v1"), kubernetes_binaries=binaries) as s:
        yield s


@pytest.fixture(scope="module")
def head(stack: Stack) -> str:
    apply_docs(stack.kubectl, quick_autoscaling(load_sample("ray-cluster.autoscaler.yaml")))
    return wait_head_ready(stack.kubectl, CLUSTER)


@pytest.fixture
def idle(stack: Stack, head: str) -> Iterator[str]:
    """The head pod's name; no worker pods before and after the test."""
    assert worker_pods(stack.kubectl, CLUSTER) == []
    yield head
    wait_for("every worker pod to go", lambda: worker_pods(stack.kubectl, CLUSTER) == [], timeout=240)


def python_in_head(stack: Stack, head: str, code: str) -> str:
    return exec_in_head(stack.kubectl, head, "python3", "-c", code, container="ray-head")


def wait_running_workers(stack: Stack, count: int, timeout: float = 300) -> list[str]:
    """Exactly `count` worker pods, all `1/1 Running` (Ready: the Ray worker answers)."""

    def enough() -> list[str] | None:
        pods = worker_pods(stack.kubectl, CLUSTER)
        up = ready(pods)
        return names(up) if len(up) == count and len(pods) == count else None

    found: list[str] = wait_for(f"{count} ready worker pods", enough, timeout=timeout, interval=2)
    return found


def wait_actor_states(
    stack: Stack, head: str, expected: dict[str, str], timeout: float = 240
) -> dict[str, str]:
    def match() -> dict[str, str] | None:
        seen = actors(stack.kubectl, head)
        return seen if all(seen.get(k) == v for k, v in expected.items()) else None

    found: dict[str, str] = wait_for(f"actors {expected}", match, timeout=timeout, interval=3)
    return found


def test_seed_000_walkthrough(stack: Stack, idle: str) -> None:
    kubectl = stack.kubectl
    head_pod = idle

    # Step 4: one head pod with two containers (Ray head and the autoscaler), no workers yet
    out = kubectl.ok("get", "pods", "-l", "ray.io/is-ray-node=yes")
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(head_pod, "2/2", "Running")]
    configmaps = {
        line.split()[0]: line.split()[1] for line in kubectl.ok("get", "configmaps").splitlines()[1:]
    }
    assert configmaps["ray-example"] == "2"

    # Step 5: each detached 1-CPU actor needs a new worker pod (the head has num-cpus 0)
    kubectl.ok("exec", head_pod, "--", "python3", "/home/ray/samples/detached_actor.py", "actor1")
    first = wait_running_workers(stack, 1)
    assert first[0].startswith(f"{CLUSTER}-{GROUP}-worker-")
    kubectl.ok("exec", head_pod, "--", "python3", "/home/ray/samples/detached_actor.py", "actor2")
    both = wait_running_workers(stack, 2)
    assert first[0] in both
    listed = kubectl.ok("exec", head_pod, "--", "ray", "list", "actors")
    assert "Total: 2" in listed
    assert wait_actor_states(stack, head_pod, {"actor1": "ALIVE", "actor2": "ALIVE"})

    # Step 6: terminating an actor frees its worker, removed after idleTimeoutSeconds
    kubectl.ok("exec", head_pod, "--", "python3", "/home/ray/samples/terminate_detached_actor.py", "actor1")
    left = wait_running_workers(stack, 1)
    assert left[0] in both
    kubectl.ok("exec", head_pod, "--", "python3", "/home/ray/samples/terminate_detached_actor.py", "actor2")
    wait_running_workers(stack, 0)
    assert wait_actor_states(stack, head_pod, {"actor1": "DEAD", "actor2": "DEAD"})
    assert replicas(kubectl, CLUSTER, GROUP) == 0

    # Step 7: the autoscaler's view, from `ray status` and from its container's log
    def status_without_workers() -> dict[str, list[str]] | None:
        sections = status_sections(kubectl.ok("exec", head_pod, "-c", "ray-head", "--", "ray", "status"))
        active = sections.get("Active", []) + sections.get("Idle", [])
        if any(GROUP in line for line in active):
            return None  # the removed nodes may take one more period to leave Ray's view
        return sections

    sections = wait_for("ray status without workers", status_without_workers, timeout=120, interval=3)
    assert any("headgroup" in line for line in sections["Active"] + sections.get("Idle", []))
    assert sections["Pending"] == ["(no pending nodes)"]
    assert sections["Pending Demands"] == ["(no resource demands)"]
    assert python_in_head(stack, head_pod, AUTOSCALER_VERSION).strip().splitlines()[-1] == "v1"
    log_tail = kubectl.ok("logs", head_pod, "-c", "autoscaler", "--tail=200")
    assert "Autoscaler status" in log_tail
    assert "Resources" in log_tail


def test_seed_001_request_resources_scales_to_four_workers(stack: Stack, idle: str) -> None:
    python_in_head(
        stack,
        idle,
        "import ray.autoscaler.sdk; ray.init('auto'); ray.autoscaler.sdk.request_resources(num_cpus=4)",
    )
    try:
        workers = wait_running_workers(stack, 4)
        assert len(set(workers)) == 4
        assert replicas(stack.kubectl, CLUSTER, GROUP) == 4

        def ray_nodes() -> str | None:
            code = "import ray; ray.init('auto'); print(sum(1 for n in ray.nodes() if n['Alive']))"
            count = python_in_head(stack, idle, code).strip().splitlines()[-1]
            return count if count == "5" else None

        wait_for("the head and four workers in Ray", ray_nodes, timeout=120, interval=3)
    finally:
        # the request persists until overridden; an empty one lets the idle workers go
        python_in_head(
            stack,
            idle,
            "import ray.autoscaler.sdk; ray.init('auto'); ray.autoscaler.sdk.request_resources(num_cpus=0)",
        )


def patch_group(stack: Stack, field: str, value: object) -> None:
    patch = [{"op": "replace", "path": f"/spec/workerGroupSpecs/0/{field}", "value": value}]
    stack.kubectl.ok("patch", "raycluster", CLUSTER, "--type=json", "-p", json.dumps(patch))


def make_actors(stack: Stack, head: str, prefix: str, count: int) -> list[str]:
    actor_names = [f"{prefix}{i}" for i in range(count)]
    for name in actor_names:
        stack.kubectl.ok("exec", head, "--", "python3", "/home/ray/samples/detached_actor.py", name)
    return actor_names


def kill_actors(stack: Stack, head: str, actor_names: list[str]) -> None:
    code = (
        "import ray, sys; ray.init(namespace='default_namespace')\n"
        f"for n in {actor_names!r}:\n"
        "    try: ray.kill(ray.get_actor(n))\n"
        "    except ValueError: pass\n"
    )
    python_in_head(stack, head, code)


def test_max_replicas_caps_scale_up(stack: Stack, idle: str) -> None:
    patch_group(stack, "maxReplicas", 2)
    created: list[str] = []
    try:
        created = make_actors(stack, idle, "capped", 3)
        wait_running_workers(stack, 2)

        # the autoscaler sees the third actor waiting and still asks for no third pod
        def capped_view() -> dict[str, list[str]] | None:
            out = stack.kubectl.ok("exec", idle, "-c", "ray-head", "--", "ray", "status")
            sections = status_sections(out)
            active = " ".join(sections.get("Active", []))
            demands = " ".join(sections.get("Pending Demands", []))
            waiting = "CPU" in demands and "pending" in demands
            settled = f"2 {GROUP}" in active and sections.get("Pending") == ["(no pending nodes)"]
            return sections if waiting and settled else None

        wait_for(
            "ray status: 2 workers, 1 actor waiting, nothing pending", capped_view, timeout=180, interval=3
        )
        assert replicas(stack.kubectl, CLUSTER, GROUP) == 2
        assert len(worker_pods(stack.kubectl, CLUSTER)) == 2
        states = actors(stack.kubectl, idle)
        assert sorted(states[n] for n in created) == ["ALIVE", "ALIVE", "PENDING_CREATION"]
    finally:
        kill_actors(stack, idle, created)
        patch_group(stack, "maxReplicas", 10)


def test_conservative_upscaling_limits_pending_pods(stack: Stack, idle: str) -> None:
    patch = [{"op": "replace", "path": "/spec/autoscalerOptions/upscalingMode", "value": "Conservative"}]
    stack.kubectl.ok("patch", "raycluster", CLUSTER, "--type=json", "-p", json.dumps(patch))
    # maxReplicas 0 holds the demand back until all six actors wait, so the autoscaler sees six at once
    patch_group(stack, "maxReplicas", 0)
    created: list[str] = []
    try:
        created = make_actors(stack, idle, "conservative", 6)

        def six_waiting() -> str | None:
            out = stack.kubectl.ok("exec", idle, "-c", "ray-head", "--", "ray", "status")
            demands = " ".join(status_sections(out).get("Pending Demands", []))
            return demands if "6+ pending" in demands else None

        wait_for("ray status: six actors waiting", six_waiting, timeout=120, interval=3)
        log_start = len(stack.kubectl.ok("logs", idle, "-c", "autoscaler").splitlines())
        patch_group(stack, "maxReplicas", 10)
        # six pods are needed; Conservative launches at most max(5, running workers) at a time
        wait_running_workers(stack, 6, timeout=420)
        wait_actor_states(stack, idle, dict.fromkeys(created, "ALIVE"))
        log = stack.kubectl.ok("logs", idle, "-c", "autoscaler").splitlines()[log_start:]
        launches = [
            line.split("Adding ", 1)[1] for line in log if "Adding " in line and "node(s) of type" in line
        ]
        counts = [int(text.split()[0]) for text in launches]
        assert counts[:1] == [5], launches  # Default would add all six at once
        assert sum(counts) == 6, launches
    finally:
        kill_actors(stack, idle, created)
        patch_group(stack, "maxReplicas", 10)
        patch[0]["value"] = "Default"
        stack.kubectl.ok("patch", "raycluster", CLUSTER, "--type=json", "-p", json.dumps(patch))


PLACEMENT_GROUP = """
import ray
from ray.util.placement_group import placement_group
ray.init(namespace="walkthrough")
placement_group([{"CPU": 1}, {"CPU": 1}], strategy="STRICT_SPREAD", name="spread", lifetime="detached")
"""

REMOVE_PLACEMENT_GROUP = """
import ray
from ray.util import get_placement_group, remove_placement_group
ray.init(namespace="walkthrough")
remove_placement_group(get_placement_group("spread"))
"""


def test_placement_group_triggers_scale_up(stack: Stack, idle: str) -> None:
    python_in_head(stack, idle, PLACEMENT_GROUP)
    try:
        workers = wait_running_workers(stack, 2)
        assert len(set(workers)) == 2

        def created() -> str | None:
            out = exec_in_head(stack.kubectl, idle, "ray", "list", "placement-groups")
            return out if "CREATED" in out else None

        # STRICT_SPREAD: one bundle per node, so each worker pod holds one
        assert "spread" in wait_for("the placement group to be CREATED", created, timeout=180, interval=3)
    finally:
        python_in_head(stack, idle, REMOVE_PLACEMENT_GROUP)
