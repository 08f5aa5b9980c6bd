"""The Deployment controller's decisions, checked step by step on a simulated cluster where the test
plays the API server and the kubelet: rollouts keep to maxSurge/maxUnavailable and finish."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubeschema.timestamps import format_time
from localkube.controllers import deployment as dep
from localkube.controllers import podutil
from localkube.controllers import replicaset as rsc

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def deployment(
    replicas: int = 4,
    *,
    image: str = "v1",
    strategy: dict[str, Any] | None = None,
    generation: int = 1,
    history: int | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": image}]},
        },
        "progressDeadlineSeconds": 600,
    }
    if strategy is not None:
        spec["strategy"] = strategy
    if history is not None:
        spec["revisionHistoryLimit"] = history
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "uid": "d-uid", "generation": generation},
        "spec": spec,
    }


class World:
    """Objects as an API server would hold them, and a kubelet that readies pods when told."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d
        self.rs: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.now = NOW
        self._ids = itertools.count()
        self._created = itertools.count()
        self.max_pods = 0
        self.min_available_seen: int | None = None

    def stamp(self) -> str:
        # creation order must be visible in whole seconds
        return format_time(NOW + timedelta(seconds=next(self._created)))

    def sync_deployment(self) -> dep.DeploymentPlan:
        p = dep.plan(self.d, list(self.rs.values()), list(self.pods.values()), self.now)
        if p.create is not None:
            new = copy.deepcopy(p.create)
            new["metadata"].update(uid=f"rs-{next(self._ids)}", creationTimestamp=self.stamp())
            self.rs[new["metadata"]["name"]] = new
        for name, replicas in p.scale:
            self.rs[name]["spec"]["replicas"] = replicas
        for name in p.delete:
            del self.rs[name]
        if p.revision is not None:
            self.d["metadata"].setdefault("annotations", {})[dep.REVISION] = p.revision
        self.d["status"] = p.status
        return p

    def sync_replicasets(self) -> None:
        for rs in list(self.rs.values()):
            p = rsc.plan(rs, list(self.pods.values()), self.now)
            for _ in range(p.create):
                pod = rsc.new_pod(rs)
                name = pod["metadata"].pop("generateName") + str(next(self._ids))
                pod["metadata"].update(name=name, creationTimestamp=self.stamp())
                pod["status"] = {"phase": "Pending"}
                self.pods[name] = pod
            for name in p.delete:
                del self.pods[name]  # unscheduled or not, deletion completes here
            rs["status"] = rsc.plan(rs, list(self.pods.values()), self.now).status

    def kubelet_readies(self, count: int | None = None) -> None:
        waiting = [p for p in self.pods.values() if not podutil.is_ready(p)]
        for pod in waiting[:count]:
            pod["status"] = {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": format_time(self.now)}
                ],
            }
        for rs in self.rs.values():
            rs["status"] = rsc.plan(rs, list(self.pods.values()), self.now).status

    def observe(self) -> None:
        self.max_pods = max(self.max_pods, len(self.pods))
        available = sum(1 for p in self.pods.values() if podutil.is_available(p, 0, self.now))
        if self.min_available_seen is None or available < self.min_available_seen:
            self.min_available_seen = available

    def settle(self, ready_per_round: int | None = None, rounds: int = 50) -> None:
        for _ in range(rounds):
            before = self.snapshot()
            self.sync_deployment()
            self.observe()
            self.sync_replicasets()
            self.observe()
            self.kubelet_readies(ready_per_round)
            self.observe()
            self.now += timedelta(seconds=1)
            if self.snapshot() == before:
                return
        raise AssertionError("did not settle")

    def snapshot(self) -> Any:
        return (
            sorted((n, r["spec"]["replicas"]) for n, r in self.rs.items()),
            sorted((n, podutil.is_ready(p)) for n, p in self.pods.items()),
        )

    def pods_of(self, rs_name: str) -> list[dict[str, Any]]:
        uid = self.rs[rs_name]["metadata"]["uid"]
        return [p for p in self.pods.values() if (podutil.controller_ref(p) or {}).get("uid") == uid]


def test_a_new_deployment_gets_one_replicaset_named_by_its_template_hash() -> None:
    w = World(deployment(3))
    w.settle()
    (name,) = w.rs
    pod_hash = dep.template_hash(w.d["spec"]["template"])
    assert name == f"web-{pod_hash}"
    rs = w.rs[name]
    assert rs["metadata"]["labels"]["pod-template-hash"] == pod_hash
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["metadata"]["ownerReferences"][0]["uid"] == "d-uid"
    assert rs["metadata"]["ownerReferences"][0]["controller"] is True
    assert rs["metadata"]["annotations"][dep.REVISION] == "1"
    assert len(w.pods_of(name)) == 3
    assert all(p["metadata"]["name"].startswith(f"{name}-") for p in w.pods.values())


def test_template_hash_looks_like_kubernetes_and_changes_with_the_template_or_collision_count() -> None:
    t = deployment()["spec"]["template"]
    h = dep.template_hash(t)
    assert 1 <= len(h) <= 10 and set(h) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert dep.template_hash(t) == h
    assert dep.template_hash(deployment(image="v2")["spec"]["template"]) != h
    assert dep.template_hash(t, 1) != h


