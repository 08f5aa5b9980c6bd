"""KubeRay's Redis cleanup Job and finalizer decisions for GCS fault tolerance (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kuberay.build import redis_cleanup as rc

Load = Any


@pytest.fixture
def ft_cluster(load: Load) -> Any:
    def make(name: str = "raycluster-ft", **options: Any) -> dict[str, Any]:
        cluster: dict[str, Any] = load("ray-cluster.complete.yaml")
        cluster["metadata"]["name"] = name
        cluster["spec"]["gcsFaultToleranceOptions"] = {"redisAddress": "redis:6379", **options}
        return cluster

    return make


def test_the_job_is_the_head_pod_reduced_to_its_ray_container(ft_cluster: Any) -> None:
    secret = {"valueFrom": {"secretKeyRef": {"name": "redis-credentials", "key": "username"}}}
    job = rc.build_redis_cleanup_job(ft_cluster(redisUsername=secret))
    assert job["metadata"]["name"] == "raycluster-ft-redis-cleanup"
    assert job["metadata"]["labels"]["ray.io/node-type"] == "redis-cleanup"
    container = job["spec"]["template"]["spec"]["containers"]
    assert len(container) == 1 and container[0]["command"] == ["/bin/bash", "-c", "--"]
    # with a username, the cleanup passes it to Redis
    assert "username=os.getenv('REDIS_USERNAME'" in container[0]["args"][0]
    assert container[0]["resources"]["limits"] == {"cpu": "200m", "memory": "256Mi"}


def test_without_a_username_none_is_passed(ft_cluster: Any) -> None:
    args = rc.build_redis_cleanup_job(ft_cluster())["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "username=" not in args and "password=os.getenv('REDIS_PASSWORD'" in args


def test_long_names_keep_their_last_63_characters(ft_cluster: Any) -> None:
    name = rc.job_name(ft_cluster("a" * 60))
    assert len(name) == 63 and name.endswith("-redis-cleanup")


def test_which_clusters_get_the_finalizer(ft_cluster: Any, load: Load) -> None:
    assert rc.wants_cleanup(ft_cluster(), enabled=True)
    assert not rc.wants_cleanup(ft_cluster(), enabled=False)  # ENABLE_GCS_FT_REDIS_CLEANUP=false
    embedded = ft_cluster()
    embedded["spec"]["gcsFaultToleranceOptions"] = {"backend": "rocksdb"}
    assert not rc.wants_cleanup(embedded, enabled=True)
    legacy = load("ray-cluster.complete.yaml")
    assert not rc.wants_cleanup(legacy, enabled=True)
    legacy["metadata"]["annotations"] = {"ray.io/ft-enabled": "true"}
    assert rc.wants_cleanup(legacy, enabled=True)


def test_job_outcomes() -> None:
    def job(*conditions: tuple[str, str]) -> dict[str, Any]:
        return {"status": {"conditions": [{"type": t, "status": s} for t, s in conditions]}}

    assert rc.job_outcome({}) is None
    assert rc.job_outcome(job(("Complete", "False"))) is None
    assert rc.job_outcome(job(("SuccessCriteriaMet", "True"), ("Complete", "True"))) == "Complete"
    assert rc.job_outcome(job(("FailureTarget", "True"))) == "Failed"
    assert rc.job_outcome(job(("Failed", "True"))) == "Failed"


def test_deletion_timeout_from_the_annotation_or_five_minutes(ft_cluster: Any) -> None:
    cluster = ft_cluster()
    assert rc.deletion_timeout(cluster) == 300
    for bad in ("soon", "0", "-5"):
        cluster["metadata"]["annotations"] = {"ray.io/gcs-ft-deletion-timeout": bad}
        assert rc.deletion_timeout(cluster) == 300
    cluster["metadata"]["annotations"] = {"ray.io/gcs-ft-deletion-timeout": "30"}
    assert rc.deletion_timeout(cluster) == 30
    cluster["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert rc.deleted_for(cluster, dt.datetime(2026, 1, 1, 0, 0, 31, tzinfo=dt.UTC)) == 31
