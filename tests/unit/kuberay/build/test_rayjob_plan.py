"""The RayJob state machine (pure): KubeRay's transitions, names, objects, events and requeues."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
import yaml

from kuberay.api.crd import render_crd
from kuberay.api.rayjob_validation import validate_rayjob
from kuberay.build.rayjob import plan
from kuberay.build.rayjob.objects import build_cluster, submit_command
from kuberay.build.rayjob.plan import Create, Delete, JobInfo, Observed, SubmitHTTP, Warn
from localkube.apiserver import schema as kube_schema
from support.paths import KUBERAY_SAMPLES

SAMPLES = KUBERAY_SAMPLES
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@cache
def _schema() -> dict[str, Any]:
    return render_crd("rayjob")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def sample(name: str = "ray-job.sample.yaml", **spec: Any) -> dict[str, Any]:
    """A shared sample's RayJob as the API server hands it to the operator (defaults applied)."""
    (job,) = [d for d in yaml.safe_load_all((SAMPLES / name).read_text()) if d and d["kind"] == "RayJob"]
    job["metadata"].update(namespace="default", uid="uid-1", resourceVersion="7")
    job["spec"].update(spec)
    kube_schema.apply_defaults(job, _schema())
    return dict(job)


def with_status(job: dict[str, Any], **status: Any) -> dict[str, Any]:
    job = copy.deepcopy(job)
    job["status"] = {**(job.get("status") or {}), **status}
    job["metadata"]["finalizers"] = ["ray.io/rayjob-finalizer"]
    return job


def cluster(name: str = "rayjob-sample-abcde", state: str | None = "ready") -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": name, "namespace": "default", "uid": "c1"},
        "spec": sample()["spec"]["rayClusterSpec"],
        "status": {"state": state, "lastUpdateTime": "2026-01-01T11:00:00Z"} if state else {},
    }


HEAD_SVC = {
    "metadata": {"name": "rayjob-sample-abcde-head-svc", "namespace": "default"},
    "spec": {"clusterIP": "None", "ports": [{"name": "dashboard", "port": 8265}]},
}
RUNNING = {
    "jobId": "rayjob-sample-xyz12",
    "rayClusterName": "rayjob-sample-abcde",
    "jobDeploymentStatus": "Running",
    "dashboardURL": "rayjob-sample-abcde-head-svc.default.svc.cluster.local:8265",
    "startTime": "2026-01-01T11:59:00Z",
    "jobStatus": "RUNNING",
}


def obs(**kw: Any) -> Observed:
    kw.setdefault("suffix", "abcde")
    return Observed(now=kw.pop("now", NOW), **kw)


def creates(step: plan.Step, kind: str) -> list[dict[str, Any]]:
    return [a.obj for a in step.actions if isinstance(a, Create) and a.obj["kind"] == kind]


def test_a_new_rayjob_gets_ids_names_a_finalizer_and_initializing() -> None:
    step = plan.step(sample(), obs())
    st = step.status
    assert st["jobDeploymentStatus"] == "Initializing"
    assert st["jobId"] == "rayjob-sample-abcde" and st["rayClusterName"] == "rayjob-sample-abcde"
    assert st["startTime"] == "2026-01-01T12:00:00Z"
    assert any(isinstance(a, plan.AddFinalizer) for a in step.actions)
    assert plan.step(sample(jobId="mine"), obs()).status["jobId"] == "mine"


def test_initializing_creates_the_cluster_kuberay_would() -> None:
    job = with_status(
        sample(), jobDeploymentStatus="Initializing", rayClusterName="rayjob-sample-abcde", jobId="j"
    )
    step = plan.step(job, obs())
    (made,) = creates(step, "RayCluster")
    assert made["metadata"]["name"] == "rayjob-sample-abcde"
    assert made["metadata"]["labels"] == {
        "ray.io/originated-from-cr-name": "rayjob-sample",
        "ray.io/originated-from-crd": "RayJob",
        "ray.io/job-submission-mode": "K8sJobMode",
    }
    assert made["metadata"]["ownerReferences"][0]["kind"] == "RayJob"
    assert made["spec"] == sample()["spec"]["rayClusterSpec"]
    assert step.actions[0].ok == ("CreatedRayCluster", "Created RayCluster default/rayjob-sample-abcde")  # type: ignore[union-attr]


