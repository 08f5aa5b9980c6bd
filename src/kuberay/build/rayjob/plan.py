"""The RayJob state machine, one step at a time (pure).

`step(job, observed)` is KubeRay's RayJob Reconcile with the I/O taken out: given the RayJob and
what the operator observed (its RayCluster, head Service and pod, submitter Job, and the dashboard's
answer about the Ray job), it returns the new status, the actions to take (creates, deletes, an
HTTP submission, events) and when to look again. The same jobDeploymentStatus transitions,
reasons and messages as KubeRay v1.5.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kuberay.api.rayjob_types import TERMINAL_JOB_STATUSES
from kuberay.api.rayjob_validation import validate_rayjob
from kuberay.build.rayjob import names
from kuberay.build.rayjob.objects import (
    build_cluster,
    build_job_head_service,
    build_submitter_job,
    http_submission,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
RETRY_SECONDS = 3.0  # KubeRay's RayJobDefaultRequeueDuration, after a failed action
_DELETION_ORDER = {"DeleteSelf": 4, "DeleteCluster": 3, "DeleteWorkers": 2, "DeleteNone": 1}


def fmt(t: datetime) -> str:
    return t.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value[:19] + "Z", TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class JobInfo:
    """The dashboard's `GET /api/jobs/<submission id>` answer, the fields KubeRay reads."""

    status: str
    message: str = ""
    start_time: int = 0  # milliseconds since the epoch; 0 = unknown
    end_time: int = 0

    @staticmethod
    def from_api(body: dict[str, Any]) -> JobInfo:
        return JobInfo(
            status=str(body.get("status") or ""),
            message=str(body.get("message") or ""),
            start_time=int(body.get("start_time") or 0),
            end_time=int(body.get("end_time") or 0),
        )


@dataclass(frozen=True)
class Observed:
    now: datetime
    cluster: dict[str, Any] | None = None  # the RayCluster named status.rayClusterName
    head_service: dict[str, Any] | None = None  # that cluster's head Service
    head_pod: dict[str, Any] | None = None
    submitter: dict[str, Any] | None = None  # the batch/v1 Job named after the RayJob
    job_service: dict[str, Any] | None = None  # the RayJob's own `<rayjob>-head-svc`
    info: JobInfo | None = None  # the dashboard's answer, when asked
    info_missing: bool = False  # the dashboard answered 404: no such job
    info_error: str | None = None  # the dashboard could not be asked or answered nonsense
    suffix: str = "xxxxx"  # random letters for new names, chosen by the caller


# -- actions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    obj: dict[str, Any]
    ok: tuple[str, str]  # (event reason, message) on success
    failed: tuple[str, str]  # (event reason, message prefix) on failure


@dataclass(frozen=True)
class Delete:
    api_version: str
    kind: str
    name: str
    ok: tuple[str, str]
    failed: tuple[str, str]


@dataclass(frozen=True)
class PatchService:
    name: str
    selector: dict[str, str]


@dataclass(frozen=True)
class SuspendWorkers:
    cluster: dict[str, Any]


@dataclass(frozen=True)
class SubmitHTTP:
    body: dict[str, Any]


@dataclass(frozen=True)
class AddFinalizer:
    pass


@dataclass(frozen=True)
class DeleteSelf:
    pass


@dataclass(frozen=True)
class Warn:
    reason: str
    message: str


Action = Create | Delete | PatchService | SuspendWorkers | SubmitHTTP | AddFinalizer | DeleteSelf | Warn


@dataclass
class Step:
    status: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    requeue_after: float | None = None  # look again after this long even without events
    poll: bool = False  # the job is active: ask the dashboard again (with back-off)
    error: bool = False  # something is missing that only time fixes: retry with back-off


def wants_job_info(job: dict[str, Any]) -> bool:
    """Whether this step needs the dashboard's answer: only while the deployment is Running."""
    st = names.status(job)
    return (
        st.get("jobDeploymentStatus") == "Running"
        and bool(st.get("jobId"))
        and not job["metadata"].get("deletionTimestamp")
    )


