"""The scale paths, side by side: raise and lower replicas, `workersToDelete` as Ray's autoscaler
patches it, a deleted worker pod, a deleted head pod, a changed template under
`upgradeStrategy: Recreate`. After each step both operators must have deleted and created the same
pods (by role) and agree on everything `test_manifests` compares."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from support.differential import Difference, differences, load_known, unexplained
from support.kuberay import load_sample

Pods = dict[str, str]  # pod name -> its ray.io/node-type


def _cluster(name: str, **spec: Any) -> dict[str, Any]:
    cluster = copy.deepcopy(load_sample("ray-cluster.sample.yaml")[0])
    cluster["metadata"]["name"] = name
    group = cluster["spec"]["workerGroupSpecs"][0]
    group.update(replicas=2, minReplicas=0, maxReplicas=5)
    cluster["spec"].update(spec)
    return cluster


def _pods(duel: Any, side: str, cluster: str) -> Pods:
    return {
        p.metadata.name: p.metadata.labels.get("ray.io/node-type", "") for p in duel.kube[side].pods(cluster)
    }


def _change(before: Pods, after: Pods, named: str | None) -> dict[str, Any]:
    """What one step did to the pods, by role, so that both sides can be compared."""
    gone = before.keys() - after.keys()
    new = after.keys() - before.keys()
    change = {
        "head_deleted": sum(1 for p in gone if before[p] == "head"),
        "head_created": sum(1 for p in new if after[p] == "head"),
        "workers_deleted": sum(1 for p in gone if before[p] == "worker"),
        "workers_created": sum(1 for p in new if after[p] == "worker"),
    }
    if named is not None:
        change["named_worker_deleted"] = named in gone
    return change


Step = Callable[[Any, str, str, Pods], str | None]  # (duel, side, cluster, pods) -> the pod named


def _replicas(n: int) -> Step:
    def step(duel: Any, side: str, cluster: str, pods: Pods) -> None:
        duel.kube[side].patch_cluster(
            cluster, {"spec": {"workerGroupSpecs": [{**_group(duel, side, cluster), "replicas": n}]}}
        )
        return None

    return step


def _group(duel: Any, side: str, cluster: str) -> dict[str, Any]:
    group: dict[str, Any] = duel.kube[side].cluster(cluster)["spec"]["workerGroupSpecs"][0]
    return group


def _workers_to_delete(duel: Any, side: str, cluster: str, pods: Pods) -> str:
    """As Ray's autoscaler does: one worker named in scaleStrategy, replicas one fewer."""
    victim = sorted(p for p, t in pods.items() if t == "worker")[0]
    group = _group(duel, side, cluster)
    group["replicas"] -= 1
    group["scaleStrategy"] = {"workersToDelete": [victim]}
    duel.kube[side].patch_cluster(cluster, {"spec": {"workerGroupSpecs": [group]}})
    return victim


def _delete_pod(node_type: str) -> Step:
    def step(duel: Any, side: str, cluster: str, pods: Pods) -> str:
        victim = sorted(p for p, t in pods.items() if t == node_type)[0]
        kube = duel.kube[side]
        kube.core.delete_namespaced_pod(victim, kube.ns, grace_period_seconds=0)
        return victim

    return step


def _new_template(duel: Any, side: str, cluster: str, pods: Pods) -> None:
    spec = duel.kube[side].cluster(cluster)["spec"]
    for group in (spec["headGroupSpec"], *spec["workerGroupSpecs"]):
        group["template"]["spec"]["containers"][0]["env"] = [{"name": "TEMPLATE_VERSION", "value": "2"}]
    duel.kube[side].patch_cluster(
        cluster,
        {"spec": {"headGroupSpec": spec["headGroupSpec"], "workerGroupSpecs": spec["workerGroupSpecs"]}},
    )
    return None


def _walk(duel: Any, cluster: dict[str, Any], steps: list[tuple[str, Step]]) -> list[Difference]:
    """Apply `cluster`, then each step on both sides; every difference not explained, by step."""
    name = cluster["metadata"]["name"]
    known = load_known()
    duel.apply(cluster)
    duel.settle(name)
    left: list[Difference] = []
    for label, step in steps:
        before = {side: _pods(duel, side, name) for side in duel.kube}
        named = {side: step(duel, side, name, before[side]) for side in duel.kube}
        seen = duel.settle(name)
        changes = {side: _change(before[side], _pods(duel, side, name), named[side]) for side in duel.kube}
        found = differences(
            {"scale": {label: changes["kuberay"]}, **seen["kuberay"]},
            {"scale": {label: changes["ours"]}, **seen["ours"]},
        )
        left += [Difference(f"{label} | {d.path}", d.kuberay, d.ours) for d in unexplained(found, known)]
    return left


def _report(left: list[Difference]) -> str:
    return "\n".join(f"  {d}" for d in left)


def test_scale_paths(duel: Any) -> None:
    left = _walk(
        duel,
        _cluster("s-scale"),
        [
            ("raise replicas 2 -> 4", _replicas(4)),
            ("lower replicas 4 -> 3", _replicas(3)),
            ("workersToDelete", _workers_to_delete),
            ("delete a worker pod", _delete_pod("worker")),
            ("delete the head pod", _delete_pod("head")),
        ],
    )
    assert not left, f"differences docs/differences.md does not explain:\n{_report(left)}"


def test_recreate_on_template_change(duel: Any) -> None:
    left = _walk(
        duel,
        _cluster("s-recreate", upgradeStrategy={"type": "Recreate"}),
        [("template changed (Recreate)", _new_template)],
    )
    assert not left, f"differences docs/differences.md does not explain:\n{_report(left)}"
