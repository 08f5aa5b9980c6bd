"""The batch/v1 Job controller's decisions (pure): pods to create and delete, finalizers to drop,
status and conditions.

As kube-controller-manager's job controller (v1.31 and later):
- Its pods carry the `batch.kubernetes.io/job-tracking` finalizer until their end is recorded:
  first in status.uncountedTerminatedPods, then, once the finalizer is gone, in succeeded/failed.
  So the end of a pod deleted at any moment is counted once, never lost or counted twice.
- A Job that meets its end first gets SuccessCriteriaMet or FailureTarget; Complete or Failed (and
  completionTime) follow once none of its pods runs, terminates or waits to be counted.
- A pod that fails (or, without a podFailurePolicy, is deleted before it succeeds) counts toward
  backoffLimit; replacements wait 10 s, 20 s, 40 s ... (at most 6 min) after the last failure.
Only the NonIndexed completion mode is planned here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubeschema.timestamps import format_time, parse_time
from localkube.controllers import podutil
from localkube.controllers.replicaset import pods_to_delete

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
BACKOFF_BASE = 10.0  # seconds, doubled per failure since the last success
BACKOFF_MAX = 360.0
DEFAULT_BACKOFF_LIMIT = 6

BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"

Event = tuple[str, str, str]  # (type, reason, message)


@dataclass(frozen=True)
class JobPlan:
    create: int = 0
    delete: tuple[str, ...] = ()  # active pods to delete
    unfinalize: tuple[str, ...] = ()  # pods to drop the tracking finalizer from, after the status
    status: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    requeue_after: timedelta | None = None
    delete_job: bool = False  # ttlSecondsAfterFinished has passed


def condition(job: dict[str, Any], type_: str) -> dict[str, Any] | None:
    """The condition of that type if its status is True."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_ and cond.get("status") == "True":
            return dict(cond)
    return None


def finished(job: dict[str, Any]) -> dict[str, Any] | None:
    """The Complete or Failed condition, once the Job has one."""
    return condition(job, "Complete") or condition(job, "Failed")


def has_finalizer(pod: dict[str, Any]) -> bool:
    return TRACKING_FINALIZER in (podutil.meta(pod).get("finalizers") or [])


def new_pod(job: dict[str, Any]) -> dict[str, Any]:
    """A pod from the Job's template (its job-name and controller-uid labels come from the API
    server's defaulting of the template), held by the tracking finalizer."""
    pod = podutil.pod_from_template(job)
    finalizers = pod["metadata"].setdefault("finalizers", [])
    if TRACKING_FINALIZER not in finalizers:
        finalizers.append(TRACKING_FINALIZER)
    return pod


