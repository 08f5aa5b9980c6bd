"""One sync of a batch/v1 Job against the API: carry out what `job.plan` decided.

The order matters for counting: the status recording a pod's end is written before the pod's
tracking finalizer is dropped, so a crash between the two counts it once on the next sync.
"""

from __future__ import annotations

import logging
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import Informer
from localkube.controllers import events, podcontrol, podutil
from localkube.controllers import job as jobplan

log = logging.getLogger(__name__)

COMPONENT = "job-controller"


def _jobs(namespace: str, name: str | None = None, sub: str | None = None) -> str:
    path = f"/apis/batch/v1/namespaces/{namespace}/jobs"
    return path + (f"/{name}" if name else "") + (f"/{sub}" if sub else "")


def _pods(namespace: str, name: str | None = None) -> str:
    return f"/api/v1/namespaces/{namespace}/pods" + (f"/{name}" if name else "")


class JobSync:
    def __init__(self, client: ApiClient, jobs: Informer, pods: Informer) -> None:
        self.client = client
        self.jobs = jobs
        self.pods = pods

    async def _unfinalize(self, pod: dict[str, Any]) -> None:
        """Drop our finalizer only: a JSON patch whose test fails if the list changed meanwhile."""
        meta = podutil.meta(pod)
        finalizers = list(meta.get("finalizers") or [])
        if jobplan.TRACKING_FINALIZER not in finalizers:
            return
        at = finalizers.index(jobplan.TRACKING_FINALIZER)
        ops = [
            {"op": "test", "path": f"/metadata/finalizers/{at}", "value": jobplan.TRACKING_FINALIZER},
            {"op": "remove", "path": f"/metadata/finalizers/{at}"},
        ]
        ns = str(meta.get("namespace") or "")
        try:
            updated = await self.client.request(
                "PATCH", _pods(ns, meta["name"]), body=ops, content_type="application/json-patch+json"
            )
        except ApiError as e:
            if e.status == 404:
                self.pods.drop(ns, meta["name"])
                return
            raise  # changed meanwhile (409/422): the watch brings the new pod, the sync is retried
        if updated.get("kind") == "Pod":
            self.pods.put(updated)

    async def sync(self, namespace: str, name: str) -> float | None:
        cached = self.jobs.get(namespace, name)
        pods = self.pods.in_namespace(namespace)
        for stray in jobplan.stray_pods(cached, name, pods):
            await self._unfinalize(stray)
        if cached is None:
            return None
        job = {"apiVersion": "batch/v1", "kind": "Job", **cached}
        plan = jobplan.plan(job, pods, podutil.now_utc())
        failure = await podcontrol.create_pods(
            self.client, self.pods, job, COMPONENT, plan.create, jobplan.new_pod
        )
        await podcontrol.delete_pods(self.client, self.pods, job, COMPONENT, plan.delete)
        if jobplan.status_changed(job, plan.status):
            written = await self.client.put(_jobs(namespace, name, "status"), {**job, "status": plan.status})
            self.jobs.put(written)
        for pod_name in plan.unfinalize:
            held = self.pods.get(namespace, pod_name)
            if held is not None:
                await self._unfinalize(held)
        for type_, reason, message in plan.events:
            await events.post(self.client, job, COMPONENT, type_, reason, message)
        if plan.delete_job:
            body = {"propagationPolicy": "Foreground", "preconditions": {"uid": podutil.meta(job).get("uid")}}
            try:
                await self.client.delete(_jobs(namespace, name), body)
            except ApiError as e:
                if e.status not in (404, 409):  # gone, or replaced by a new Job of that name
                    raise
        if failure is not None:
            raise failure  # retried with back-off
        return plan.requeue_after.total_seconds() if plan.requeue_after is not None else None
