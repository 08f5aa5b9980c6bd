"""The CronJob controller's decisions: when a Job starts, its name, concurrency and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time
from localkube.controllers.cronjob import SCHEDULED_AT, plan

NOW = datetime(2026, 3, 1, 12, 7, 30, tzinfo=UTC)


def cronjob(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "tick",
            "namespace": "ns",
            "uid": "cj-uid",
            "creationTimestamp": format_time(NOW - timedelta(hours=1)),
        },
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {"metadata": {"labels": {"app": "tick"}}, "spec": {"template": {"spec": {}}}},
            **spec,
        },
        "status": status or {},
    }


def job(name: str, created: datetime, done: str | None = None) -> dict[str, Any]:
    conditions = [{"type": done, "status": "True"}] if done else []
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "creationTimestamp": format_time(created),
            "ownerReferences": [{"kind": "CronJob", "name": "tick", "uid": "cj-uid", "controller": True}],
        },
        "status": {"conditions": conditions},
    }


def test_the_latest_scheduled_time_starts_a_job_named_for_it() -> None:
    p = plan(cronjob(), [], NOW)
    assert p.create is not None
    scheduled = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    assert p.create["metadata"]["name"] == f"tick-{int(scheduled.timestamp()) // 60}"
    assert p.create["metadata"]["annotations"][SCHEDULED_AT] == "2026-03-01T12:05:00Z"
    assert p.create["metadata"]["labels"] == {"app": "tick"}
    assert p.create["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert p.status["lastScheduleTime"] == "2026-03-01T12:05:00Z"
    assert p.requeue_after == timedelta(minutes=2, seconds=30)


def test_a_time_already_run_is_not_run_again() -> None:
    p = plan(cronjob({"lastScheduleTime": "2026-03-01T12:05:00Z"}), [], NOW)
    assert p.create is None


def test_suspend_forbid_replace_and_the_starting_deadline() -> None:
    running = job("tick-1", NOW - timedelta(minutes=7))
    assert plan(cronjob(suspend=True), [], NOW).create is None
    assert plan(cronjob(concurrencyPolicy="Forbid"), [running], NOW).create is None
    replace = plan(cronjob(concurrencyPolicy="Replace"), [running], NOW)
    assert replace.create is not None and replace.delete == ("tick-1",)
    allow = plan(cronjob(), [running], NOW)
    assert allow.create is not None and allow.delete == ()
    assert [r["name"] for r in allow.status["active"]] == ["tick-1"]
    late = plan(cronjob(startingDeadlineSeconds=60), [], NOW)  # 12:05 + 60 s < 12:07:30
    assert late.create is None and late.events[0][1] == "MissSchedule"


def test_finished_jobs_beyond_the_history_limits_are_deleted_oldest_first() -> None:
    jobs = [job(f"ok-{i}", NOW - timedelta(minutes=50 - i), "Complete") for i in range(5)]
    jobs += [job(f"bad-{i}", NOW - timedelta(minutes=40 - i), "Failed") for i in range(2)]
    p = plan(cronjob({"lastScheduleTime": "2026-03-01T12:05:00Z"}), jobs, NOW)
    assert p.delete == ("ok-0", "ok-1", "bad-0")


def test_a_bad_schedule_is_reported_not_run() -> None:
    p = plan(cronjob(schedule="every minute"), [], NOW)
    assert p.create is None
    assert p.events[0][:2] == ("Warning", "UnparseableSchedule")