def stray_pods(job: dict[str, Any] | None, name: str, pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pods still holding the finalizer for a Job of this name that is gone, being deleted, or was
    replaced by another of the same name: nothing will count them, so they are let go."""
    uid = podutil.meta(job).get("uid") if job is not None and not podutil.is_terminating(job) else None
    out = []
    for pod in pods:
        ref = podutil.controller_ref(pod)
        mine = ref and ref.get("kind") == "Job" and ref.get("name") == name
        if mine and ref and ref.get("uid") != uid and has_finalizer(pod):
            out.append(pod)
    return out


def _phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def pod_failed(pod: dict[str, Any], job: dict[str, Any]) -> bool:
    """Failed, or deleted before it succeeded (only phase Failed counts once the Job has a
    podFailurePolicy or replaces only failed pods)."""
    if _phase(pod) == "Failed":
        return True
    spec = job.get("spec") or {}
    if spec.get("podFailurePolicy") or spec.get("podReplacementPolicy") == "Failed":
        return False
    return podutil.is_terminating(pod) and _phase(pod) != "Succeeded"


def _statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    return list(status.get("containerStatuses") or []) + list(status.get("initContainerStatuses") or [])


def _exit_code_match(pod: dict[str, Any], req: dict[str, Any]) -> dict[str, Any] | None:
    values = {int(v) for v in req.get("values") or []}
    for cs in _statuses(pod):
        terminated = (cs.get("state") or {}).get("terminated")
        if not terminated or (req.get("containerName") and req["containerName"] != cs.get("name")):
            continue
        code = int(terminated.get("exitCode") or 0)
        if code == 0:  # a container that succeeded never matches, whatever the operator
            continue
        if (req.get("operator") == "In") == (code in values) and req.get("operator") in ("In", "NotIn"):
            return {"name": cs.get("name"), "exitCode": code}
    return None


def match_failure_policy(job: dict[str, Any], pod: dict[str, Any]) -> tuple[str, str | None]:
    """(action, message) of the first podFailurePolicy rule the failed pod matches: "Count" when
    none does; the message says why the Job fails for "FailJob"."""
    meta = podutil.meta(pod)
    where = f"{meta.get('namespace')}/{meta.get('name')}"
    rules = ((job.get("spec") or {}).get("podFailurePolicy") or {}).get("rules") or []
    for index, rule in enumerate(rules):
        action = str(rule.get("action") or "")
        if rule.get("onExitCodes") is not None:
            hit = _exit_code_match(pod, rule["onExitCodes"])
            if hit is None:
                continue
            message = (
                f"Container {hit['name']} for pod {where} failed with exit code {hit['exitCode']} "
                f"matching {action} rule at index {index}"
            )
        elif rule.get("onPodConditions") is not None:
            patterns = {(p.get("type"), p.get("status") or "True") for p in rule["onPodConditions"]}
            cond = next(
                (
                    c
                    for c in (pod.get("status") or {}).get("conditions") or []
                    if (c.get("type"), c.get("status")) in patterns
                ),
                None,
            )
            if cond is None:
                continue
            message = f"Pod {where} has condition {cond.get('type')} matching {action} rule at index {index}"
        else:
            continue
        return action, (message if action == "FailJob" else None)
    return "Count", None


def finish_time(pod: dict[str, Any]) -> datetime | None:
    """When the pod ended: its containers' last finishedAt, else its Ready condition's last change,
    else its creation."""
    times = [
        parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for cs in _statuses(pod)
    ]
    known = [t for t in times if t is not None]
    if known:
        return max(known)
    ready = podutil.ready_condition(pod)
    return parse_time((ready or {}).get("lastTransitionTime")) or parse_time(
        podutil.meta(pod).get("creationTimestamp")
    )


def backoff_remaining(job: dict[str, Any], pods: list[dict[str, Any]], now: datetime) -> timedelta:
    """How long replacements still wait: 10 s doubled per failure since the last success."""
    ended = [(finish_time(p), _phase(p)) for p in pods if _phase(p) in ("Succeeded", "Failed")]
    last_success = max((t for t, ph in ended if ph == "Succeeded" and t), default=None)
    failures = sorted(
        t for t, ph in ended if ph == "Failed" and t and (last_success is None or t > last_success)
    )
    if not failures:
        return timedelta(0)
    delay = min(BACKOFF_BASE * 2 ** (len(failures) - 1), BACKOFF_MAX)
    return max(failures[-1] + timedelta(seconds=delay) - now, timedelta(0))


def _past_backoff_on_failure(job: dict[str, Any], active: list[dict[str, Any]]) -> bool:
    """restartPolicy OnFailure: container restarts in running pods count as failures."""
    spec = job.get("spec") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = sum(
        int(cs.get("restartCount") or 0)
        for p in active
        if _phase(p) in ("Pending", "Running")
        for cs in _statuses(p)
    )
    limit = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT))
    return restarts > 0 if limit == 0 else restarts >= limit


def new_condition(
    type_: str, reason: str, message: str, now: datetime, status: str = "True"
) -> dict[str, Any]:
    stamp = format_time(now)
    return {
        "type": type_,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def _set_condition(conditions: list[dict[str, Any]], cond: dict[str, Any]) -> list[dict[str, Any]]:
    """Replace the condition of that type if its status, reason or message changes."""
    old = next((c for c in conditions if c.get("type") == cond["type"]), None)
    if old is not None and all(old.get(k) == cond[k] for k in ("status", "reason", "message")):
        return conditions
    return [c for c in conditions if c.get("type") != cond["type"]] + [cond]


def _soonest(*waits: timedelta | None) -> timedelta | None:
    known = [w for w in waits if w is not None]
    return min(known) if known else None


def _ttl_plan(
    job: dict[str, Any], done: dict[str, Any], owned: list[dict[str, Any]], now: datetime
) -> JobPlan:
    """A finished Job: let go of any pod still held, and delete the Job once its TTL has passed."""
    leftovers = tuple(podutil.meta(p)["name"] for p in owned if has_finalizer(p))
    status = dict(job.get("status") or {})
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    ended = parse_time(done.get("lastTransitionTime"))
    if ttl is None or ended is None:
        return JobPlan(unfinalize=leftovers, status=status)
    remaining = ended + timedelta(seconds=int(ttl)) - now
    if remaining <= timedelta(0):
        return JobPlan(unfinalize=leftovers, status=status, delete_job=True)
    return JobPlan(unfinalize=leftovers, status=status, requeue_after=remaining)


def plan(job: dict[str, Any], pods: list[dict[str, Any]], now: datetime) -> JobPlan:
    """What one sync of `job` does, given every pod in its namespace from the cache."""
    owned = [p for p in pods if podutil.is_controlled_by(p, job)]
    if podutil.is_terminating(job):  # being deleted: nothing to count any more
        holding = tuple(podutil.meta(p)["name"] for p in owned if has_finalizer(p))
        return JobPlan(unfinalize=holding, status=dict(job.get("status") or {}))
    done = finished(job)
    if done is not None:
        return _ttl_plan(job, done, owned, now)

    spec = job.get("spec") or {}
    old = job.get("status") or {}
    target = condition(job, "FailureTarget") or condition(job, "SuccessCriteriaMet")
    uncounted = old.get("uncountedTerminatedPods") or {}
    by_uid = {podutil.meta(p).get("uid"): p for p in owned}

    # 1. Pods recorded as ended whose finalizer is gone are counted; the rest stay recorded.
    succeeded, failed = int(old.get("succeeded") or 0), int(old.get("failed") or 0)
    pending_s: list[str] = []
    pending_f: list[str] = []
    for uid in uncounted.get("succeeded") or []:
        held = uid in by_uid and has_finalizer(by_uid[uid])
        pending_s += [uid] if held else []
        succeeded += 0 if held else 1
    for uid in uncounted.get("failed") or []:
        held = uid in by_uid and has_finalizer(by_uid[uid])
        pending_f += [uid] if held else []
        failed += 0 if held else 1

    # 2. Newly ended pods that still hold the finalizer are recorded now.
    recorded = set(pending_s) | set(pending_f)
    suspended = bool(spec.get("suspend"))
    stopping_ok = target is not None and target["type"] == "SuccessCriteriaMet"
    ignored: list[str] = []
    fail_job: str | None = None
    for pod in sorted(owned, key=lambda p: (finish_time(p) or now, podutil.meta(p).get("name", ""))):
        uid = str(podutil.meta(pod).get("uid") or "")
        if not has_finalizer(pod) or uid in recorded:
            continue
        if _phase(pod) == "Succeeded":
            pending_s.append(uid)
        elif _phase(pod) != "Failed" and podutil.is_terminating(pod) and (stopping_ok or suspended):
            ignored.append(podutil.meta(pod)["name"])  # stopped by suspension or success: no failure
        elif pod_failed(pod, job):
            action, message = match_failure_policy(job, pod) if _phase(pod) == "Failed" else ("Count", None)
            if action == "Ignore":  # not counted toward backoffLimit, never recorded
                ignored.append(podutil.meta(pod)["name"])
                continue
            fail_job = fail_job or message
            pending_f.append(uid)

    total_s, total_f = succeeded + len(pending_s), failed + len(pending_f)
    active = [p for p in owned if podutil.is_active(p)]
    terminating = [p for p in owned if podutil.is_terminating(p) and _phase(p) not in ("Succeeded", "Failed")]
    conditions = [dict(c) for c in old.get("conditions") or []]
    events: list[Event] = []
    start = parse_time(old.get("startTime"))

    # 3. Suspension and resumption.
    was_suspended = condition(job, "Suspended") is not None
    if suspended and target is None and not was_suspended:
        conditions = _set_condition(
            conditions, new_condition("Suspended", "JobSuspended", "Job suspended", now)
        )
        events.append(("Normal", "Suspended", "Job suspended"))
    elif not suspended and was_suspended:
        conditions = _set_condition(
            conditions, new_condition("Suspended", "JobResumed", "Job resumed", now, status="False")
        )
        events.append(("Normal", "Resumed", "Job resumed"))
        start = now  # activeDeadlineSeconds counts from the resumption
    if not suspended and start is None:
        start = now

    # 4. Has the Job met its end?
    deadline_wait: timedelta | None = None
    if target is None:
        limit = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT))
        deadline = spec.get("activeDeadlineSeconds")
        over = None
        if deadline is not None and start is not None and not suspended:
            over = now - start - timedelta(seconds=int(deadline))
            deadline_wait = -over if over < timedelta(0) else None
        completions = spec.get("completions")
        if fail_job is not None:
            target = new_condition("FailureTarget", "PodFailurePolicy", fail_job, now)
        elif total_f > limit or _past_backoff_on_failure(job, active):
            target = new_condition("FailureTarget", "BackoffLimitExceeded", BACKOFF_MESSAGE, now)
        elif over is not None and over >= timedelta(0):
            target = new_condition("FailureTarget", "DeadlineExceeded", DEADLINE_MESSAGE, now)
        elif (completions is None and total_s > 0 and not active) or (
            completions is not None and total_s >= int(completions)
        ):
            target = new_condition("SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE, now)
        if target is not None:
            conditions = _set_condition(conditions, target)

    # 5. Pods: none run once the Job has met its end or is suspended.
    create = 0
    delete: list[dict[str, Any]] = []
    backoff_wait: timedelta | None = None
    if target is not None or suspended:
        delete = active
    else:
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            want = len(active) if total_s > 0 else parallelism
        else:
            want = max(min(int(completions) - total_s, parallelism), 0)
        if len(active) > want:
            delete = pods_to_delete(active, len(active) - want, now)
        elif len(active) < want:
            wait = backoff_remaining(job, owned, now)
            if wait > timedelta(0):
                backoff_wait = wait
            else:
                create = want - len(active)

    # 6. Complete or Failed once nothing runs, terminates or waits to be counted.
    completion_time = old.get("completionTime")
    ttl_wait: timedelta | None = None
    if target is not None and not active and not terminating and not pending_s and not pending_f:
        final_type = "Complete" if target["type"] == "SuccessCriteriaMet" else "Failed"
        final = new_condition(final_type, target["reason"], target["message"], now)
        conditions = _set_condition(conditions, final)
        if final_type == "Complete":
            completion_time = format_time(now)
            events.append(("Normal", "Completed", "Job completed"))
        else:
            events.append(("Warning", target["reason"], target["message"]))
        ttl = spec.get("ttlSecondsAfterFinished")
        ttl_wait = timedelta(seconds=int(ttl)) if ttl is not None else None

    status: dict[str, Any] = {}
    if conditions:
        status["conditions"] = conditions
    if start is not None:
        unchanged = start == parse_time(old.get("startTime"))
        status["startTime"] = old["startTime"] if unchanged else format_time(start)
    if completion_time:
        status["completionTime"] = completion_time
    active_now = len(active) - len(delete) + create
    if active_now:
        status["active"] = active_now
    if total_s - len(pending_s):
        status["succeeded"] = total_s - len(pending_s)
    if total_f - len(pending_f):
        status["failed"] = total_f - len(pending_f)
    status["terminating"] = len(terminating) + len(delete)
    status["uncountedTerminatedPods"] = {
        k: v for k, v in (("succeeded", pending_s), ("failed", pending_f)) if v
    }
    status["ready"] = sum(1 for p in active if podutil.is_ready(p) and p not in delete)

    by_name = {podutil.meta(p).get("uid"): podutil.meta(p)["name"] for p in owned}
    unfinalize = tuple(by_name[uid] for uid in pending_s + pending_f if uid in by_name) + tuple(ignored)
    return JobPlan(
        create=create,
        delete=tuple(podutil.meta(p)["name"] for p in delete),
        unfinalize=unfinalize,
        status=status,
        events=tuple(events),
        requeue_after=_soonest(deadline_wait, backoff_wait, ttl_wait),
    )


def status_changed(job: dict[str, Any], status: dict[str, Any]) -> bool:
    return (job.get("status") or {}) != status