def test_initializing_waits_for_a_ready_cluster_then_creates_the_submitter_job() -> None:
    job = with_status(
        sample(), jobDeploymentStatus="Initializing", rayClusterName="rayjob-sample-abcde", jobId="j1"
    )
    waiting = plan.step(job, obs(cluster=cluster(state=None)))
    assert waiting.status["jobDeploymentStatus"] == "Initializing" and not waiting.actions
    assert waiting.requeue_after is None  # the cluster's watch events call us back

    step = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC))
    assert step.status["jobDeploymentStatus"] == "Running"
    assert step.status["dashboardURL"] == "rayjob-sample-abcde-head-svc.default.svc.cluster.local:8265"
    (submitter,) = creates(step, "Job")
    assert submitter["metadata"]["name"] == "rayjob-sample"
    assert submitter["spec"]["backoffLimit"] == 2
    container = submitter["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "ray-job-submitter" and container["image"] == "rayproject/ray:2.52.0"
    assert container["command"] == ["/bin/bash", "-ce", "--"]
    script = container["args"][0]
    address = "http://rayjob-sample-abcde-head-svc.default.svc.cluster.local:8265"
    assert f"ray job submit --address {address} --no-wait" in script
    assert "--submission-id j1 -- python /home/ray/samples/sample_code.py ;" in script
    assert script.endswith(f"ray job logs --address {address} --follow j1")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["RAY_JOB_SUBMISSION_ID"] == "j1" and env["PYTHONUNBUFFERED"] == "1"
    assert env["RAY_DASHBOARD_ADDRESS"] == "rayjob-sample-abcde-head-svc.default.svc.cluster.local:8265"
    assert submitter["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_submitter_config_and_template_are_honoured() -> None:
    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "mine", "image": "img:1"}]}}
    job = with_status(
        sample(submitterConfig={"backoffLimit": 0}, submitterPodTemplate=template),
        jobDeploymentStatus="Initializing",
        rayClusterName="rayjob-sample-abcde",
        jobId="j1",
    )
    (submitter,) = creates(plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC)), "Job")
    assert submitter["spec"]["backoffLimit"] == 0
    (container,) = submitter["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "mine" and "ray job submit" in container["args"][0]


def test_http_mode_submits_through_the_dashboard_when_the_job_is_unknown() -> None:
    job = with_status(sample(submissionMode="HTTPMode"), **RUNNING)
    step = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, info_missing=True))
    (submit,) = [a for a in step.actions if isinstance(a, SubmitHTTP)]
    assert submit.body == {
        "entrypoint": "python /home/ray/samples/sample_code.py",
        "submission_id": "rayjob-sample-xyz12",
        "runtime_env": {
            "pip": ["requests==2.26.0", "pendulum==2.1.2"],
            "env_vars": {"counter_name": "test_counter"},
        },
    }
    assert step.poll


def test_a_succeeded_ray_job_completes_the_rayjob_once() -> None:
    job = with_status(sample(submissionMode="HTTPMode"), **RUNNING)
    info = JobInfo("SUCCEEDED", "Job finished successfully.", 1767268740000, 1767268790000)
    step = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, info=info))
    st = step.status
    assert (st["jobStatus"], st["jobDeploymentStatus"]) == ("SUCCEEDED", "Complete")
    assert st["succeeded"] == 1 and st["failed"] == 0 and st["endTime"] == "2026-01-01T12:00:00Z"
    assert st["rayJobInfo"] == {"startTime": "2026-01-01T11:59:00Z", "endTime": "2026-01-01T11:59:50Z"}
    assert st["message"] == "Job finished successfully."
    assert "lastUpdateTime" not in st["rayClusterStatus"]
    # steady state: nothing to do, nothing to ask, no timer
    done = with_status(job, **st)
    assert not plan.wants_job_info(done)
    again = plan.step(done, obs(cluster=cluster(), head_service=HEAD_SVC))
    assert again.status == st and not again.actions and again.requeue_after is None


def test_k8s_job_mode_completes_only_once_the_submitter_finished() -> None:
    job = with_status(sample(), **RUNNING)
    submitter: dict[str, Any] = {"metadata": {"name": "rayjob-sample"}, "status": {}}
    info = JobInfo("SUCCEEDED")
    still = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, submitter=submitter, info=info))
    assert still.status["jobDeploymentStatus"] == "Running" and still.status["jobStatus"] == "SUCCEEDED"
    submitter["status"] = {
        "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T11:59:59Z"}]
    }
    done = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, submitter=submitter, info=info))
    assert done.status["jobDeploymentStatus"] == "Complete"


def test_a_failed_submitter_job_fails_the_rayjob_with_kuberays_message() -> None:
    job = with_status(sample(), **RUNNING)
    cond = {
        "type": "Failed",
        "status": "True",
        "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit",
    }
    submitter = {"metadata": {"name": "rayjob-sample"}, "status": {"conditions": [cond]}}
    st = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, submitter=submitter)).status
    assert st["jobDeploymentStatus"] == "Failed" and st["reason"] == "SubmissionFailed"
    assert st["message"] == (
        "Job submission has failed. Reason: BackoffLimitExceeded. "
        "Message: Job has reached the specified backoff limit"
    )


