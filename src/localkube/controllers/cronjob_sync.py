"""One sync of a batch/v1 CronJob against the API: carry out what `cronjob.plan` decided."""

from __future__ import annotations

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import Informer
from localkube.controllers import cronjob as cronplan
from localkube.controllers import events, podutil

COMPONENT = "cronjob-controller"


def _path(plural: str, namespace: str, name: str | None = None, sub: str | None = None) -> str:
    path = f"/apis/batch/v1/namespaces/{namespace}/{plural}"
    return path + (f"/{name}" if name else "") + (f"/{sub}" if sub else "")


class CronJobSync:
    def __init__(self, client: ApiClient, cronjobs: Informer, jobs: Informer) -> None:
        self.client = client
        self.cronjobs = cronjobs
        self.jobs = jobs

    async def sync(self, namespace: str, name: str) -> float | None:
        cached = self.cronjobs.get(namespace, name)
        if cached is None:
            return None
        cj = {"apiVersion": "batch/v1", "kind": "CronJob", **cached}
        plan = cronplan.plan(cj, self.jobs.in_namespace(namespace), podutil.now_utc())
        status = dict(plan.status)
        for victim in plan.delete:
            try:
                await self.client.delete(
                    _path("jobs", namespace, victim), {"propagationPolicy": "Background"}
                )
            except ApiError as e:
                if e.status != 404:
                    raise
            self.jobs.drop(namespace, victim)
            status["active"] = [r for r in status.get("active") or [] if r["name"] != victim]
            await events.post(
                self.client, cj, COMPONENT, "Normal", "SuccessfulDelete", f"Deleted job {victim}"
            )
        if not status.get("active"):
            status.pop("active", None)
        if plan.create is not None:
            try:
                job = await self.client.create(_path("jobs", namespace), plan.create)
            except ApiError as e:
                if e.status != 409:  # 409: made by an earlier sync already
                    await events.post(
                        self.client,
                        cj,
                        COMPONENT,
                        "Warning",
                        "FailedCreate",
                        f"Error creating job: {events.api_message(e)}",
                    )
                    raise
            else:
                self.jobs.put(job)
                status["active"] = [*(status.get("active") or []), cronplan.job_ref(job)]
        for type_, reason, message in plan.events:
            await events.post(self.client, cj, COMPONENT, type_, reason, message)
        if (cj.get("status") or {}) != status:
            written = await self.client.put(
                _path("cronjobs", namespace, name, "status"), {**cj, "status": status}
            )
            self.cronjobs.put(written)
        return plan.requeue_after.total_seconds() if plan.requeue_after is not None else None