def dashboard_url(
    cluster: dict[str, Any], service: dict[str, Any] | None, domain: str = "cluster.local"
) -> str:
    """KubeRay's FetchHeadServiceURL: `<head svc>.<ns>.svc.<domain>:<dashboard port>`, or "" when
    the head Service or its `dashboard` port is not there yet."""
    if service is None:
        return ""
    for port in (service.get("spec") or {}).get("ports") or []:
        if port.get("name") == names.DASHBOARD_PORT_NAME:
            meta = service["metadata"]
            ns = meta.get("namespace") or cluster["metadata"].get("namespace") or "default"
            return f"{meta['name']}.{ns}.svc.{domain}:{port['port']}"
    return ""


def _deadline(st: dict[str, Any], seconds: Any) -> datetime | None:
    start = parse_time(st.get("startTime"))
    if start is None or not isinstance(seconds, int):
        return None
    return start + timedelta(seconds=seconds)


def _fail(st: dict[str, Any], reason: str, message: str) -> None:
    st["jobDeploymentStatus"] = "Failed"
    st["reason"] = reason
    st["message"] = message


class _Machine:
    def __init__(self, job: dict[str, Any], obs: Observed) -> None:
        self.job = job
        self.obs = obs
        self.spec = names.spec(job)
        self.old = copy.deepcopy(names.status(job))
        self.st = copy.deepcopy(self.old)
        self.step = Step(status=self.st)
        self.wake: list[datetime] = []

    # -- checks shared by several states ----------------------------------------------------

    def suspending(self) -> bool:
        if self.spec.get("suspend") and self.st.get("jobDeploymentStatus") in ("Running", "Initializing"):
            self.st["jobDeploymentStatus"] = "Suspending"
            return True
        return False

    def active_deadline(self) -> bool:
        return self._deadline("activeDeadlineSeconds", "ActiveDeadlineSeconds", "DeadlineExceeded")

    def pre_running_deadline(self) -> bool:
        return self._deadline(
            "preRunningDeadlineSeconds", "PreRunningDeadlineSeconds", "PreRunningDeadlineExceeded"
        )

    def _deadline(self, key: str, label: str, reason: str) -> bool:
        """Fail once `spec.<key>` seconds have passed since startTime; until then, wake up then."""
        seconds = self.spec.get(key)
        at = _deadline(self.st, seconds)
        if at is None:
            return False
        if self.obs.now < at:
            self.wake.append(at)
            return False
        _fail(
            self.st,
            reason,
            f"The RayJob has passed the {key}. StartTime: {self.st.get('startTime')}. {label}: {seconds}",
        )
        return True

    def cluster(self) -> dict[str, Any] | None:
        """The RayCluster, or None after asking for it to be created (or warned it is missing)."""
        cluster = self.obs.cluster
        if cluster is not None:
            return cluster
        ns, name = names.namespace(self.job), str(self.st.get("rayClusterName") or "")
        if names.uses_selector(self.job):
            self.step.actions.append(
                Warn(
                    names.CLUSTER_NOT_FOUND,
                    f"RayCluster {ns}/{name} set in the clusterSelector is not found. "
                    "It must be created manually",
                )
            )
            self.step.error = True
            return None
        obj = build_cluster(self.job, name)
        self.step.actions.append(
            Create(
                obj,
                (names.CREATED_CLUSTER, f"Created RayCluster {ns}/{name}"),
                (names.FAILED_CREATE_CLUSTER, f"Failed to create RayCluster {ns}/{name}"),
            )
        )
        return None

    # -- states ------------------------------------------------------------------------------

    def new(self) -> None:
        if names.FINALIZER not in (self.job["metadata"].get("finalizers") or []):
            self.step.actions.append(AddFinalizer())
        st = self.st
        if names.mode(self.job) != "InteractiveMode" and not st.get("jobId"):
            st["jobId"] = self.spec.get("jobId") or names.generated_name(
                names.name(self.job), self.obs.suffix
            )
        if not st.get("rayClusterName"):
            selected = (self.spec.get("clusterSelector") or {}).get(names.CLUSTER_SELECTOR_KEY)
            st["rayClusterName"] = selected or names.generated_name(names.name(self.job), self.obs.suffix)
        st["jobDeploymentStatus"] = "Initializing"
        st["startTime"] = fmt(self.obs.now)
        for key in ("reason", "message"):
            st.pop(key, None)

    def initializing(self) -> None:
        if self.suspending() or self.active_deadline() or self.pre_running_deadline():
            return
        cluster = self.cluster()
        if cluster is None:
            return
        st = self.st
        if not st.get("dashboardURL"):
            if ((cluster.get("status") or {}).get("state")) != "ready":
                st["rayClusterStatus"] = _cluster_status(cluster)
                return
            url = dashboard_url(cluster, self.obs.head_service)
            if not url:
                self.step.error = True
                return
            st["dashboardURL"] = url
        mode = names.mode(self.job)
        if mode == "InteractiveMode":
            st["jobDeploymentStatus"] = "Waiting"
            return
        if mode == "K8sJobMode" and self.obs.submitter is None:
            job = {**self.job, "status": st}
            obj = build_submitter_job(job, cluster)
            ns, name = names.namespace(self.job), names.name(self.job)
            self.step.actions.append(
                Create(
                    obj,
                    (names.CREATED_SUBMITTER, f"Created Kubernetes Job {ns}/{name}"),
                    (names.FAILED_CREATE_SUBMITTER, f"Failed to create new Kubernetes Job {ns}/{name}"),
                )
            )
        st["jobDeploymentStatus"] = "Running"

    def waiting(self) -> None:
        if self.pre_running_deadline():
            return
        job_id = self.spec.get("jobId")
        if not job_id:
            return  # the user's edit of spec.jobId is an event: nothing to poll
        self.st["jobId"] = job_id
        self.st["jobDeploymentStatus"] = "Running"

    def running(self) -> None:
        st, obs = self.st, self.obs
        if self.suspending() or self.active_deadline() or self.grace_period() or self.check_timeout():
            return
        cluster = self.cluster()
        if cluster is None:
            return
        self.job_service(cluster)
        finished_at: datetime | None = None
        if names.has_submitter(self.job):
            failed, finished_at = self.submitter()
            if finished_at is not None:
                limit = finished_at + timedelta(seconds=names.SUBMITTER_FINISHED_TIMEOUT)
                if obs.now >= limit:
                    st["jobStatus"] = "FAILED"
                    _fail(
                        st,
                        "JobDeploymentStatusTransitionGracePeriodExceeded",
                        f"The RayJob submitter finished at {finished_at.strftime('%Y-%m-%d %H:%M:%S')} "
                        "but the ray job did not reach terminal state within "
                        f"{int(names.SUBMITTER_FINISHED_TIMEOUT)}s",
                    )
                    return
                self.wake.append(limit)
            if failed:
                return
        self.step.poll = True
        if obs.info_missing:
            if names.mode(self.job) == "HTTPMode":
                self.step.actions.append(SubmitHTTP(http_submission({**self.job, "status": st})))
                return
            if finished_at is not None:
                _fail(st, "AppFailed", "Submitter completed but Ray job not found in RayCluster.")
            return
        if obs.info_error is not None or obs.info is None:
            if obs.info_error is not None and not st.get("jobStatusCheckFailureStartTime"):
                st["jobStatusCheckFailureStartTime"] = fmt(obs.now)
            return
        info = obs.info
        st.pop("jobStatusCheckFailureStartTime", None)
        terminal = info.status in TERMINAL_JOB_STATUSES
        if names.has_submitter(self.job):
            terminal = terminal and finished_at is not None
        deployment, reason = "Running", ""
        if terminal:
            deployment = "Complete"
            if info.status == "FAILED":
                deployment, reason = "Failed", "AppFailed"
        st["rayClusterStatus"] = _cluster_status(cluster)
        st["jobStatus"] = info.status
        st["jobDeploymentStatus"] = deployment
        _set(st, "reason", reason)
        _set(st, "message", info.message)
        times = dict(st.get("rayJobInfo") or {})
        if info.start_time:
            times["startTime"] = fmt(datetime.fromtimestamp(info.start_time / 1000, UTC))
        if info.end_time:
            times["endTime"] = fmt(datetime.fromtimestamp(info.end_time / 1000, UTC))
        if times:
            st["rayJobInfo"] = times

    def grace_period(self) -> bool:
        st = self.st
        if st.get("jobStatus") not in TERMINAL_JOB_STATUSES:
            return False
        end = parse_time((st.get("rayJobInfo") or {}).get("endTime"))
        if end is None:
            return False
        limit = end + timedelta(seconds=names.TRANSITION_GRACE_PERIOD)
        if self.obs.now < limit:
            self.wake.append(limit)
            return False
        _fail(
            st,
            "JobDeploymentStatusTransitionGracePeriodExceeded",
            "JobDeploymentStatus does not transition to Complete or Failed within the grace period after "
            "JobStatus reaches a terminal state.",
        )
        if st.get("jobStatus") != "FAILED":
            st["jobDeploymentStatus"] = "Complete"
        return True

    def check_timeout(self) -> bool:
        start = parse_time(self.st.get("jobStatusCheckFailureStartTime"))
        if start is None:
            return False
        limit = start + timedelta(seconds=names.STATUS_CHECK_TIMEOUT)
        if self.obs.now < limit:
            return False
        _fail(
            self.st,
            "JobStatusCheckTimeoutExceeded",
            f"Job status checks have been failing since {start.strftime('%Y-%m-%d %H:%M:%S')}; exceeded "
            f"timeout of {int(names.STATUS_CHECK_TIMEOUT)}s",
        )
        return True

    def job_service(self, cluster: dict[str, Any]) -> None:
        if names.uses_selector(self.job):
            return
        wanted = build_job_head_service(self.job, cluster)
        have = self.obs.job_service
        ns, name = names.namespace(self.job), wanted["metadata"]["name"]
        if have is None:
            self.step.actions.append(
                Create(
                    wanted,
                    ("CreatedService", f"Created the service {ns}/{name}"),
                    ("FailedToCreateService", f"Failed to create the service {ns}/{name}"),
                )
            )
        elif (have.get("spec") or {}).get("selector") != wanted["spec"]["selector"]:
            self.step.actions.append(PatchService(name, wanted["spec"]["selector"]))

    def submitter(self) -> tuple[bool, datetime | None]:
        """(failed, finished at) of the submitter; a failure sets the status."""
        st = self.st
        if names.mode(self.job) == "SidecarMode":
            pod = self.obs.head_pod
            if pod is None:
                _fail(st, "AppFailed", "Ray head pod not found.")
                return True, None
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                if cs.get("name") != names.SUBMITTER_CONTAINER:
                    continue
                term = (cs.get("state") or {}).get("terminated")
                if not term:
                    return False, None
                finished = parse_time(term.get("finishedAt")) or self.obs.now
                if term.get("exitCode", 0) != 0:
                    self._submission_failed(
                        f"Ray head pod container {cs['name']} terminated with exit code "
                        f"{term.get('exitCode')}: {term.get('reason', '')}"
                    )
                    return True, finished
                return False, finished
            return False, None
        job = self.obs.submitter
        if job is None:
            self.step.error = True  # the cache has not seen our create yet, or someone deleted it
            return True, None
        finished_at = None
        for cond in (job.get("status") or {}).get("conditions") or []:
            if cond.get("status") != "True":
                continue
            if cond.get("type") == "Failed":
                self._submission_failed(
                    f"Job submission has failed. Reason: {cond.get('reason', '')}. "
                    f"Message: {cond.get('message', '')}"
                )
                return True, parse_time(cond.get("lastTransitionTime"))
            if cond.get("type") == "Complete":
                finished_at = parse_time(cond.get("lastTransitionTime")) or self.obs.now
        return False, finished_at

    def _submission_failed(self, message: str) -> None:
        st = self.st
        if st.get("jobStatus") == "FAILED":
            st["jobDeploymentStatus"], st["reason"] = "Failed", "AppFailed"
        else:
            _fail(st, "SubmissionFailed", message)

    def releasing(self) -> None:
        """Suspending and Retrying: delete the cluster and the submitter, then start over."""
        pending = False
        ns = names.namespace(self.job)
        cluster = self.obs.cluster
        if not names.uses_selector(self.job) and cluster is not None:
            pending = True
            if not cluster["metadata"].get("deletionTimestamp"):
                self.step.actions.append(_delete_cluster(ns, cluster["metadata"]["name"]))
        job = self.obs.submitter
        if names.mode(self.job) == "K8sJobMode" and job is not None:
            pending = True
            if not job["metadata"].get("deletionTimestamp"):
                name = job["metadata"]["name"]
                self.step.actions.append(
                    Delete(
                        "batch/v1",
                        "Job",
                        name,
                        (names.DELETED_SUBMITTER, f"Deleted submitter K8s Job {ns}/{name}"),
                        (names.FAILED_DELETE_SUBMITTER, f"Failed to delete submitter K8s Job {ns}/{name}"),
                    )
                )
        if pending:
            self.step.requeue_after = 5.0  # the watch reports the deletions; this only guards
            return
        st = self.st
        for key in (
            "rayClusterStatus",
            "rayClusterName",
            "dashboardURL",
            "jobId",
            "message",
            "reason",
            "rayJobInfo",
            "jobStatusCheckFailureStartTime",
            "jobStatus",
        ):
            st.pop(key, None)
        st["jobDeploymentStatus"] = "Suspended" if st.get("jobDeploymentStatus") == "Suspending" else ""

    def suspended(self) -> None:
        if not self.spec.get("suspend"):
            self.st.pop("jobStatus", None)
            self.st["jobDeploymentStatus"] = ""

    def finished(self) -> None:
        """Complete or Failed: only the cleanup KubeRay's deletion settings ask for."""
        if names.uses_selector(self.job):
            return
        strategy = self.spec.get("deletionStrategy")
        if strategy:
            if strategy.get("deletionRules"):
                self.deletion_rules(strategy["deletionRules"])
            else:
                self.legacy_policy(strategy)
            return
        if self.spec.get("shutdownAfterJobFinishes"):
            self.after_ttl(int(self.spec.get("ttlSecondsAfterFinished") or 0), "DeleteCluster")

    def after_ttl(self, ttl: int, policy: str) -> None:
        end = parse_time(self.st.get("endTime")) or self.obs.now
        at = end + timedelta(seconds=ttl)
        if self.obs.now < at:
            self.wake.append(at)
            return
        self.execute(policy)

    def legacy_policy(self, strategy: dict[str, Any]) -> None:
        key = {"SUCCEEDED": "onSuccess", "FAILED": "onFailure"}.get(str(self.st.get("jobStatus")))
        if key is None:
            return
        policy = str((strategy.get(key) or {}).get("policy") or "DeleteNone")
        if policy != "DeleteNone":
            self.after_ttl(int(self.spec.get("ttlSecondsAfterFinished") or 0), policy)

    def deletion_rules(self, rules: list[dict[str, Any]]) -> None:
        end = parse_time(self.st.get("endTime")) or self.obs.now
        overdue = []
        for rule in rules:
            cond = rule.get("condition") or {}
            if cond.get("jobStatus") is not None:
                matched = cond["jobStatus"] == self.st.get("jobStatus")
            else:
                matched = cond.get("jobDeploymentStatus") == self.st.get("jobDeploymentStatus")
            if not matched:
                continue
            at = end + timedelta(seconds=int(cond.get("ttlSeconds") or 0))
            if self.obs.now < at:
                self.wake.append(at)
            elif not self.done(str(rule.get("policy"))):
                overdue.append(rule)
        if overdue:
            self.execute(
                str(max(overdue, key=lambda r: _DELETION_ORDER.get(str(r.get("policy")), 0))["policy"])
            )

    def done(self, policy: str) -> bool:
        cluster = self.obs.cluster
        gone = cluster is None or bool(cluster["metadata"].get("deletionTimestamp"))
        if policy == "DeleteCluster":
            return gone
        if policy == "DeleteWorkers":
            return gone or all(
                g.get("suspend") for g in (cluster or {}).get("spec", {}).get("workerGroupSpecs") or []
            )
        return policy == "DeleteNone"

    def execute(self, policy: str) -> None:
        cluster = self.obs.cluster
        if policy == "DeleteSelf":
            self.step.actions.append(DeleteSelf())
        elif (
            policy == "DeleteCluster"
            and cluster is not None
            and not cluster["metadata"].get("deletionTimestamp")
        ):
            self.step.actions.append(_delete_cluster(names.namespace(self.job), cluster["metadata"]["name"]))
        elif policy == "DeleteWorkers" and cluster is not None and not self.done("DeleteWorkers"):
            self.step.actions.append(SuspendWorkers(cluster))

    # -- after every transition --------------------------------------------------------------

    def count_and_retry(self) -> None:
        """KubeRay's checkBackoffLimitAndUpdateStatusIfNeeded."""
        st = self.st
        failed, succeeded = int(st.get("failed") or 0), int(st.get("succeeded") or 0)
        if st.get("jobDeploymentStatus") == "Failed":
            failed += 1
        if st.get("jobStatus") == "SUCCEEDED" and st.get("jobDeploymentStatus") == "Complete":
            succeeded += 1
        st["failed"], st["succeeded"] = failed, succeeded
        limit = self.spec.get("backoffLimit")
        if (
            st.get("jobDeploymentStatus") == "Failed"
            and isinstance(limit, int)
            and failed < limit + 1
            and st.get("reason") not in ("DeadlineExceeded", "JobStatusCheckTimeoutExceeded")
        ):
            st["jobDeploymentStatus"] = "Retrying"

    def finish(self) -> Step:
        st = self.st
        if st.get("jobDeploymentStatus") in ("Complete", "Failed") and self.old.get(
            "jobDeploymentStatus"
        ) not in (
            "Complete",
            "Failed",
        ):
            st["endTime"] = fmt(self.obs.now)
        if self.wake:
            seconds = (min(self.wake) - self.obs.now).total_seconds()
            # KubeRay's requeueDelayFor adds 2 s so the clock has surely passed the deadline
            wake = max(seconds, 0.0) + 2.0
            current = self.step.requeue_after
            self.step.requeue_after = wake if current is None else min(current, wake)
        return self.step