def test_failure_retries_on_a_new_cluster_until_the_backoff_limit() -> None:
    job = with_status(sample(submissionMode="HTTPMode", backoffLimit=1), **RUNNING)
    failed = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, info=JobInfo("FAILED", "exit 3")))
    assert failed.status["jobDeploymentStatus"] == "Retrying" and failed.status["failed"] == 1
    retrying = with_status(job, **failed.status)
    releasing = plan.step(retrying, obs(cluster=cluster()))
    assert [type(a) for a in releasing.actions] == [Delete]
    assert releasing.status == failed.status  # waits until the cluster is really gone
    fresh = plan.step(retrying, obs())
    assert fresh.status["jobDeploymentStatus"] == ""
    assert "rayClusterName" not in fresh.status and "jobId" not in fresh.status
    renamed = plan.step(with_status(retrying, **fresh.status) | {"status": fresh.status}, obs(suffix="zzzzz"))
    assert renamed.status["rayClusterName"] == "rayjob-sample-zzzzz"
    # the second failure is final
    last = with_status(job, **{**RUNNING, "failed": 1})
    final = plan.step(last, obs(cluster=cluster(), head_service=HEAD_SVC, info=JobInfo("FAILED")))
    assert final.status["jobDeploymentStatus"] == "Failed" and final.status["failed"] == 2
    assert final.status["reason"] == "AppFailed"


def test_active_deadline_fails_with_deadline_exceeded_and_is_not_retried() -> None:
    job = with_status(sample(submissionMode="HTTPMode", activeDeadlineSeconds=30, backoffLimit=3), **RUNNING)
    early = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC, now=NOW - timedelta(seconds=50)))
    assert early.status["jobDeploymentStatus"] == "Running"
    assert early.requeue_after == pytest.approx(22.0)  # at the deadline (+2 s, as KubeRay)
    st = plan.step(job, obs(cluster=cluster(), head_service=HEAD_SVC)).status
    assert st["jobDeploymentStatus"] == "Failed" and st["reason"] == "DeadlineExceeded"
    assert "ActiveDeadlineSeconds: 30" in st["message"]


def test_shutdown_after_the_ttl_deletes_the_cluster_but_never_a_selected_one() -> None:
    done = {
        **RUNNING,
        "jobStatus": "SUCCEEDED",
        "jobDeploymentStatus": "Complete",
        "endTime": "2026-01-01T11:59:50Z",
    }
    job = with_status(sample(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=20), **done)
    wait = plan.step(job, obs(cluster=cluster()))
    assert not wait.actions and wait.requeue_after == pytest.approx(12.0)
    later = plan.step(job, obs(cluster=cluster(), now=NOW + timedelta(seconds=11)))
    (delete,) = later.actions
    assert isinstance(delete, Delete) and delete.kind == "RayCluster" and delete.ok[0] == "DeletedRayCluster"
    gone = plan.step(job, obs(now=NOW + timedelta(seconds=11)))
    assert not gone.actions and gone.requeue_after is None
    selected = with_status(
        sample("ray-job.use-existing-raycluster.yaml", shutdownAfterJobFinishes=True), **done
    )
    assert not plan.step(selected, obs(cluster=cluster(), now=NOW + timedelta(hours=1))).actions


