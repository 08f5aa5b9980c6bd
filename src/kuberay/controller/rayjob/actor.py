"""Carries out one `build.rayjob.plan.step` for one RayJob: observe (watch cache, and the dashboard
only while the job runs), plan (pure), act, write the status only when it changed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kuberay.build.naming import head_service_name
from kuberay.build.rayjob import names, plan
from kuberay.controller.cache import Cache, ClusterKey
from kuberay.controller.events import EventRecorder
from kuberay.controller.kubeapi import KubeAPI, KubeError
from kuberay.controller.rayjob import metrics as job_metrics
from kuberay.controller.rayjob.dashboard import Answer, Dashboard, DashboardError
from kuberay.controller.rayjob.resolver import dashboard_base, in_cluster
from kuberay.controller.rayjob.wiring import JobCache

log = logging.getLogger(__name__)

# Dashboard polling while a job runs: from FIRST_POLL, doubling to MAX_POLL while nothing changes.
# MAX_POLL is KubeRay's requeue period for a running RayJob (3 s): a longer one let a job that
# was submitted while the polls had backed off run its few seconds unseen, no RUNNING shown.
FIRST_POLL = 1.0
MAX_POLL = 3.0


class RetryLater(Exception):
    """An action failed or something awaited is missing: the queue retries with back-off."""


async def act_all(
    obj: dict[str, Any], actions: Sequence[Any], one: Callable[[Any], Awaitable[None]], events: EventRecorder
) -> None:
    """Carry out a plan's actions in order. A Create of what exists or a Delete of what is gone
    is done already (the cache had not seen it yet); any other API error stops the rest, with a
    Warning event for actions that name one, and the queue retries."""
    for action in actions:
        try:
            await one(action)
        except KubeError as err:
            if isinstance(action, plan.Create) and err.already_exists:
                continue
            if isinstance(action, plan.Delete) and err.not_found:
                continue
            failed = getattr(action, "failed", None)
            if failed:
                await events.warning(obj, failed[0], f"{failed[1]}: {err.message}")
            raise RetryLater(str(err)) from err


@dataclass
class RayJobActor:
    cache: Cache
    jobs: JobCache
    api: KubeAPI
    events: EventRecorder
    dashboard: Dashboard
    may_write: Callable[[], bool] = lambda: True
    inside: bool = field(default_factory=in_cluster)
    _poll: dict[ClusterKey, float] = field(default_factory=dict)
    _next_poll: dict[ClusterKey, float] = field(default_factory=dict)

    def forget(self, key: ClusterKey) -> None:
        self._poll.pop(key, None)
        self._next_poll.pop(key, None)
        self.events.forget(*key)
        job_metrics.forget(key[1], key[0])

    async def reconcile(self, key: ClusterKey) -> float | None:
        cached = self.jobs.job(key)
        if cached is None:
            self.forget(key)
            return None
        job = {**cached, "metadata": dict(cached["metadata"])}  # the cache's own copy stays untouched
        managed = names.spec(job).get("managedBy")
        if managed and managed != names.OPERATOR_NAME:
            return None  # e.g. Kueue's MultiKueue runs it elsewhere
        if not self.may_write():
            return None
        if job["metadata"].get("deletionTimestamp"):
            await self._finalize(job)
            return None
        observed = self._observe(job)
        asked = False
        if plan.wants_job_info(job):
            observed, asked = await self._ask_dashboard(key, job, observed)
        step = plan.step(job, observed)
        await self._act(job, step)
        if step.error:
            raise RetryLater(f"RayJob {key[0]}/{key[1]} waits for {step.status.get('jobDeploymentStatus')}")
        old = names.status(job)
        if step.status != old:
            await self._write_status(job, old, step.status)
        return self._requeue(key, step, changed=step.status != old, asked=asked)

    # -- observe ---------------------------------------------------------------------------

    def _cluster_parts(
        self, ns: str, cluster: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if cluster is None:
            return None, None
        ckey = (ns, cluster["metadata"]["name"])
        svc_name = head_service_name(cluster)
        service = next((s for s in self.cache.services(ckey) if s["metadata"]["name"] == svc_name), None)
        heads = [
            p
            for p in self.cache.pods(ckey)
            if (p["metadata"].get("labels") or {}).get("ray.io/node-type") == "head"
            and not p["metadata"].get("deletionTimestamp")
        ]
        return service, (heads[0] if heads else None)

    def _observe(self, job: dict[str, Any]) -> plan.Observed:
        ns, name = names.namespace(job), names.name(job)
        cluster_name = names.status(job).get("rayClusterName")
        cluster = self.cache.cluster((ns, cluster_name)) if cluster_name else None
        service, head = self._cluster_parts(ns, cluster)
        return plan.Observed(
            now=datetime.now(UTC),
            cluster=cluster,
            head_service=service,
            head_pod=head,
            submitter=self.jobs.submitter((ns, name)),
            job_service=self.jobs.service((ns, name)),
            suffix=names.random_suffix(),
        )

    def _base(self, job: dict[str, Any], observed: plan.Observed) -> str | None:
        return dashboard_base(
            str(names.status(job).get("dashboardURL") or ""),
            observed.head_service,
            observed.head_pod,
            inside=self.inside,
        )

    async def _ask_dashboard(
        self, key: ClusterKey, job: dict[str, Any], observed: plan.Observed
    ) -> tuple[plan.Observed, bool]:
        """The observation with the dashboard's answer, and whether it was asked this time."""
        now = datetime.now(UTC).timestamp()
        if now < self._next_poll.get(key, 0.0):
            return observed, False  # asked moments ago: an unrelated event is no reason to ask again
        base = self._base(job, observed)
        if base is None:
            answer = Answer(error="the head's dashboard address is not known yet")
        else:
            answer = await self.dashboard.job(base, str(names.status(job)["jobId"]))
        answered = plan.Observed(
            **{
                **observed.__dict__,
                "info": answer.info,
                "info_missing": answer.missing,
                "info_error": answer.error,
            }
        )
        return answered, True

    # -- act -------------------------------------------------------------------------------

    async def _act(self, job: dict[str, Any], step: plan.Step) -> None:
        ns = names.namespace(job)

        async def one(action: Any) -> None:
            await self._one(job, ns, action, step)

        await act_all(job, step.actions, one, self.events)

    async def _one(self, job: dict[str, Any], ns: str, action: plan.Action, step: plan.Step) -> None:
        if isinstance(action, plan.Warn):
            await self.events.warning(job, action.reason, action.message)
        elif isinstance(action, plan.AddFinalizer):
            meta = job["metadata"]
            finalizers = [*(meta.get("finalizers") or []), names.FINALIZER]
            patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.get("resourceVersion")}}
            updated = await self.api.merge_patch("ray.io/v1", "RayJob", ns, names.name(job), patch)
            # the status write that follows is checked against this newer version
            meta["resourceVersion"] = updated["metadata"]["resourceVersion"]
        elif isinstance(action, plan.Create):
            await self.api.create(action.obj)
            await self.events.normal(job, *action.ok)
        elif isinstance(action, plan.Delete):
            body_kind = action.kind
            await self.api.delete(action.api_version, body_kind, ns, action.name, background=True)
            await self.events.normal(job, *action.ok)
        elif isinstance(action, plan.PatchService):
            await self.api.merge_patch(
                "v1", "Service", ns, action.name, {"spec": {"selector": action.selector}}
            )
        elif isinstance(action, plan.SuspendWorkers):
            cluster = action.cluster
            groups = [{**g, "suspend": True} for g in cluster["spec"].get("workerGroupSpecs") or []]
            cname = cluster["metadata"]["name"]
            patch = {
                "metadata": {"resourceVersion": cluster["metadata"].get("resourceVersion")},
                "spec": {"workerGroupSpecs": groups},
            }
            try:
                await self.api.merge_patch("ray.io/v1", "RayCluster", ns, cname, patch)
            except KubeError as err:
                await self.events.warning(
                    job,
                    names.FAILED_UPDATE_CLUSTER,
                    f"Failed to suspend worker groups in cluster {ns}/{cname}: {err.message}",
                )
                raise
            await self.events.normal(
                job,
                names.UPDATED_CLUSTER,
                f"Set the `suspend` field to true for all worker groups in cluster {ns}/{cname}",
            )
        elif isinstance(action, plan.DeleteSelf):
            await self.api.delete("ray.io/v1", "RayJob", ns, names.name(job), background=True)
        elif isinstance(action, plan.SubmitHTTP):
            base = self._base(job, self._observe_for_base(job))
            try:
                if base is None:
                    raise DashboardError("the head's dashboard address is not known yet")
                await self.dashboard.submit(base, action.body)
            except DashboardError as err:
                log.warning("RayJob %s/%s: submission failed: %s", ns, names.name(job), err)
                step.status.setdefault("jobStatusCheckFailureStartTime", plan.fmt(datetime.now(UTC)))
            else:
                step.status.pop("jobStatusCheckFailureStartTime", None)
                self._next_poll.pop((ns, names.name(job)), None)  # look at the new job soon

    def _observe_for_base(self, job: dict[str, Any]) -> plan.Observed:
        return self._observe(job)

    async def _finalize(self, job: dict[str, Any]) -> None:
        """A RayJob being deleted: stop a Ray job that still runs, then let it go (KubeRay removes
        the finalizer whether or not the stop worked)."""
        meta = job["metadata"]
        if names.FINALIZER not in (meta.get("finalizers") or []):
            return
        ns = names.namespace(job)
        if plan.deletion_stops_job(job):
            base = self._base(job, self._observe(job))
            try:
                if base is None:
                    raise DashboardError("the head's dashboard address is not known")
                await self.dashboard.stop(base, str(names.status(job)["jobId"]))
                log.info(
                    "stopped Ray job %s of RayJob %s/%s", names.status(job)["jobId"], ns, names.name(job)
                )
            except DashboardError as err:
                log.warning("RayJob %s/%s: could not stop Ray job: %s", ns, names.name(job), err)
        rest = [f for f in meta.get("finalizers") or [] if f != names.FINALIZER]
        patch = {"metadata": {"finalizers": rest, "resourceVersion": meta.get("resourceVersion")}}
        try:
            await self.api.merge_patch("ray.io/v1", "RayJob", ns, names.name(job), patch)
        except KubeError as err:
            if not err.not_found:
                raise RetryLater(str(err)) from err

    async def _write_status(self, job: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
        patch: dict[str, Any] = {k: None for k in old if k not in new}
        patch.update(new)
        ns, name = names.namespace(job), names.name(job)
        # Written against the version it was computed from: a step planned on a stale cache
        # (e.g. one that would name a second cluster) gets 409 and is planned again.
        body = {"metadata": {"resourceVersion": job["metadata"].get("resourceVersion")}, "status": patch}
        try:
            await self.api.merge_patch("ray.io/v1", "RayJob", ns, name, body, sub="status")
        except KubeError as err:
            if err.not_found:
                return
            raise RetryLater(str(err)) from err
        before, after = old.get("jobDeploymentStatus"), new.get("jobDeploymentStatus")
        if before not in ("Complete", "Failed") and after in ("Complete", "Failed", "Retrying"):
            start = plan.parse_time(new.get("startTime"))
            if start is not None:
                job_metrics.EXECUTION_DURATION.labels(
                    name, ns, job["metadata"].get("uid", ""), after, str(int(old.get("failed") or 0))
                ).set((datetime.now(UTC) - start).total_seconds())

    def _requeue(self, key: ClusterKey, step: plan.Step, *, changed: bool, asked: bool) -> float | None:
        wait = step.requeue_after
        if step.poll:
            now = datetime.now(UTC).timestamp()
            if changed:
                self._poll.pop(key, None)
            elif asked:  # only a poll that saw nothing new backs off; other events do not count
                self._poll[key] = min(self._poll[key] * 2, MAX_POLL) if key in self._poll else FIRST_POLL
            if changed or asked:
                # The next poll is due only once an answer has reached the status: after a failed
                # write (a 409 on a stale cache) the retry asks again, or a short job's RUNNING
                # would be lost and the next poll would find it ended.
                self._next_poll[key] = now + self._poll.get(key, FIRST_POLL)
            due = max(self._next_poll.get(key, now) - now, 0.05)
            wait = due if wait is None else min(wait, due)
        else:
            self._poll.pop(key, None)
            self._next_poll.pop(key, None)
        return wait
