"""Every sample in config/samples applies with kubectl and becomes the pods KubeRay would make.
The API server runs without a node here (pods stay Pending), so no Ray starts: this checks what
the operator creates, quickly; test_samples_run.py runs Ray for the small samples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from support.paths import OUR_SAMPLES
from support.walkthrough import Stack, localkube_api_only, pods, wait_for

# sample -> (RayCluster name, worker group -> pod count, autoscaling)
EXPECTED = {
    "ray-cluster.autoscaler.yaml": ("raycluster-autoscaler", {}, True),
    "ray-cluster.autoscaler-v2.yaml": ("raycluster-autoscaler-v2", {}, True),
    "ray-cluster.complete.yaml": ("raycluster-complete", {"small-group": 1}, False),
    "ray-cluster.mini.yaml": ("raycluster-mini", {}, False),
    "ray-cluster.heterogeneous.yaml": (
        "raycluster-heterogeneous",
        {"small-group": 3, "medium-group": 1},
        False,
    ),
    "ray-cluster.complete.large.yaml": ("raycluster-complete-large", {"large-group": 1}, False),
    "ray-cluster.autoscaler.large.yaml": ("raycluster-autoscaler-large", {"large-group": 1}, True),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_api_only(tmp_path_factory.mktemp("samples-api")) as s:
        yield s


@pytest.fixture(scope="module")
def applied(stack: Stack) -> str:
    return stack.kubectl.ok("apply", "-f", str(OUR_SAMPLES))


def test_every_sample_the_seeds_name_is_here() -> None:
    assert sorted(p.name for p in OUR_SAMPLES.glob("*.yaml")) == sorted(EXPECTED)


def test_kubectl_apply_of_the_samples_directory_creates_every_object(applied: str) -> None:
    for name, _, _ in EXPECTED.values():
        assert f"raycluster.ray.io/{name} created" in applied
    for configmap in ("ray-example", "ray-example-v2", "ray-code"):
        assert f"configmap/{configmap} created" in applied


def _ray_start(pod: dict) -> str:
    ray = pod["spec"]["containers"][0]
    return " ".join(ray.get("command", []) + ray.get("args", []))


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_the_operator_makes_the_pods_of_each_sample(stack: Stack, applied: str, sample: str) -> None:
    name, groups, autoscaling = EXPECTED[sample]
    kubectl = stack.kubectl

    def all_pods() -> list[dict] | None:
        found = pods(kubectl, f"ray.io/cluster={name}")
        return found if len(found) == 1 + sum(groups.values()) else None

    found = wait_for(f"the pods of {name}", all_pods, timeout=60)
    heads = [p for p in found if p["metadata"]["labels"]["ray.io/node-type"] == "head"]
    assert len(heads) == 1
    head = heads[0]
    assert head["metadata"]["name"].startswith(f"{name}-head-")
    containers = [c["name"] for c in head["spec"]["containers"]]
    assert containers == (["ray-head", "autoscaler"] if autoscaling else ["ray-head"])
    assert "ray start --head" in _ray_start(head)
    per_group: dict[str, int] = {}
    for p in found:
        labels = p["metadata"]["labels"]
        assert labels["ray.io/is-ray-node"] == "yes"
        if labels["ray.io/node-type"] == "worker":
            group = labels["ray.io/group"]
            per_group[group] = per_group.get(group, 0) + 1
            # current KubeRay's naming (the seed's KubeRay 1.0 put `worker` before the group)
            assert p["metadata"]["name"].startswith(f"{name}-{group}-worker-")
            assert f"--address={name}-head-svc" in _ray_start(p)
    assert per_group == groups
    service = yaml.safe_load(kubectl.ok("get", "service", f"{name}-head-svc", "-o", "yaml"))
    assert service["spec"]["clusterIP"] == "None"  # KubeRay's head service is headless
    if autoscaling:
        for kind in ("serviceaccount", "role", "rolebinding"):
            kubectl.ok("get", kind, name)


def test_the_autoscaler_sample_mounts_the_walkthrough_scripts(stack: Stack, applied: str) -> None:
    head = pods(stack.kubectl, "ray.io/cluster=raycluster-autoscaler,ray.io/node-type=head")[0]
    mounts = {m["mountPath"]: m["name"] for m in head["spec"]["containers"][0]["volumeMounts"]}
    volume = next(v for v in head["spec"]["volumes"] if v["name"] == mounts["/home/ray/samples"])
    assert volume["configMap"]["name"] == "ray-example"
    data = yaml.safe_load(stack.kubectl.ok("get", "configmap", "ray-example", "-o", "yaml"))["data"]
    assert sorted(data) == ["detached_actor.py", "terminate_detached_actor.py"]
    # num-cpus 0 on the head: every 1-CPU actor needs a worker pod
    assert "--num-cpus=0" in _ray_start(head)


def test_sizes_come_from_the_ray_container_limits(stack: Stack, applied: str) -> None:
    worker = pods(stack.kubectl, "ray.io/cluster=raycluster-complete-large,ray.io/node-type=worker")[0]
    command = _ray_start(worker)
    assert "--num-cpus=14" in command
    assert f"--memory={54 * 1024**3}" in command


def test_deleting_the_samples_removes_their_pods(stack: Stack, applied: str) -> None:
    # runs last in this module (pytest keeps file order): the clusters above are gone afterwards
    out = stack.kubectl.ok("delete", "-f", str(OUR_SAMPLES))
    assert 'raycluster.ray.io "raycluster-mini" deleted' in out
    wait_for(
        "every sample pod to go", lambda: pods(stack.kubectl, "ray.io/is-ray-node=yes") == [], timeout=60
    )
