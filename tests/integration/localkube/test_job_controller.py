"""localkube's Job controller against its API server, through the official client (on the real
control plane, kube-controller-manager's Job controller takes the same tests, as the referee). No
kubelet: the test plays it, moving pods to Succeeded or Failed with their containers' exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest

from kubeschema.timestamps import now_time
from localkube.apiserver.server import APIServer
from localkube.testing import running_controllers
from support.pods import wait_for

TRACKING = "batch.kubernetes.io/job-tracking"


class Batch:
    def __init__(self, k8s: kubernetes.client.ApiClient) -> None:
        self.batch = kubernetes.client.BatchV1Api(k8s)
        self.core = kubernetes.client.CoreV1Api(k8s)

    def create(self, name: str, **spec: Any) -> Any:
        body = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        # the test plays the kubelet: on a real cluster kube-scheduler leaves the
                        # pods alone
                        "schedulerName": "the-test",
                        "containers": [{"name": "main", "image": "python", "command": ["true"]}],
                    }
                },
                **spec,
            },
        }
        return self.batch.create_namespaced_job("default", body)

    def job(self, name: str) -> Any:
        return self.batch.read_namespaced_job(name, "default")

    def pods(self, job: str, *, active_only: bool = False) -> list[Any]:
        pods = self.core.list_namespaced_pod("default", label_selector=f"job-name={job}").items
        if active_only:
            pods = [p for p in pods if not p.metadata.deletion_timestamp and p.status.phase == "Pending"]
        return list(pods)

    def finish(self, pod: Any, exit_code: int) -> None:
        """Report the pod's container as ended, as a kubelet does."""
        now = now_time()
        terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error"}
        body = {
            "status": {
                "phase": "Succeeded" if exit_code == 0 else "Failed",
                "containerStatuses": [
                    {
                        "name": "main",
                        "image": "python",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": {**terminated, "startedAt": now, "finishedAt": now}},
                    }
                ],
            }
        }
        self.core.patch_namespaced_pod_status(pod.metadata.name, "default", body)

    def condition(self, name: str, type_: str) -> Any:
        job = self.job(name)
        return next(
            (
                c
                for c in (job.status and job.status.conditions) or []
                if c.type == type_ and c.status == "True"
            ),
            None,
        )


@pytest.fixture
def batch(apiserver: APIServer, k8s: kubernetes.client.ApiClient, control_plane: str) -> Iterator[Batch]:
    if control_plane == "kubernetes":
        # kube-controller-manager's Job controller is the referee for ours; running both made two
        # controllers create pods for one Job and delete the extra two (counted as failed)
        yield Batch(k8s)
        return
    with running_controllers(apiserver.url, apiserver.kubeconfig_path):
        yield Batch(k8s)


def test_a_job_runs_its_completions_and_reports_complete(batch: Batch) -> None:
    created = batch.create("pi", completions=3, parallelism=2)
    pods = wait_for("2 pods at once", lambda: len(batch.pods("pi")) == 2 and batch.pods("pi"), timeout=30)
    pod = pods[0]
    assert pod.metadata.name.startswith("pi-")
    assert pod.metadata.labels["batch.kubernetes.io/job-name"] == "pi"
    assert pod.metadata.labels["batch.kubernetes.io/controller-uid"] == created.metadata.uid
    assert pod.metadata.labels["controller-uid"] == created.metadata.uid
    assert TRACKING in pod.metadata.finalizers
    ref = pod.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller) == ("Job", "pi", created.metadata.uid, True)
    wait_for("status.active 2", lambda: batch.job("pi").status.active == 2, timeout=30)
    assert batch.job("pi").status.start_time is not None

    for p in pods:
        batch.finish(p, 0)
    third = wait_for("a third pod", lambda: batch.pods("pi", active_only=True), timeout=30)
    assert len(batch.pods("pi")) == 3
    batch.finish(third[0], 0)

    complete = wait_for("Complete", lambda: batch.condition("pi", "Complete"), timeout=30)
    assert complete.reason == "CompletionsReached"
    job = batch.job("pi")
    assert job.status.succeeded == 3 and not job.status.active and not job.status.failed
    assert job.status.completion_time is not None
    assert batch.condition("pi", "SuccessCriteriaMet").reason == "CompletionsReached"
    assert all(TRACKING not in (p.metadata.finalizers or []) for p in batch.pods("pi"))


