"""The CronJob controller's decisions (pure): which Job to start, which to stop or forget, status.

As kube-controller-manager's cronjob controller (v2): at each scheduled time a Job named
`<cronjob>-<minutes since the epoch>` is made from jobTemplate (so a time is never run twice);
only the most recent missed time is started, and not once startingDeadlineSeconds has passed;
concurrencyPolicy Forbid skips a time while a Job runs, Replace deletes the running ones first;
finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kubeschema.timestamps import format_time, parse_time
from localkube.controllers import podutil
from localkube.controllers.job import finished

SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"
Event = tuple[str, str, str]  # (type, reason, message)


@dataclass(frozen=True)
class CronJobPlan:
    create: dict[str, Any] | None = None  # the Job to create
    delete: tuple[str, ...] = ()  # Jobs to delete (Replace, history limits)
    status: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    requeue_after: timedelta | None = None


def job_name(cronjob: dict[str, Any], scheduled: datetime) -> str:
    return f"{podutil.meta(cronjob)['name']}-{int(scheduled.timestamp()) // 60}"


def new_job(cronjob: dict[str, Any], scheduled: datetime) -> dict[str, Any]:
    template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
    tmeta = template.get("metadata") or {}
    annotations = {
        **(tmeta.get("annotations") or {}),
        SCHEDULED_AT: scheduled.isoformat().replace("+00:00", "Z"),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cronjob, scheduled),
            "namespace": podutil.meta(cronjob).get("namespace"),
            "labels": dict(tmeta.get("labels") or {}),
            "annotations": annotations,
            "ownerReferences": [podutil.owner_reference(cronjob)],
        },
        "spec": template.get("spec") or {},
    }


def _schedule(cronjob: dict[str, Any]) -> tuple[str, ZoneInfo | None] | str:
    """(cron expression, time zone), or what is wrong with them."""
    spec = cronjob.get("spec") or {}
    expr = str(spec.get("schedule") or "")
    zone: ZoneInfo | None = None
    if expr.startswith(("TZ=", "CRON_TZ=")) and " " in expr:
        tz, expr = expr.split(" ", 1)
        spec = {**spec, "timeZone": tz.split("=", 1)[1]}
    if spec.get("timeZone"):
        try:
            zone = ZoneInfo(str(spec["timeZone"]))
        except (ZoneInfoNotFoundError, ValueError):
            return f"unknown time zone {spec['timeZone']!r} in spec.timeZone"
    if not croniter.is_valid(expr):
        return f"unparseable schedule {expr!r}: use five fields (minute hour day month weekday) or @hourly"
    return expr, zone


def job_ref(job: dict[str, Any]) -> dict[str, Any]:
    m = podutil.meta(job)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": m["name"],
        "namespace": m.get("namespace"),
        "uid": m.get("uid"),
        "resourceVersion": m.get("resourceVersion"),
    }


def plan(cronjob: dict[str, Any], jobs: list[dict[str, Any]], now: datetime) -> CronJobPlan:
    """What one sync of `cronjob` does, given every Job in its namespace from the cache."""
    spec = cronjob.get("spec") or {}
    old = cronjob.get("status") or {}
    owned = sorted(
        (j for j in jobs if podutil.is_controlled_by(j, cronjob)),
        key=lambda j: (podutil.meta(j).get("creationTimestamp") or "", podutil.meta(j)["name"]),
    )
    running = [j for j in owned if finished(j) is None and not podutil.is_terminating(j)]
    status: dict[str, Any] = {k: v for k, v in old.items() if k not in ("active",)}
    if running:
        status["active"] = [job_ref(j) for j in running]
    succeeded = [j for j in owned if (finished(j) or {}).get("type") == "Complete"]
    if succeeded:
        last = max(podutil.meta(j).get("creationTimestamp") or "" for j in succeeded)
        ends = [(j.get("status") or {}).get("completionTime") or last for j in succeeded]
        status["lastSuccessfulTime"] = max([*ends, old.get("lastSuccessfulTime") or ""])

    # history: keep the newest finished Jobs up to each limit
    delete: list[str] = []
    for kind, limit in (
        ("Complete", spec.get("successfulJobsHistoryLimit", 3)),
        ("Failed", spec.get("failedJobsHistoryLimit", 1)),
    ):
        done = [j for j in owned if (finished(j) or {}).get("type") == kind and not podutil.is_terminating(j)]
        if limit is not None and len(done) > int(limit):
            delete += [podutil.meta(j)["name"] for j in done[: len(done) - int(limit)]]

    parsed = _schedule(cronjob)
    if isinstance(parsed, str):
        return CronJobPlan(
            delete=tuple(delete), status=status, events=(("Warning", "UnparseableSchedule", parsed),)
        )
    expr, zone = parsed
    local_now = now.astimezone(zone) if zone else now
    since = (
        parse_time(old.get("lastScheduleTime"))
        or parse_time(podutil.meta(cronjob).get("creationTimestamp"))
        or now
    )
    since = since.astimezone(zone) if zone else since
    latest = croniter(expr, local_now).get_prev(datetime)
    upcoming = croniter(expr, local_now).get_next(datetime)
    wait = upcoming - local_now
    if spec.get("suspend") or latest <= since:
        return CronJobPlan(delete=tuple(delete), status=status, requeue_after=wait)
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and latest + timedelta(seconds=int(deadline)) < local_now:
        message = f"Missed scheduled time to start a job: {latest.isoformat()}"
        return CronJobPlan(
            delete=tuple(delete),
            status=status,
            events=(("Warning", "MissSchedule", message),),
            requeue_after=wait,
        )
    policy = spec.get("concurrencyPolicy") or "Allow"
    events: list[Event] = []
    if running and policy == "Forbid":
        return CronJobPlan(delete=tuple(delete), status=status, requeue_after=wait)
    if running and policy == "Replace":
        delete += [podutil.meta(j)["name"] for j in running]
    job = new_job(cronjob, latest)
    if any(podutil.meta(j)["name"] == job["metadata"]["name"] for j in owned):
        return CronJobPlan(delete=tuple(delete), status=status, requeue_after=wait)
    status["lastScheduleTime"] = format_time(latest)
    events.append(("Normal", "SuccessfulCreate", f"Created job {job['metadata']['name']}"))
    return CronJobPlan(
        create=job, delete=tuple(delete), status=status, events=tuple(events), requeue_after=wait
    )
