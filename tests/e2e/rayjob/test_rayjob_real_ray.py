"""RayJobs run real Ray jobs on localkube: each submission mode we have reaches SUCCEEDED,
shutdownAfterJobFinishes deletes the cluster, a failing entrypoint ends FAILED after its retries
on a new cluster each, and deleting a running RayJob stops it before its cluster goes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from support.rayjob import (
    CODE_CONFIGMAP,
    apply,
    cluster_exists,
    delete_job,
    events,
    rayjob,
    status,
    wait_status,
    watched_job_statuses,
)
from support.walkthrough import (
    Stack,
    apply_docs,
    exec_in_head,
    head_pod_name,
    load_sample,
    localkube_with_node,
    quick_autoscaling,
    raycluster_of,
    wait_for,
    worker_pods,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_with_node(tmp_path_factory.mktemp("rayjob"), controllers=True) as s:
        s.kubectl.ok("wait", "--for=condition=Established", "crd/rayjobs.ray.io", "--timeout=60s")
        apply(s.kubectl, CODE_CONFIGMAP)
        yield s


def test_http_mode_runs_to_succeeded_and_shutdown_deletes_the_cluster(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply(kubectl, rayjob("http-ok", "HTTPMode", shutdownAfterJobFinishes=True))
    try:
        st = wait_status(kubectl, "http-ok", "Complete")
        assert st["jobStatus"] == "SUCCEEDED"
        assert st["jobId"].startswith("http-ok-") and st["rayClusterName"].startswith("http-ok-")
        assert st["dashboardURL"] == f"{st['rayClusterName']}-head-svc.default.svc.cluster.local:8265"
        assert st["succeeded"] == 1 and st["failed"] == 0
        assert st["startTime"] <= st["endTime"]
        assert st["rayJobInfo"]["startTime"] <= st["rayJobInfo"]["endTime"]
        wait_for(
            "the cluster to be deleted", lambda: not cluster_exists(kubectl, st["rayClusterName"]), 120, 1
        )
        reasons = {reason for _, reason, _ in events(kubectl, "http-ok")}
        assert {"CreatedRayCluster", "DeletedRayCluster"} <= reasons
        out = kubectl.ok("get", "rayjob", "http-ok")
        assert "SUCCEEDED" in out and "Complete" in out
    finally:
        delete_job(kubectl, "http-ok")


def test_k8s_job_mode_submitter_job_runs_the_job_and_its_log_has_the_output(stack: Stack) -> None:
    kubectl = stack.kubectl
    # five seconds of running: long enough that `kubectl get rayjob -w` must show RUNNING
    entrypoint = "python /home/ray/code/job.py && sleep 5"
    job = rayjob("k8s-ok", "K8sJobMode", entrypoint, shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=5)
    apply(kubectl, job)
    try:
        with watched_job_statuses(kubectl, "k8s-ok") as seen:
            st = wait_status(kubectl, "k8s-ok", "Complete")
            # the watch may print the last update a moment after the status read above
            wait_for("the watch to show SUCCEEDED", lambda: seen[-1:] == ["SUCCEEDED"], 30, 0.2)
        assert st["jobStatus"] == "SUCCEEDED" and st["succeeded"] == 1
        assert seen[-2:] == ["RUNNING", "SUCCEEDED"], seen
        log = kubectl.ok("logs", "-l", "job-name=k8s-ok", "--tail=-1")
        assert "hello: total=14" in log
        assert f"Job '{st['jobId']}' succeeded" in log
        wait_for(
            "the cluster to go after the TTL",
            lambda: not cluster_exists(kubectl, st["rayClusterName"]),
            120,
            1,
        )
        submitter = kubectl.ok("get", "job", "k8s-ok", "-o", "jsonpath={.spec.backoffLimit}")
        assert submitter == "2"
    finally:
        delete_job(kubectl, "k8s-ok")


def test_failing_entrypoint_is_retried_on_a_new_cluster_then_fails(stack: Stack) -> None:
    kubectl = stack.kubectl
    job = rayjob("http-fail", "HTTPMode", entrypoint="python -c 'import sys; sys.exit(3)'", backoffLimit=1)
    apply(kubectl, job)
    try:
        first = wait_status(kubectl, "http-fail", "Initializing")["rayClusterName"]

        def second_cluster() -> str | None:
            name = status(kubectl, "http-fail").get("rayClusterName")
            return name if name and name != first else None

        second = wait_for("a retry on a new cluster", second_cluster, 420, 2)
        st = wait_status(kubectl, "http-fail", "Failed")
        assert st["jobStatus"] == "FAILED" and st["reason"] == "AppFailed"
        assert st["failed"] == 2 and st["succeeded"] == 0
        assert second != first and not cluster_exists(kubectl, first)
    finally:
        delete_job(kubectl, "http-fail")


def test_sidecar_mode_runs_to_succeeded(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply(kubectl, rayjob("sidecar-ok", "SidecarMode"))
    try:
        st = wait_status(kubectl, "sidecar-ok", "Complete")
        assert st["jobStatus"] == "SUCCEEDED"
        head = head_pod_name(kubectl, st["rayClusterName"])
        log = kubectl.ok("logs", head, "-c", "ray-job-submitter")
        assert "hello: total=14" in log
    finally:
        delete_job(kubectl, "sidecar-ok")


def test_interactive_mode_waits_for_the_users_job_id(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply(kubectl, rayjob("interactive", "InteractiveMode", entrypoint=""))
    try:
        st = wait_status(kubectl, "interactive", "Waiting")
        assert "jobId" not in st
        head = head_pod_name(kubectl, st["rayClusterName"])
        exec_in_head(
            kubectl,
            head,
            "ray",
            "job",
            "submit",
            "--submission-id",
            "mine-1",
            "--runtime-env-json",
            '{"env_vars": {"GREETING": "hello"}}',
            "--",
            "python",
            "/home/ray/code/job.py",
        )
        kubectl.ok("patch", "rayjob", "interactive", "--type=merge", "-p", '{"spec": {"jobId": "mine-1"}}')
        st = wait_status(kubectl, "interactive", "Complete")
        assert st["jobStatus"] == "SUCCEEDED" and st["jobId"] == "mine-1"
        assert cluster_exists(kubectl, st["rayClusterName"])  # no shutdownAfterJobFinishes: it stays
    finally:
        delete_job(kubectl, "interactive")


def test_deleting_a_running_rayjob_stops_its_ray_job_then_the_cluster_goes(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply(kubectl, rayjob("http-sleep", "HTTPMode", entrypoint="python -c 'import time; time.sleep(600)'"))

    def running() -> dict[str, object] | None:
        st = status(kubectl, "http-sleep")
        return st if st.get("jobStatus") == "RUNNING" else None

    st = wait_for("the Ray job to run", running, 420, 2)
    job = kubectl.ok("get", "rayjob", "http-sleep", "-o", "jsonpath={.metadata.finalizers}")
    assert "ray.io/rayjob-finalizer" in job
    kubectl.run("delete", "rayjob", "http-sleep", "--wait=false")
    wait_for("the RayJob to go", lambda: kubectl.run("get", "rayjob", "http-sleep").returncode != 0, 120, 1)
    assert f"stopped Ray job {st['jobId']} of RayJob default/http-sleep" in stack.operator.log()
    wait_for("the cluster to be collected", lambda: not cluster_exists(kubectl, st["rayClusterName"]), 120, 1)


def test_active_deadline_fails_a_sleeping_job_with_deadline_exceeded(stack: Stack) -> None:
    kubectl = stack.kubectl
    sleeper = rayjob(
        "deadline",
        "HTTPMode",
        entrypoint="python -c 'import time; time.sleep(600)'",
        activeDeadlineSeconds=60,
    )
    apply(kubectl, sleeper)
    try:
        st = wait_status(kubectl, "deadline", "Failed")
        assert st["reason"] == "DeadlineExceeded" and "ActiveDeadlineSeconds: 60" in st["message"]
        assert st["failed"] == 1
    finally:
        delete_job(kubectl, "deadline")


def test_cluster_selector_runs_on_an_existing_cluster_and_leaves_it(stack: Stack) -> None:
    kubectl = stack.kubectl
    existing = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "shared-cluster"},
        "spec": rayjob("x", "HTTPMode")["spec"]["rayClusterSpec"],
    }
    apply(kubectl, existing)
    job = rayjob("on-existing", "HTTPMode", shutdownAfterJobFinishes=True)
    del job["spec"]["rayClusterSpec"]
    job["spec"]["clusterSelector"] = {"ray.io/cluster": "shared-cluster"}
    apply(kubectl, job)
    try:
        st = wait_status(kubectl, "on-existing", "Complete")
        assert st["jobStatus"] == "SUCCEEDED" and st["rayClusterName"] == "shared-cluster"
        time.sleep(3)  # shutdownAfterJobFinishes must not touch a cluster it did not create
        assert cluster_exists(kubectl, "shared-cluster")
    finally:
        delete_job(kubectl, "on-existing")
        kubectl.run("delete", "raycluster", "shared-cluster")


def test_suspend_deletes_the_cluster_and_resume_runs_the_job_on_a_new_one(stack: Stack) -> None:
    kubectl = stack.kubectl
    # KubeRay suspends only RayJobs that delete their cluster when done
    sleeper = "python -c 'import time; time.sleep(20)'"
    apply(kubectl, rayjob("pausable", "HTTPMode", entrypoint=sleeper, shutdownAfterJobFinishes=True))
    try:

        def running() -> dict[str, Any] | None:
            st = status(kubectl, "pausable")
            return st if st.get("jobStatus") == "RUNNING" else None

        first = wait_for("the Ray job to run", running, 420, 1)["rayClusterName"]
        kubectl.ok("patch", "rayjob", "pausable", "--type=merge", "-p", '{"spec": {"suspend": true}}')
        st = wait_status(kubectl, "pausable", "Suspended")
        assert "jobStatus" not in st and "rayClusterName" not in st
        wait_for("the cluster to be deleted", lambda: not cluster_exists(kubectl, first), 120, 1)
        kubectl.ok("patch", "rayjob", "pausable", "--type=merge", "-p", '{"spec": {"suspend": false}}')
        st = wait_status(kubectl, "pausable", "Complete")
        assert st["jobStatus"] == "SUCCEEDED" and st["rayClusterName"] != first
        second = st["rayClusterName"]
        wait_for("the new cluster to be deleted", lambda: not cluster_exists(kubectl, second), 120, 1)
        reasons = {reason for _, reason, _ in events(kubectl, "pausable")}
        assert "DeletedRayCluster" in reasons
    finally:
        delete_job(kubectl, "pausable")


AUTOSCALING_ENTRYPOINT = (
    'python -c "import ray; ray.init(); '
    "f = ray.remote(num_cpus=1)(lambda: ray.util.get_node_ip_address()); "
    "print('task ran on', ray.get(f.remote()))\""
)


def test_an_autoscaling_rayjob_gets_workers_for_its_job_and_they_leave_after_it(stack: Stack) -> None:
    """The head has no CPUs and the worker group's minimum is 0, so the job's one-CPU task can
    run only once Ray's autoscaler has asked for a worker pod; idle afterwards, the pod goes."""
    kubectl = stack.kubectl
    docs = quick_autoscaling(load_sample("ray-cluster.autoscaler.yaml"))
    cluster_spec = raycluster_of(docs)["spec"]
    assert cluster_spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert all(g.get("minReplicas", 0) == 0 for g in cluster_spec["workerGroupSpecs"])
    apply_docs(kubectl, [d for d in docs if d["kind"] == "ConfigMap"])
    job = rayjob("autoscaling", "HTTPMode", entrypoint=AUTOSCALING_ENTRYPOINT)
    job["spec"]["rayClusterSpec"] = cluster_spec
    apply(kubectl, job)
    try:
        cluster = wait_for("a cluster", lambda: status(kubectl, "autoscaling").get("rayClusterName"), 120, 1)

        def worker_ips() -> list[str] | None:
            ips = [p["status"]["podIP"] for p in worker_pods(kubectl, cluster) if p["status"].get("podIP")]
            return ips or None

        seen = wait_for("a worker pod for the job", worker_ips, 420, 1)
        st = wait_status(kubectl, "autoscaling", "Complete")
        assert st["jobStatus"] == "SUCCEEDED"
        head = head_pod_name(kubectl, cluster)
        logs = exec_in_head(kubectl, head, "ray", "job", "logs", st["jobId"])
        assert f"task ran on {seen[0]}" in logs, logs  # on the worker the autoscaler added
        # idle for idleTimeoutSeconds (10 s here): the autoscaler removes the worker
        wait_for("the workers to leave", lambda: not worker_pods(kubectl, cluster), 300, 2)
        assert cluster_exists(kubectl, cluster)  # the cluster itself stays (no shutdown asked)
    finally:
        delete_job(kubectl, "autoscaling")
        kubectl.run("delete", "configmap", "ray-example")