def test_failures_past_backoff_limit_fail_the_job(batch: Batch) -> None:
    batch.create("bad", backoffLimit=0)
    (pod,) = wait_for("a pod", lambda: batch.pods("bad"), timeout=30)
    batch.finish(pod, 3)
    failed = wait_for("Failed", lambda: batch.condition("bad", "Failed"), timeout=30)
    assert (failed.reason, failed.message) == (
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert batch.condition("bad", "FailureTarget").reason == "BackoffLimitExceeded"
    job = batch.job("bad")
    assert job.status.failed == 1 and job.status.completion_time is None
    assert len(batch.pods("bad")) == 1  # no replacement once the limit is reached


def test_a_deleted_pod_counts_as_failed_and_is_replaced(batch: Batch) -> None:
    batch.create("again", backoffLimit=3)
    (pod,) = wait_for("a pod", lambda: batch.pods("again"), timeout=30)
    batch.core.delete_namespaced_pod(pod.metadata.name, "default")
    wait_for("the deleted pod counted as failed", lambda: batch.job("again").status.failed == 1, timeout=30)
    fresh = wait_for("a replacement", lambda: batch.pods("again", active_only=True), timeout=30)
    assert fresh[0].metadata.uid != pod.metadata.uid
    # the finalizer was dropped, so the deleted pod is gone for good
    wait_for(
        "pod gone", lambda: all(p.metadata.uid != pod.metadata.uid for p in batch.pods("again")), timeout=30
    )


def test_active_deadline_stops_the_job(batch: Batch) -> None:
    batch.create("slow", activeDeadlineSeconds=1)  # its pod may come and go between two looks
    failed = wait_for("Failed by the deadline", lambda: batch.condition("slow", "Failed"), timeout=30)
    assert (failed.reason, failed.message) == (
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
    )
    wait_for("its pod deleted", lambda: not batch.pods("slow"), timeout=30)
    assert batch.job("slow").status.failed == 1  # the pod it started, stopped by the deadline


def test_pod_failure_policy_fails_the_job_on_a_matching_exit_code(batch: Batch) -> None:
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}
    batch.create("policy", backoffLimit=6, podFailurePolicy=policy)
    (pod,) = wait_for("a pod", lambda: batch.pods("policy"), timeout=30)
    batch.finish(pod, 42)
    failed = wait_for("Failed", lambda: batch.condition("policy", "Failed"), timeout=30)
    assert failed.reason == "PodFailurePolicy"
    assert "failed with exit code 42 matching FailJob rule at index 0" in failed.message


def test_ttl_after_finished_deletes_the_job_and_its_pods(batch: Batch) -> None:
    batch.create("brief", ttlSecondsAfterFinished=0)
    (pod,) = wait_for("a pod", lambda: batch.pods("brief"), timeout=30)
    batch.finish(pod, 0)

    def gone() -> bool:
        try:
            batch.job("brief")
        except kubernetes.client.ApiException as e:
            return e.status == 404
        return False

    wait_for("the Job deleted after it finished", gone, timeout=30)
    wait_for("its pods deleted with it", lambda: not batch.pods("brief"), timeout=30)


def test_a_cronjob_starts_jobs_on_its_schedule(batch: Batch) -> None:
    body = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {
                "metadata": {"labels": {"app": "tick"}},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "main", "image": "python", "command": ["true"]}],
                        }
                    }
                },
            },
        },
    }
    cj = batch.batch.create_namespaced_cron_job("default", body)
    jobs = wait_for(
        "a Job at the next minute",
        lambda: batch.batch.list_namespaced_job("default", label_selector="app=tick").items,
        timeout=90,
    )
    ref = jobs[0].metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller) == ("CronJob", "tick", cj.metadata.uid, True)
    assert jobs[0].metadata.name.startswith("tick-")
    status = wait_for(
        "status.active", lambda: batch.batch.read_namespaced_cron_job("tick", "default").status, timeout=30
    )
    assert status.last_schedule_time is not None
    assert [r.name for r in status.active or []] == [jobs[0].metadata.name]
