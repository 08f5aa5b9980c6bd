"""The RayService step (pure): what a user sees happen for each situation the operator observes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kuberay.build.rayservice import objects, plan
from kuberay.build.rayservice.serve import ServeAnswer, needs_put
from kuberay.controller.rayservice.actor import merge_patch
from support.crds import sample_object

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = (
    "applications:\n- name: app\n  import_path: m:app\n  deployments:\n"
    "  - name: D\n    user_config: {price: 1}\n"
)


def _service(**spec: Any) -> dict[str, Any]:
    svc = copy.deepcopy(sample_object("ray-service.sample.yaml", "RayService"))
    svc["metadata"].update(namespace="default", uid="u-1", generation=3, resourceVersion="7")
    svc["spec"]["serveConfigV2"] = CONFIG
    svc["spec"].update(spec)
    return svc


def _cluster(svc: dict[str, Any], name: str) -> dict[str, Any]:
    cluster = objects.build_cluster(svc, name)
    cluster["metadata"]["uid"] = f"uid-{name}"
    cluster["status"] = {"state": "ready"}
    return cluster


def _pod(cluster: str, node: str, *, serve: str, ready: bool = True) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{cluster}-{node}",
            "namespace": "default",
            "labels": {"ray.io/cluster": cluster, "ray.io/node-type": node, "ray.io/serve": serve},
        },
        "spec": {"containers": [{"name": "ray"}]},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.1",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def _running(apps: str = "app") -> ServeAnswer:
    return ServeAnswer(
        applications={
            apps: {
                "status": "RUNNING",
                "deployed_app_config": {
                    "name": "app",
                    "import_path": "m:app",
                    "deployments": [{"name": "D", "user_config": {"price": 1}, "num_replicas": 1}],
                },
                "deployments": {"D": {"status": "HEALTHY", "message": ""}},
            }
        }
    )


def _serving(svc: dict[str, Any], name: str, **kw: Any) -> tuple[dict[str, Any], plan.Observed]:
    """`svc` serving from cluster `name`: both Services on it, its head and a worker ready."""
    cluster = _cluster(svc, name)
    svc["status"] = {"activeServiceStatus": {"rayClusterName": name}, "conditions": []}
    head, worker = _pod(name, "head", serve="true"), _pod(name, "worker", serve="true")
    observed = plan.Observed(
        now=NOW,
        clusters={name: cluster},
        heads={name: head},
        pods={name: [head, worker]},
        head_service=objects.build_head_service_for(svc, cluster),
        serve_service=objects.build_serve_service_for(svc, cluster),
        serve={name: _running()},
        proxy_healthy={name: True},
        submitted={name: CONFIG},
        **kw,
    )
    return svc, observed


def _kinds(step: plan.Step) -> list[str]:
    return [type(a).__name__ for a in step.actions]


def test_a_new_rayservice_names_a_pending_cluster_then_creates_it() -> None:
    svc = _service()
    first = plan.step(svc, plan.Observed(now=NOW, suffix="abcde"))
    assert first.status["pendingServiceStatus"] == {"rayClusterName": "rayservice-sample-abcde"}
    assert {c["type"]: c["reason"] for c in first.status["conditions"]} == {
        "Ready": "Initializing",
        "UpgradeInProgress": "Initializing",
    }
    assert first.status["observedGeneration"] == 3
    svc["status"] = first.status
    second = plan.step(svc, plan.Observed(now=NOW, suffix="zzzzz"))
    (create,) = [a for a in second.actions if isinstance(a, plan.Create)]
    assert create.obj["metadata"]["name"] == "rayservice-sample-abcde"
    owner = create.obj["metadata"]["ownerReferences"][0]
    assert (owner["apiVersion"], owner["kind"], owner["uid"]) == ("ray.io/v1", "RayService", "u-1")
    assert second.status["pendingServiceStatus"]["rayClusterName"] == "rayservice-sample-abcde"


def test_steady_state_changes_nothing_and_asks_for_no_put() -> None:
    svc, observed = _serving(_service(), "c1")
    first = plan.step(svc, observed)
    svc["status"] = first.status
    again = plan.step(svc, observed)
    assert again.actions == [] and again.status == svc["status"] and again.poll
    assert again.status["numServeEndpoints"] == 2 and again.status["serviceStatus"] == "Running"
    assert plan.condition_true(again.status, "Ready")
    assert again.status["activeServiceStatus"]["applicationStatuses"]["app"]["serveDeploymentStatuses"] == {
        "D": {"status": "HEALTHY"}
    }


def test_serve_config_change_is_put_in_place_without_a_new_cluster() -> None:
    svc, observed = _serving(_service(), "c1")
    svc["spec"]["serveConfigV2"] = CONFIG.replace("price: 1", "price: 2")
    step = plan.step(svc, observed)
    (put,) = [a for a in step.actions if isinstance(a, plan.PutServe)]
    assert put.cluster == "c1" and put.config["applications"][0]["deployments"][0]["user_config"] == {
        "price": 2
    }
    assert "rayClusterName" not in step.status["pendingServiceStatus"]


def test_put_decision_compares_with_what_the_cluster_reports() -> None:
    config = {
        "applications": [
            {
                "name": "app",
                "import_path": "m:app",
                "deployments": [{"name": "D", "user_config": {"price": 1}}],
            }
        ]
    }
    # a restarted operator (nothing submitted by it) does not PUT what Ray already runs
    assert needs_put(_running(), CONFIG, config, None) == ""
    changed = copy.deepcopy(config)
    changed["applications"][0]["deployments"][0]["user_config"]["price"] = 5
    assert needs_put(_running(), "other", changed, None)
    # a head that lost its applications gets them again, even when the text is unchanged
    assert needs_put(ServeAnswer(), CONFIG, config, CONFIG)
    # a dashboard that does not answer gets no PUT
    assert needs_put(ServeAnswer(error="refused"), CONFIG, config, None) == ""


def test_a_change_of_http_options_alone_is_put_by_a_restarted_operator() -> None:
    config = {
        "http_options": {"request_timeout_s": 30},
        "applications": [{"name": "app", "import_path": "m:app"}],
    }
    reported = ServeAnswer.from_api(
        {
            "proxy_location": "EveryNode",
            "http_options": {"host": "0.0.0.0", "port": 8000, "request_timeout_s": 30.0},
            "applications": _running().applications,
        }
    )
    # what Ray reports holds the options asked (with its own defaults added): nothing to PUT
    assert needs_put(reported, CONFIG, config, None) == ""
    config["http_options"]["request_timeout_s"] = 60
    assert needs_put(reported, CONFIG, config, None)
    # an instance option Ray reports that serveConfigV2 does not set is Ray's default: no PUT
    del config["http_options"]
    assert needs_put(reported, CONFIG, config, None) == ""


@pytest.mark.parametrize("upgrade", ["NewCluster", None])
def test_cluster_config_change_prepares_a_pending_cluster(upgrade: str | None) -> None:
    svc, observed = _serving(_service(), "c1")
    if upgrade:
        svc["spec"]["upgradeStrategy"] = {"type": upgrade}
    svc["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "X", "value": "1"}
    ]
    step = plan.step(svc, observed)
    assert step.status["pendingServiceStatus"] == {"rayClusterName": "rayservice-sample-xxxxx"}
    assert plan.condition_true(step.status, "UpgradeInProgress")
    # the active cluster keeps serving, with no PUT while the upgrade runs
    assert "PutServe" not in _kinds(step) and step.status["serviceStatus"] == "Running"


def test_upgrade_type_none_keeps_the_cluster() -> None:
    svc, observed = _serving(_service(upgradeStrategy={"type": "None"}), "c1")
    svc["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "X", "value": "1"}
    ]
    step = plan.step(svc, observed)
    assert "rayClusterName" not in step.status["pendingServiceStatus"]
    assert not plan.condition_true(step.status, "UpgradeInProgress")


def test_replica_changes_alone_start_no_new_cluster() -> None:
    svc, observed = _serving(_service(), "c1")
    svc["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["replicas"] = 3
    assert "rayClusterName" not in plan.step(svc, observed).status["pendingServiceStatus"]


def test_traffic_switches_only_when_the_pending_cluster_runs_every_application() -> None:
    svc, observed = _serving(_service(), "c1")
    svc["spec"]["rayClusterConfig"]["rayVersion"] = "2.60.0"
    svc["status"]["pendingServiceStatus"] = {"rayClusterName": "c2"}
    c2 = _cluster(svc, "c2")
    head2, worker2 = _pod("c2", "head", serve="true"), _pod("c2", "worker", serve="true")
    deploying = ServeAnswer(applications={"app": {"status": "DEPLOYING", "deployments": {}}})
    observed = plan.Observed(
        **{
            **observed.__dict__,
            "clusters": {**observed.clusters, "c2": c2},
            "heads": {**observed.heads, "c2": head2},
            "pods": {**observed.pods, "c2": [head2, worker2]},
            "serve": {"c2": deploying},
            "submitted": {"c1": CONFIG, "c2": CONFIG},
        }
    )
    waiting = plan.step(svc, observed)
    assert "PointService" not in _kinds(waiting)
    assert waiting.status["pendingServiceStatus"]["applicationStatuses"]["app"]["status"] == "DEPLOYING"
    ready = plan.step(svc, plan.Observed(**{**observed.__dict__, "serve": {"c2": _running()}}))
    points = [a for a in ready.actions if isinstance(a, plan.PointService)]
    assert [p.spec["selector"]["ray.io/cluster"] for p in points] == ["c2", "c2"]
    assert ready.status["activeServiceStatus"]["rayClusterName"] == "c2"
    assert "rayClusterName" not in ready.status["pendingServiceStatus"]
    # the old cluster is scheduled for deletion after the delay, then deleted
    svc["status"] = ready.status
    later = plan.step(svc, plan.Observed(**{**observed.__dict__, "serve": {"c2": _running()}}))
    (schedule,) = [a for a in later.actions if isinstance(a, plan.ScheduleDeletion)]
    assert schedule.cluster == "c1" and schedule.at == NOW + timedelta(seconds=60)
    assert later.requeue_after == 60
    due = plan.Observed(
        **{**observed.__dict__, "now": NOW + timedelta(seconds=61), "deletion_due": {"c1": schedule.at}}
    )
    assert [a.name for a in plan.step(svc, due).actions if isinstance(a, plan.Delete)] == ["c1"]


def test_rayservice_status_carries_the_clusters_status() -> None:
    svc, observed = _serving(_service(), "c1")
    svc["status"]["pendingServiceStatus"] = {"rayClusterName": "c2"}
    c2 = _cluster(svc, "c2")
    c2["status"] = {"state": "suspended"}
    observed = plan.Observed(
        **{**observed.__dict__, "clusters": {**observed.clusters, "c2": c2}, "serve": {}}
    )
    st = plan.step(svc, observed).status
    assert st["activeServiceStatus"]["rayClusterStatus"] == {"state": "ready"}
    assert st["pendingServiceStatus"]["rayClusterStatus"] == {"state": "suspended"}


def test_exclude_head_pod_from_serve_svc_keeps_the_head_label_false() -> None:
    svc, observed = _serving(_service(excludeHeadPodFromServeSvc=True), "c1")
    (label,) = [a for a in plan.step(svc, observed).actions if isinstance(a, plan.LabelPod)]
    assert label.value == "false" and label.name == "c1-head"


def test_unhealthy_head_proxy_takes_the_head_out() -> None:
    svc, observed = _serving(_service(), "c1")
    observed = plan.Observed(**{**observed.__dict__, "proxy_healthy": {"c1": False}})
    (label,) = [a for a in plan.step(svc, observed).actions if isinstance(a, plan.LabelPod)]
    assert label.value == "false"


def test_suspend_deletes_clusters_and_services_then_resume_initializes() -> None:
    svc, observed = _serving(_service(suspend=True), "c1")
    first = plan.step(svc, observed)
    assert plan.condition_true(first.status, "Suspending") and first.actions == []
    svc["status"] = first.status
    second = plan.step(svc, observed)
    deleted = sorted((a.kind, a.name) for a in second.actions if isinstance(a, plan.Delete))
    assert deleted == [
        ("RayCluster", "c1"),
        ("Service", "rayservice-sample-head-svc"),
        ("Service", "rayservice-sample-serve-svc"),
    ]
    svc["status"] = second.status
    gone = plan.Observed(now=NOW)
    third = plan.step(svc, gone)
    assert plan.condition_true(third.status, "Suspended") and not plan.condition_true(third.status, "Ready")
    svc["status"] = third.status
    svc["spec"]["suspend"] = False
    resumed = plan.step(svc, gone)
    ready = next(c for c in resumed.status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "Initializing" and not plan.condition_true(resumed.status, "Suspended")


def test_managed_by_another_controller_is_left_alone() -> None:
    svc = _service(managedBy="kueue.x-k8s.io/multikueue")
    step = plan.step(svc, plan.Observed(now=NOW))
    assert step.actions == [] and step.status == {} and not step.poll


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"upgradeStrategy": {"type": "Sideways"}}, "spec.upgradeStrategy.type"),
        ({"upgradeStrategy": {"type": "NewClusterWithIncrementalUpgrade"}}, "spec.upgradeStrategy.type"),
        (
            {"upgradeStrategy": {"clusterUpgradeOptions": {"gatewayClassName": "x"}}},
            "spec.upgradeStrategy.clusterUpgradeOptions",
        ),
        ({"serveConfigV2": "applications: [oops"}, "spec.serveConfigV2"),
        ({"serveConfigV2": "- just a list"}, "spec.serveConfigV2"),
    ],
)
def test_bad_input_warns_and_names_the_field(spec: dict[str, Any], field: str) -> None:
    step = plan.step(_service(**spec), plan.Observed(now=NOW))
    ready = next(c for c in step.status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ValidationFailed" and field in ready["message"]
    assert any(
        isinstance(a, plan.Warn) and a.reason == "InvalidRayServiceSpec" and field in a.message
        for a in step.actions
    )
    assert not any(isinstance(a, plan.Create) for a in step.actions)


def test_user_serve_service_is_the_base_of_the_serve_service() -> None:
    svc = copy.deepcopy(sample_object("ray-service.custom-serve-service.yaml", "RayService"))
    svc["metadata"].update(namespace="default", uid="u")
    built = objects.build_serve_service_for(svc, _cluster(svc, "c1"))
    user = svc["spec"]["serveService"]
    assert built["metadata"]["name"] == (user["metadata"].get("name") or "rayservice-sample-serve-svc")
    assert built["spec"]["selector"] == {"ray.io/cluster": "c1", "ray.io/serve": "true"}
    assert built["metadata"]["labels"]["ray.io/originated-from-crd"] == "RayService"


def test_status_write_is_a_merge_patch_that_removes_what_went() -> None:
    old = {
        "pendingServiceStatus": {"rayClusterName": "c2", "applicationStatuses": {}},
        "observedGeneration": 1,
        "lastUpdateTime": "t0",
    }
    new = {"pendingServiceStatus": {}, "observedGeneration": 2, "lastUpdateTime": "t1"}
    assert merge_patch(old, new) == {
        "pendingServiceStatus": {"rayClusterName": None, "applicationStatuses": None},
        "observedGeneration": 2,
        "lastUpdateTime": "t1",
    }


def test_serving_cluster_pods_get_the_serve_label_env_and_worker_proxy_probe() -> None:
    from kuberay.build.pods import build_head_pod, build_worker_pod

    svc = _service()
    svc["spec"]["rayClusterConfig"]["rayVersion"] = "2.60.0"
    cluster = _cluster(svc, "c1")
    head, worker = build_head_pod(cluster), build_worker_pod(cluster, 0)
    assert head["metadata"]["labels"]["ray.io/serve"] == "false"
    assert worker["metadata"]["labels"]["ray.io/serve"] == "true"
    env = {e["name"]: e.get("value") for e in worker["spec"]["containers"][0]["env"]}
    assert env["RAY_timeout_ms_task_wait_for_death_info"] == "0" and env["RAY_SERVE_KV_TIMEOUT_S"] == "5"
    probe = worker["spec"]["containers"][0]["readinessProbe"]
    assert probe["failureThreshold"] == 1 and "localhost:8000/-/healthz" in probe["exec"]["command"][-1]
    assert "httpGet" in head["spec"]["containers"][0]["readinessProbe"]  # the head's is unchanged
    plain = copy.deepcopy(cluster)
    plain["metadata"]["labels"] = {}
    assert "ray.io/serve" not in (build_worker_pod(plain, 0)["metadata"].get("labels") or {})


def test_initializing_timeout_annotation_is_refused_naming_it() -> None:
    svc = _service()
    svc["metadata"]["annotations"] = {"ray.io/initializing-timeout": "5m"}
    step = plan.step(svc, plan.Observed(now=NOW))
    assert any(
        isinstance(a, plan.Warn)
        and a.reason == "InvalidRayServiceMetadata"
        and "metadata.annotations[ray.io/initializing-timeout]" in a.message
        for a in step.actions
    )


def test_an_unreachable_head_changes_nothing_and_is_asked_with_back_off() -> None:
    from kuberay.controller.cache import Cache
    from kuberay.controller.rayservice.actor import RayServiceActor
    from kuberay.controller.rayservice.wiring import ServiceCache

    svc, observed = _serving(_service(), "c1")
    svc["status"] = plan.step(svc, observed).status
    down = plan.Observed(**{**observed.__dict__, "serve": {"c1": ServeAnswer(error="ConnectionRefused")}})
    step = plan.step(svc, down)
    # the last known application statuses stay; no PUT, no Service change, no status write
    assert step.status == svc["status"] and step.actions == [] and step.poll
    actor = RayServiceActor(Cache(), ServiceCache(), None, None, None)  # type: ignore[arg-type]
    waits = [actor._requeue(("default", "x"), step, changed=False) for _ in range(6)]
    assert waits == [4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert actor._requeue(("default", "x"), step, changed=True) == 2.0
