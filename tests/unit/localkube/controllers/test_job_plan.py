"""The Job controller's decisions: pods to run, how ends are counted, conditions as Kubernetes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time
from localkube.controllers.job import TRACKING_FINALIZER, new_pod, plan, stray_pods

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
STARTED = format_time(NOW - timedelta(minutes=5))


def job(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    full = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "template": {
            "metadata": {"labels": {"job-name": "pi", "batch.kubernetes.io/job-name": "pi"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "python"}]},
        },
        **spec,
    }
    full = {k: v for k, v in full.items() if v is not None}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "ns", "uid": "job-uid"},
        "spec": full,
        "status": status if status is not None else {"startTime": STARTED},
    }


def pod(
    name: str,
    phase: str = "Running",
    *,
    held: bool = True,
    exit_code: int | None = None,
    ended: datetime = NOW - timedelta(minutes=1),
    terminating: bool = False,
    owner: str = "job-uid",
    ready: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "ns",
        "uid": f"uid-{name}",
        "creationTimestamp": format_time(NOW - timedelta(minutes=4)),
        "ownerReferences": [
            {"apiVersion": "batch/v1", "kind": "Job", "name": "pi", "uid": owner, "controller": True}
        ],
    }
    if held:
        meta["finalizers"] = [TRACKING_FINALIZER]
    if terminating:
        meta["deletionTimestamp"] = format_time(NOW)
    status: dict[str, Any] = {"phase": phase}
    if exit_code is not None:
        status["containerStatuses"] = [
            {
                "name": "main",
                "restartCount": 0,
                "state": {"terminated": {"exitCode": exit_code, "finishedAt": format_time(ended)}},
            }
        ]
    if ready:
        status["conditions"] = [{"type": "Ready", "status": "True"}]
    return {"metadata": meta, "status": status}


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status.get("conditions") or []}


def test_a_new_job_starts_one_pod_and_reports_it_as_kubernetes_does() -> None:
    p = plan(job(status={}), [], NOW)
    assert p.create == 1
    assert p.status == {
        "startTime": format_time(NOW),
        "active": 1,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "ready": 0,
    }


def test_parallelism_is_capped_by_the_completions_still_missing() -> None:
    status = {"startTime": STARTED, "succeeded": 3}
    assert plan(job(status, parallelism=4, completions=5), [], NOW).create == 2
    assert plan(job(status, parallelism=2, completions=9), [], NOW).create == 2
    # more running than wanted: the surplus goes
    running = [pod(f"p{i}") for i in range(4)]
    assert len(plan(job(status, parallelism=1, completions=9), running, NOW).delete) == 3


def test_a_succeeded_pod_is_recorded_before_its_finalizer_goes_then_counted() -> None:
    done = pod("a", "Succeeded", exit_code=0)
    first = plan(job(), [done], NOW)
    assert first.status["uncountedTerminatedPods"] == {"succeeded": ["uid-a"]}
    assert first.unfinalize == ("a",)
    assert "succeeded" not in first.status
    assert conditions(first.status)["SuccessCriteriaMet"] == (
        "True",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
    )
    assert "Complete" not in conditions(first.status)
    assert first.create == 0

    after = job(first.status)
    second = plan(after, [pod("a", "Succeeded", exit_code=0, held=False)], NOW)
    assert second.status["succeeded"] == 1
    assert second.status["uncountedTerminatedPods"] == {}
    assert conditions(second.status)["Complete"][0:2] == ("True", "CompletionsReached")
    assert second.status["completionTime"] == format_time(NOW)
    assert ("Normal", "Completed", "Job completed") in second.events


def test_a_recorded_pod_deleted_by_someone_else_is_still_counted_once() -> None:
    status = {"startTime": STARTED, "failed": 1, "uncountedTerminatedPods": {"failed": ["uid-gone"]}}
    p = plan(job(status), [], NOW)
    assert p.status["failed"] == 2
    assert p.status["uncountedTerminatedPods"] == {}


def test_failures_beyond_backoff_limit_fail_the_job_and_stop_its_pods() -> None:
    status = {"startTime": STARTED, "failed": 2}
    pods = [pod("f", "Failed", exit_code=1), pod("run")]
    p = plan(job(status, backoffLimit=2, parallelism=2, completions=4), pods, NOW)
    assert conditions(p.status)["FailureTarget"] == (
        "True",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert p.delete == ("run",)
    assert p.create == 0
    assert "Failed" not in conditions(p.status)  # not until nothing runs or waits to be counted

    later = plan(job(p.status, backoffLimit=2), [pod("f", "Failed", exit_code=1, held=False)], NOW)
    assert conditions(later.status)["Failed"][1] == "BackoffLimitExceeded"
    assert later.status["failed"] == 3
    assert "completionTime" not in later.status
    assert ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit") in later.events


def test_a_pod_deleted_while_running_counts_as_a_failure() -> None:
    p = plan(job(), [pod("x", terminating=True)], NOW)
    assert p.status["uncountedTerminatedPods"] == {"failed": ["uid-x"]}
    assert p.status["terminating"] == 1
    assert p.create == 1  # replaced at once (podReplacementPolicy TerminatingOrFailed)


def test_replacements_wait_out_the_exponential_backoff() -> None:
    failed = [pod("f1", "Failed", held=False, exit_code=1, ended=NOW - timedelta(seconds=50))]
    failed.append(pod("f2", "Failed", held=False, exit_code=1, ended=NOW - timedelta(seconds=5)))
    p = plan(job({"startTime": STARTED, "failed": 2}), failed, NOW)
    assert p.create == 0
    assert p.requeue_after == timedelta(seconds=15)  # second failure: 20 s after it
    assert plan(job({"startTime": STARTED, "failed": 2}), failed, NOW + timedelta(seconds=15)).create == 1


def test_active_deadline_fails_the_job_and_is_timed() -> None:
    started = {"startTime": format_time(NOW - timedelta(seconds=30))}
    waiting = plan(job(started, activeDeadlineSeconds=100), [pod("r")], NOW)
    assert waiting.requeue_after == timedelta(seconds=70)
    over = plan(job(started, activeDeadlineSeconds=30), [pod("r")], NOW)
    assert conditions(over.status)["FailureTarget"] == (
        "True",
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
    )
    assert over.delete == ("r",)


def test_pod_failure_policy_fail_job_and_ignore() -> None:
    policy = {
        "rules": [
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        ]
    }
    fatal = plan(job(podFailurePolicy=policy), [pod("a", "Failed", exit_code=42)], NOW)
    assert conditions(fatal.status)["FailureTarget"] == (
        "True",
        "PodFailurePolicy",
        "Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0",
    )
    evicted = pod("b", "Failed", exit_code=137)
    evicted["status"]["conditions"] = [{"type": "DisruptionTarget", "status": "True"}]
    ignored = plan(job(podFailurePolicy=policy), [evicted], NOW)
    assert ignored.unfinalize == ("b",)
    assert ignored.status["uncountedTerminatedPods"] == {}
    assert ignored.create == 1
    other = plan(job(podFailurePolicy=policy), [pod("c", "Failed", exit_code=1)], NOW)
    assert other.status["uncountedTerminatedPods"] == {"failed": ["uid-c"]}
    assert "FailureTarget" not in conditions(other.status)


def test_ttl_after_finished_deletes_the_job_when_due() -> None:
    ended = NOW - timedelta(seconds=40)
    done = {
        "conditions": [
            {"type": "Complete", "status": "True", "lastTransitionTime": format_time(ended)}
        ]
    }
    assert plan(job(done, ttlSecondsAfterFinished=30), [], NOW).delete_job
    early = plan(job(done, ttlSecondsAfterFinished=100), [], NOW)
    assert not early.delete_job and early.requeue_after == timedelta(seconds=60)
    assert not plan(job(done), [], NOW).delete_job


def test_suspending_stops_pods_without_counting_them_as_failures() -> None:
    p = plan(job(suspend=True), [pod("r")], NOW)
    assert p.delete == ("r",)
    assert conditions(p.status)["Suspended"] == ("True", "JobSuspended", "Job suspended")
    stopping = plan(job(p.status, suspend=True), [pod("r", terminating=True)], NOW)
    assert stopping.unfinalize == ("r",)
    assert "failed" not in stopping.status and stopping.status["uncountedTerminatedPods"] == {}
    resumed = plan(job(stopping.status, suspend=False), [], NOW)
    assert conditions(resumed.status)["Suspended"] == ("False", "JobResumed", "Job resumed")
    assert resumed.create == 1


def test_status_is_stable_when_nothing_changed() -> None:
    first = plan(job(), [pod("r", ready=True)], NOW)
    assert first.status["ready"] == 1 and first.status["active"] == 1
    again = plan(job(first.status), [pod("r", ready=True)], NOW + timedelta(seconds=5))
    assert again.status == first.status and again.create == 0 and not again.delete


def test_pods_carry_the_tracking_finalizer_and_the_job_as_controller() -> None:
    p = new_pod(job())
    assert p["metadata"]["generateName"] == "pi-"
    assert p["metadata"]["finalizers"] == [TRACKING_FINALIZER]
    assert p["metadata"]["labels"]["job-name"] == "pi"
    ref = p["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (
        "Job",
        "job-uid",
        True,
        True,
    )


def test_pods_of_a_deleted_or_replaced_job_are_let_go() -> None:
    old = pod("old", owner="gone-uid")
    assert stray_pods(job(), "pi", [old, pod("mine")]) == [old]
    assert len(stray_pods(None, "pi", [old, pod("mine")])) == 2