def test_deletion_rules_run_the_most_impactful_overdue_rule() -> None:
    rules = [
        {"policy": "DeleteWorkers", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": 0}},
        {"policy": "DeleteCluster", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": 5}},
        {"policy": "DeleteSelf", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": 60}},
    ]
    done = {
        **RUNNING,
        "jobStatus": "SUCCEEDED",
        "jobDeploymentStatus": "Complete",
        "endTime": "2026-01-01T11:59:50Z",
    }
    job = with_status(sample(deletionStrategy={"deletionRules": rules}), **done)
    step = plan.step(job, obs(cluster=cluster()))
    assert [type(a).__name__ for a in step.actions] == ["Delete"]
    assert step.requeue_after == pytest.approx(52.0)
    assert [type(a).__name__ for a in plan.step(job, obs(now=NOW + timedelta(minutes=2))).actions] == [
        "DeleteSelf"
    ]


def test_suspend_releases_the_cluster_and_resume_starts_over() -> None:
    job = with_status(
        sample(submissionMode="HTTPMode", suspend=True, shutdownAfterJobFinishes=True), **RUNNING
    )
    st = plan.step(job, obs(cluster=cluster())).status
    assert st["jobDeploymentStatus"] == "Suspending"
    suspending = with_status(job, **st)
    assert [type(a) for a in plan.step(suspending, obs(cluster=cluster())).actions] == [Delete]
    st = plan.step(suspending, obs()).status
    assert st["jobDeploymentStatus"] == "Suspended" and "jobStatus" not in st
    resumed = with_status(sample(submissionMode="HTTPMode", shutdownAfterJobFinishes=True), **st)
    assert plan.step(resumed, obs()).status["jobDeploymentStatus"] == ""


def test_interactive_mode_waits_for_spec_job_id() -> None:
    base = {k: v for k, v in RUNNING.items() if k not in ("jobId", "jobStatus")}
    job = with_status(sample("ray-job.interactive-mode.yaml"), **{**base, "jobDeploymentStatus": "Waiting"})
    waiting = plan.step(job, obs(cluster=cluster()))
    assert waiting.status["jobDeploymentStatus"] == "Waiting" and waiting.requeue_after is None
    job["spec"]["jobId"] = "mine"
    st = plan.step(job, obs(cluster=cluster())).status
    assert st["jobId"] == "mine" and st["jobDeploymentStatus"] == "Running"


def test_sidecar_mode_puts_the_submitter_in_the_head_pod() -> None:
    job = with_status(sample("ray-job.sidecar-mode.yaml"), jobId="j1")
    made = build_cluster(job, "c")
    pod = made["spec"]["headGroupSpec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["ray-head", "ray-job-submitter"]
    assert pod["restartPolicy"] == "Never"
    script = pod["containers"][1]["args"][0]
    assert "ray job submit --address http://127.0.0.1:8265" in script and "--no-wait" not in script
    assert "ray job logs" not in script
    assert made["metadata"]["annotations"]["ray.io/disable-provisioned-head-restart"] == "true"


def test_sidecar_submitter_exit_code_fails_the_rayjob() -> None:
    job = with_status(sample("ray-job.sidecar-mode.yaml"), **RUNNING)
    head = {
        "status": {
            "containerStatuses": [
                {"name": "ray-job-submitter", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}
            ]
        }
    }
    st = plan.step(job, obs(cluster=cluster(), head_pod=head)).status
    assert st["jobDeploymentStatus"] == "Failed" and st["reason"] == "SubmissionFailed"
    assert st["message"] == "Ray head pod container ray-job-submitter terminated with exit code 1: Error"


def test_entrypoint_options_reach_the_submit_command() -> None:
    job = with_status(
        sample(
            entrypointNumCpus=1,
            entrypointNumGpus=0.5,
            entrypointResources='{"Custom_1": 1}',
            metadata={"a": "b"},
        ),
        jobId="j",
        dashboardURL="svc:8265",
    )
    words = submit_command(job, "K8sJobMode")
    assert words[words.index("--entrypoint-num-cpus") + 1] == "1.000000"
    assert words[words.index("--entrypoint-num-gpus") + 1] == "0.500000"
    assert words[words.index("--entrypoint-resources") + 1] == '"{\\"Custom_1\\": 1}"'
    assert words[words.index("--metadata-json") + 1] == '"{\\"a\\":\\"b\\"}"'


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"entrypoint": ""}, "spec.entrypoint"),
        ({"submissionMode": "CarrierPigeon"}, "spec.submissionMode"),
        ({"clusterSelector": {"ray.io/cluster": "c"}}, "spec.clusterSelector"),
        ({"activeDeadlineSeconds": -5}, "spec.activeDeadlineSeconds"),
        ({"backoffLimit": -1}, "spec.backoffLimit"),
        ({"ttlSecondsAfterFinished": 10}, "spec.ttlSecondsAfterFinished"),
        ({"suspend": True}, "spec.suspend"),
        ({"runtimeEnvYAML": "[1, 2"}, "spec.runtimeEnvYAML"),
        ({"entrypointResources": "lots"}, "spec.entrypointResources"),
    ],
)
def test_bad_input_gets_a_warning_and_a_failed_status_naming_the_field(
    spec: dict[str, Any], path: str
) -> None:
    job = sample(**spec)
    step = plan.step(job, obs())
    st = step.status
    assert st["jobDeploymentStatus"] == "ValidationFailed" and st["reason"] == "ValidationFailed"
    assert path in st["message"]
    (warn,) = [a for a in step.actions if isinstance(a, Warn)]
    assert warn.reason == "InvalidRayJobSpec" and warn.message.startswith(f"default/rayjob-sample: {path}")
    # once reported, the same problem is not reported again
    assert not plan.step(with_status(job, **st), obs()).actions
    # fixed: it starts from the beginning
    fixed = with_status(sample(), **st)
    assert plan.step(fixed, obs()).status["jobDeploymentStatus"] == "Initializing"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("ray-job.*.yaml")))
def test_every_shared_sample_is_valid_for_the_controller(name: str) -> None:
    assert validate_rayjob(sample(name)) == []