def test_settled_deployment_status_and_conditions() -> None:
    w = World(deployment(3, generation=5))
    w.settle()
    status = w.d["status"]
    assert {
        k: status.get(k)
        for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    } == {
        "observedGeneration": 5,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert "unavailableReplicas" not in status
    conds = {c["type"]: c for c in status["conditions"]}
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == (
        "True",
        "MinimumReplicasAvailable",
    )
    assert conds["Progressing"]["status"] == "True"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conds["Progressing"]["message"] == f'ReplicaSet "{next(iter(w.rs))}" has successfully progressed.'


def test_a_settled_deployment_plans_nothing_and_keeps_its_status() -> None:
    w = World(deployment(3))
    w.settle()
    status = copy.deepcopy(w.d["status"])
    w.now += timedelta(minutes=30)
    p = w.sync_deployment()
    assert p.create is None and p.scale == () and p.delete == () and p.revision is None
    assert p.status == status  # no write in steady state
    assert p.requeue_after is None


def test_not_enough_available_pods_is_reported() -> None:
    w = World(deployment(4))
    w.sync_deployment()
    w.sync_replicasets()
    w.sync_deployment()
    conds = {c["type"]: c for c in w.d["status"]["conditions"]}
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == (
        "False",
        "MinimumReplicasUnavailable",
    )
    assert w.d["status"]["unavailableReplicas"] == 4


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "max_pods", "min_available"),
    [
        (4, None, None, 5, 3),  # defaults: 25% up (rounded up), 25% down (rounded down)
        (10, "30%", "20%", 13, 8),
        (4, 0, 1, 4, 3),
        (4, 2, 0, 6, 4),
        (3, 0, 0, 3, 2),  # both zero: Kubernetes lets one be unavailable
        (1, None, None, 2, 1),
    ],
)
def test_rolling_update_keeps_within_surge_and_unavailability(
    replicas: int, surge: int | str | None, unavailable: int | str | None, max_pods: int, min_available: int
) -> None:
    rolling = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    w = World(deployment(replicas, strategy={"type": "RollingUpdate", "rollingUpdate": rolling}))
    w.settle()
    old_name = next(iter(w.rs))
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    w.d["metadata"]["generation"] = 2
    w.max_pods, w.min_available_seen = 0, None
    w.settle(ready_per_round=1)
    assert w.max_pods == max_pods
    assert w.min_available_seen == min_available
    new_name = next(n for n in w.rs if n != old_name)
    assert w.rs[old_name]["spec"]["replicas"] == 0 and not w.pods_of(old_name)
    assert len(w.pods_of(new_name)) == replicas
    assert w.d["metadata"]["annotations"][dep.REVISION] == "2"
    assert w.rs[new_name]["metadata"]["annotations"][dep.REVISION] == "2"
    assert w.d["status"]["updatedReplicas"] == replicas


def test_recreate_removes_every_old_pod_before_the_new_replicaset_exists() -> None:
    w = World(deployment(3, strategy={"type": "Recreate"}))
    w.settle()
    (old_name,) = w.rs
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    p = w.sync_deployment()
    assert p.create is None and p.scale == ((old_name, 0),)
    w.sync_replicasets()
    assert not w.pods  # old pods gone
    p = w.sync_deployment()
    assert p.create is not None and p.create["spec"]["replicas"] == 3
    w.settle()
    assert len(w.pods) == 3 and all(old_name not in n for n in w.pods)


def test_recreate_waits_while_an_old_pod_still_runs() -> None:
    w = World(deployment(2, strategy={"type": "Recreate"}))
    w.settle()
    (old_name,) = w.rs
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    w.sync_deployment()
    # a pod of the old ReplicaSet is still shutting down (terminating, but running)
    lingering = next(iter(w.pods.values()))
    lingering["metadata"]["deletionTimestamp"] = format_time(w.now)
    w.rs[old_name]["spec"]["replicas"] = 0
    assert w.sync_deployment().create is None


def test_scaling_the_deployment_scales_its_replicaset() -> None:
    w = World(deployment(3))
    w.settle()
    w.d["spec"]["replicas"] = 1
    w.settle()
    assert len(w.pods) == 1
    w.d["spec"]["replicas"] = 5
    w.settle()
    assert len(w.pods) == 5


def test_rollback_reuses_the_old_replicaset_as_the_newest_revision() -> None:
    w = World(deployment(2))
    w.settle()
    (v1_name,) = w.rs
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    w.settle()
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v1"
    w.settle()
    assert len(w.rs) == 2
    assert len(w.pods_of(v1_name)) == 2
    assert w.d["metadata"]["annotations"][dep.REVISION] == "3"


def test_old_replicasets_beyond_the_history_limit_are_deleted_oldest_first() -> None:
    w = World(deployment(1, history=1))
    w.settle()
    names = [next(iter(w.rs))]
    for image in ("v2", "v3"):
        w.d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        w.settle()
        names.append(next(n for n in w.rs if n not in names))
    assert set(w.rs) == {names[1], names[2]}


def test_a_stalled_rollout_passes_its_progress_deadline() -> None:
    w = World(deployment(2))
    w.d["spec"]["progressDeadlineSeconds"] = 60
    p = w.sync_deployment()
    w.sync_replicasets()
    p = w.sync_deployment()
    assert p.requeue_after is not None and p.requeue_after <= timedelta(seconds=61)
    w.now += timedelta(seconds=61)
    w.sync_deployment()
    progressing = next(c for c in w.d["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")


def test_paused_deployment_does_not_roll_out() -> None:
    w = World(deployment(2))
    w.settle()
    w.d["spec"]["paused"] = True
    w.d["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    w.settle()
    assert len(w.rs) == 1


def test_fenceposts_resolve_percentages_like_kubernetes() -> None:
    d = deployment(
        10, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    )
    assert dep.fenceposts(d) == (3, 2)
    assert dep.fenceposts(deployment(10)) == (3, 2)
    assert dep.fenceposts(deployment(10, strategy={"type": "Recreate"})) == (0, 0)
