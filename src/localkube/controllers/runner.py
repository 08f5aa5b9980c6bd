"""The workload controllers as clients of the API server: watch-driven, one queue.

Deployments, ReplicaSets, ReplicationControllers (the ReplicaSet controller's plan with a plain
map for a selector), Jobs and CronJobs. Every change to one of them or to a pod enqueues the
object that controls it; a worker
syncs one key at a time from the caches. Nothing polls: the only timers are the ones a plan asks
for (a pod reaching minReadySeconds, a rollout's progress deadline) and retries after errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import Informer
from localkube.controllers import deployment as dep
from localkube.controllers import events, podcontrol, podutil
from localkube.controllers import replicaset as rsc
from localkube.controllers.cronjob_sync import CronJobSync
from localkube.controllers.job_sync import JobSync

log = logging.getLogger(__name__)

SyncKey = tuple[str, str, str]  # (kind, namespace, name)
RS_COMPONENT = "replicaset-controller"
RC_COMPONENT = "replication-controller"
DEPLOYMENT_COMPONENT = "deployment-controller"
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


class Queue:
    """A set of keys waiting for a sync; a key added while queued is synced once."""

    def __init__(self) -> None:
        self._keys: dict[SyncKey, None] = {}
        self._wake = asyncio.Event()

    def add(self, key: SyncKey) -> None:
        self._keys[key] = None
        self._wake.set()

    def add_after(self, key: SyncKey, seconds: float) -> None:
        asyncio.get_running_loop().call_later(max(seconds, 0.0), self.add, key)

    async def get(self) -> SyncKey:
        while not self._keys:
            self._wake.clear()
            await self._wake.wait()
        key = next(iter(self._keys))
        del self._keys[key]
        return key


def _path(kind: str, namespace: str, name: str | None = None, sub: str | None = None) -> str:
    prefix, plural = {
        "Deployment": ("/apis/apps/v1", "deployments"),
        "ReplicaSet": ("/apis/apps/v1", "replicasets"),
        "ReplicationController": ("/api/v1", "replicationcontrollers"),
        "Pod": ("/api/v1", "pods"),
    }[kind]
    path = f"{prefix}/namespaces/{namespace}/{plural}"
    if name is not None:
        path += f"/{name}"
    if sub is not None:
        path += f"/{sub}"
    return path


class Controllers:
    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.queue = Queue()
        # resync: after a gap in a watch every object is looked at again, not only the changed ones
        self.deployments = Informer(client, "/apis/apps/v1/deployments", resync=True)
        self.replicasets = Informer(client, "/apis/apps/v1/replicasets", resync=True)
        self.rcs = Informer(client, "/api/v1/replicationcontrollers", resync=True)
        self.pods = Informer(client, "/api/v1/pods", keep=podutil.pod_summary, resync=True)
        self.jobs = Informer(client, "/apis/batch/v1/jobs", resync=True)
        self.deployments.add_handler(self._on_deployment)
        self.replicasets.add_handler(self._on_replicaset)
        self.rcs.add_handler(self._on_rc)
        self.pods.add_handler(self._on_pod)
        self.jobs.add_handler(self._on_job)
        self.job_sync = JobSync(client, self.jobs, self.pods)
        self.cronjobs = Informer(client, "/apis/batch/v1/cronjobs", resync=True)
        self.cronjobs.add_handler(self._on_cronjob)
        self.cronjob_sync = CronJobSync(client, self.cronjobs, self.jobs)
        self._failures: dict[SyncKey, int] = {}

    # ------------------------------------------------------------------ events -> keys

    def _on_deployment(self, _etype: str, obj: dict[str, Any]) -> None:
        ns, name = podutil.meta(obj).get("namespace", ""), podutil.meta(obj)["name"]
        self.queue.add(("Deployment", ns, name))

    def _on_replicaset(self, _etype: str, obj: dict[str, Any]) -> None:
        ns = podutil.meta(obj).get("namespace", "")
        self.queue.add(("ReplicaSet", ns, podutil.meta(obj)["name"]))
        ref = podutil.controller_ref(obj)
        if ref and ref.get("kind") == "Deployment":
            self.queue.add(("Deployment", ns, ref["name"]))

    def _on_rc(self, _etype: str, obj: dict[str, Any]) -> None:
        ns = podutil.meta(obj).get("namespace", "")
        self.queue.add(("ReplicationController", ns, podutil.meta(obj)["name"]))

    def _on_job(self, _etype: str, obj: dict[str, Any]) -> None:
        ns = podutil.meta(obj).get("namespace", "")
        self.queue.add(("Job", ns, podutil.meta(obj)["name"]))
        ref = podutil.controller_ref(obj)
        if ref and ref.get("kind") == "CronJob":
            self.queue.add(("CronJob", ns, ref["name"]))

    def _on_cronjob(self, _etype: str, obj: dict[str, Any]) -> None:
        self.queue.add(("CronJob", podutil.meta(obj).get("namespace", ""), podutil.meta(obj)["name"]))

    def _on_pod(self, _etype: str, obj: dict[str, Any]) -> None:
        ref = podutil.controller_ref(obj)
        if ref and ref.get("kind") in ("ReplicaSet", "ReplicationController", "Job"):
            self.queue.add((ref["kind"], podutil.meta(obj).get("namespace", ""), ref["name"]))

    # ------------------------------------------------------------------------ syncs

    async def sync_replicaset(self, namespace: str, name: str, kind: str = "ReplicaSet") -> float | None:
        """One sync of a ReplicaSet, or of a ReplicationController: the same plan, as
        kube-controller-manager runs one ReplicaSetController for both."""
        cache, component = (
            (self.replicasets, RS_COMPONENT) if kind == "ReplicaSet" else (self.rcs, RC_COMPONENT)
        )
        rs = cache.get(namespace, name)
        if rs is None:
            return None
        now = podutil.now_utc()
        selector = (rs.get("spec") or {}).get("selector")
        if kind == "ReplicationController":
            # a plain label map: the LabelSelector it means (none when empty: claim nothing)
            selector = {"matchLabels": selector} if selector else None
        await self._claim(rs, "Pod", self.pods, selector)
        plan = rsc.plan(rs, self.pods.in_namespace(namespace), now)
        failure = await podcontrol.create_pods(
            self.client, self.pods, rs, component, plan.create, rsc.new_pod
        )
        await podcontrol.delete_pods(self.client, self.pods, rs, component, plan.delete)
        status = rsc.with_failure(plan.status, events.api_message(failure) if failure else None, now)
        if rsc.status_changed(rs, status):
            body = {**rs, "status": status}
            cache.put(await self.client.put(_path(kind, namespace, name, "status"), body))
        if failure is not None:
            raise failure  # retried with back-off
        return plan.requeue_after.total_seconds() if plan.requeue_after is not None else None

    async def sync_deployment(self, namespace: str, name: str) -> float | None:
        d = self.deployments.get(namespace, name)
        if d is None:
            return None
        await self._claim(d, "ReplicaSet", self.replicasets, (d.get("spec") or {}).get("selector"))
        replicasets = self.replicasets.in_namespace(namespace)
        plan = dep.plan(d, replicasets, self.pods.in_namespace(namespace), podutil.now_utc())
        if plan.create is not None:
            try:
                self.replicasets.put(await self.client.create(_path("ReplicaSet", namespace), plan.create))
            except ApiError as e:
                if e.status != 409:
                    raise
                await self._hash_collision(d, plan.create)
                return 0.0
        if plan.create is not None:
            replicas = dep.spec_replicas(plan.create)
            message = f"Scaled up replica set {podutil.meta(plan.create)['name']} from 0 to {replicas}"
            await events.post(self.client, d, DEPLOYMENT_COMPONENT, "Normal", "ScalingReplicaSet", message)
        for rs_name, replicas in plan.scale:
            before = self.replicasets.get(namespace, rs_name)
            patched = await self.client.merge_patch(
                _path("ReplicaSet", namespace, rs_name), {"spec": {"replicas": replicas}}
            )
            self.replicasets.put(patched)
            old = dep.spec_replicas(before) if before is not None else 0
            direction = "up" if replicas > old else "down"
            message = f"Scaled {direction} replica set {rs_name} from {old} to {replicas}"
            await events.post(self.client, d, DEPLOYMENT_COMPONENT, "Normal", "ScalingReplicaSet", message)
        for rs_name in plan.delete:
            with contextlib.suppress(ApiError):
                await self.client.delete(_path("ReplicaSet", namespace, rs_name))
        if plan.revision is not None:
            d = await self._set_revision(d, plan.revision)
        if (d.get("status") or {}) != plan.status:
            body = {**d, "status": plan.status}
            self.deployments.put(await self.client.put(_path("Deployment", namespace, name, "status"), body))
        return plan.requeue_after.total_seconds() if plan.requeue_after is not None else None

    async def _claim(self, owner: dict[str, Any], kind: str, cache: Informer, selector: Any) -> None:
        """Adopt matching orphans and release what no longer matches, as the controllers' ref managers."""
        ns = podutil.meta(owner).get("namespace", "")
        adopt, release = podutil.claims(owner, cache.in_namespace(ns), selector)
        for obj, patch in [(o, podutil.adoption_patch(owner, o)) for o in adopt] + [
            (o, podutil.release_patch(owner, o)) for o in release
        ]:
            try:
                cache.put(await self.client.merge_patch(_path(kind, ns, podutil.meta(obj)["name"]), patch))
            except ApiError as e:
                if e.status not in (404, 409, 422):  # gone, or changed since we looked: next sync
                    raise

    async def _set_revision(self, d: dict[str, Any], revision: str) -> dict[str, Any]:
        """The revision annotation on the Deployment and its current ReplicaSet (`kubectl rollout`)."""
        ns, name = podutil.meta(d).get("namespace", ""), podutil.meta(d)["name"]
        patch = {"metadata": {"annotations": {dep.REVISION: revision}}}
        new, _ = dep.split(d, self.replicasets.in_namespace(ns))
        if new is not None and (podutil.meta(new).get("annotations") or {}).get(dep.REVISION) != revision:
            rs_name = podutil.meta(new)["name"]
            self.replicasets.put(await self.client.merge_patch(_path("ReplicaSet", ns, rs_name), patch))
        updated = await self.client.merge_patch(_path("Deployment", ns, name), patch)
        self.deployments.put(updated)
        return updated

    async def _hash_collision(self, d: dict[str, Any], wanted: dict[str, Any]) -> None:
        """A ReplicaSet of that name exists but is not ours or runs another template: bump
        status.collisionCount so the next hash differs, as the deployment controller does."""
        ns, name = podutil.meta(d).get("namespace", ""), podutil.meta(d)["name"]
        existing = await self.client.get_or_none(_path("ReplicaSet", ns, podutil.meta(wanted)["name"]))
        if existing is not None:
            self.replicasets.put(existing)
            if podutil.is_controlled_by(existing, d) and dep.same_template(
                (existing.get("spec") or {}).get("template") or {},
                (d.get("spec") or {}).get("template") or {},
            ):
                return
        status = dict(d.get("status") or {})
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.deployments.put(
            await self.client.put(_path("Deployment", ns, name, "status"), {**d, "status": status})
        )

    # ------------------------------------------------------------------------ loop

    async def _sync(self, key: SyncKey) -> None:
        kind, ns, name = key
        try:
            if kind == "Deployment":
                after = await self.sync_deployment(ns, name)
            elif kind == "Job":
                after = await self.job_sync.sync(ns, name)
            elif kind == "CronJob":
                after = await self.cronjob_sync.sync(ns, name)
            else:
                after = await self.sync_replicaset(ns, name, kind)
        except ApiError as e:
            # 409: our cache was behind a write; the watch brings the newer object, then retry.
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = min(RETRY_SECONDS * 2 ** (failures - 1), MAX_RETRY_SECONDS)
            if e.status != 409:
                log.warning("sync %s %s/%s: %s (retry in %.0fs)", kind, ns, name, e, delay)
            self.queue.add_after(key, delay if e.status != 409 else 0.1)
            return
        self._failures.pop(key, None)
        if after is not None:
            self.queue.add_after(key, after)

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            try:
                await self._sync(key)
            except Exception:  # one broken object must not stop the others
                log.exception("sync %s failed", key)
                self.queue.add_after(key, RETRY_SECONDS)

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(c.run(), name=f"localkube-controllers-watch-{c.path}")
            for c in (self.deployments, self.replicasets, self.rcs, self.pods, self.jobs, self.cronjobs)
        ]
        try:
            # act only once every cache has its first listing, so nothing is created twice
            caches = (self.deployments, self.replicasets, self.rcs, self.pods, self.jobs, self.cronjobs)

            async def all_synced() -> None:
                for c in caches:
                    await c.synced.wait()

            synced: asyncio.Future[Any] = asyncio.ensure_future(all_synced())
            stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait([synced, stopper], return_when=asyncio.FIRST_COMPLETED)
                if not stop.is_set():
                    tasks.append(asyncio.create_task(self._work(), name="localkube-controllers-work"))
                    await stopper
            finally:
                synced.cancel()
                stopper.cancel()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def run_controllers(api_url: str, kubeconfig: Path, stop: asyncio.Event) -> None:
    """Run the workload controllers against `api_url` until `stop` is set."""
    client = ApiClient.from_kubeconfig(kubeconfig, server=api_url)
    try:
        await Controllers(client).run(stop)
    finally:
        await client.close()