def _set(st: dict[str, Any], key: str, value: str) -> None:
    if value:
        st[key] = value
    else:
        st.pop(key, None)


def _cluster_status(cluster: dict[str, Any]) -> dict[str, Any]:
    # lastUpdateTime moves on every cluster status write; copying it would rewrite ours each time
    return {k: v for k, v in (cluster.get("status") or {}).items() if k != "lastUpdateTime"}


def _delete_cluster(ns: str, name: str) -> Delete:
    return Delete(
        "ray.io/v1",
        "RayCluster",
        name,
        (names.DELETED_CLUSTER, f"Deleted cluster {ns}/{name}"),
        (names.FAILED_DELETE_CLUSTER, f"Failed to delete cluster {ns}/{name}"),
    )


def step(job: dict[str, Any], obs: Observed) -> Step:
    """One reconcile of a RayJob that is not being deleted (see `deletion` for that)."""
    findings = validate_rayjob(job)
    machine = _Machine(job, obs)
    st = machine.st
    if findings:
        message = "; ".join(str(p) for _, p in findings)
        if st.get("jobDeploymentStatus") != "ValidationFailed" or st.get("message") != message:
            ns, name = names.namespace(job), names.name(job)
            for reason, problem in findings:
                machine.step.actions.append(Warn(reason, f"{ns}/{name}: {problem}"))
        st.update(
            {"jobDeploymentStatus": "ValidationFailed", "reason": "ValidationFailed", "message": message}
        )
        return machine.step
    state = st.get("jobDeploymentStatus") or ""
    if state == "ValidationFailed":
        state = st["jobDeploymentStatus"] = ""  # fixed since: start from the beginning
    if state in ("Complete", "Failed"):
        machine.finished()
        return machine.finish()
    if state == "Suspended" and names.spec(job).get("suspend"):
        return machine.finish()
    handler = {
        "": machine.new,
        "Initializing": machine.initializing,
        "Waiting": machine.waiting,
        "Running": machine.running,
        "Suspending": machine.releasing,
        "Retrying": machine.releasing,
        "Suspended": machine.suspended,
    }.get(state)
    if handler is None:
        machine.step.error = True
        return machine.step
    handler()
    machine.count_and_retry()
    return machine.finish()


def deletion_stops_job(job: dict[str, Any]) -> bool:
    """Whether deleting this RayJob must first stop its Ray job (KubeRay: it is not final yet)."""
    st = names.status(job)
    return (
        bool(st.get("jobId"))
        and bool(st.get("dashboardURL"))
        and st.get("jobStatus") not in TERMINAL_JOB_STATUSES
    )


def status_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return old != new
