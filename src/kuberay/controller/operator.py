"""Wires kopf's watches to our cache and work queue, and runs the reconcile workers.

kopf gives us watches with reconnects, the initial LIST, and indexes; we deliberately use only
event handlers and indexes, which make no writes of their own (no progress annotations, no
finalizers), so a steady state costs zero API writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import kopf

from kuberay import metrics
from kuberay.build import BuildOptions
from kuberay.build.naming import NODE_TYPE_LABEL
from kuberay.build.redis_cleanup import REDIS_CLEANUP_NODE
from kuberay.controller.cache import CLUSTER_LABEL, NAMED_PLURALS, Cache, ClusterKey, owning_cluster, slim
from kuberay.controller.connection import Connection, kopf_credentials
from kuberay.controller.events import EventRecorder
from kuberay.controller.expectations import Expectations
from kuberay.controller.kubeapi import KubeAPI
from kuberay.controller.rayjob import wiring as rayjob_wiring
from kuberay.controller.rayjob.actor import RayJobActor, RetryLater
from kuberay.controller.rayjob.metrics import RayJobInfoCollector
from kuberay.controller.rayservice import wiring as rayservice_wiring
from kuberay.controller.rayservice.actor import RayServiceActor
from kuberay.controller.rayservice.metrics import RayServiceInfoCollector
from kuberay.controller.rayservice.serve_client import ServeClient
from kuberay.controller.reconciler import Reconciler
from kuberay.controller.workqueue import WorkQueue

log = logging.getLogger(__name__)

CONTROLLER = "raycluster"
JOB_CONTROLLER = "rayjob"
SERVICE_CONTROLLER = "rayservice"
# plural -> (API group, kind) of the children only looked up by name.
_NAMED_KINDS = {
    "serviceaccounts": ("", "ServiceAccount"),
    "roles": ("rbac.authorization.k8s.io", "Role"),
    "rolebindings": ("rbac.authorization.k8s.io", "RoleBinding"),
    "secrets": ("", "Secret"),
}


class NoDiffBase(kopf.DiffBaseStorage):
    """kopf builds every object's "diff base" (a deep copy of its essence) on every event, for
    on.create/update/field handlers, which we do not register: they read our own cache instead.
    Building it was 14% of the operator's samples with 1,000 RayClusters (py-spy, 2026-12-03)."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        return None


@dataclass
class OperatorOptions:
    namespaces: Sequence[str] = ()
    workers: int = 8
    # KubeRay's operator environment (ENABLE_PROBES_INJECTION, CLUSTER_DOMAIN, ...), read once.
    build: BuildOptions = field(default_factory=BuildOptions)
    # KubeRay's RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV: a reconciled cluster is looked at again after
    # this long without any event (a pass over the cache; it writes only what differs).
    resync_seconds: float | None = 300.0


@dataclass
class Operator:
    conn: Connection
    options: OperatorOptions = field(default_factory=OperatorOptions)
    cache: Cache = field(default_factory=Cache)
    queue: WorkQueue[ClusterKey] = field(default_factory=WorkQueue)
    jobs: rayjob_wiring.JobCache = field(default_factory=rayjob_wiring.JobCache)
    job_queue: WorkQueue[ClusterKey] = field(default_factory=WorkQueue)
    rayservices: rayservice_wiring.ServiceCache = field(default_factory=rayservice_wiring.ServiceCache)
    service_queue: WorkQueue[ClusterKey] = field(default_factory=WorkQueue)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # Leader election's verdict, checked before every reconcile's writes.
    may_write: Callable[[], bool] = lambda: True
    # Called when kopf asks for credentials again (a 401): ours are stale, the supervisor
    # reloads them and starts over.
    on_relogin: Callable[[], None] = lambda: None
    _logins: int = 0
    _workers: list[asyncio.Task[None]] = field(default_factory=list)

    def registry(
        self, reconciler: Reconciler, job_actor: RayJobActor, service_actor: RayServiceActor
    ) -> kopf.OperatorRegistry:
        registry = kopf.OperatorRegistry()
        cache, queue = self.cache, self.queue
        ray_member = {CLUSTER_LABEL: kopf.PRESENT}

        @kopf.on.login(registry=registry)
        async def login(**_: Any) -> kopf.ConnectionInfo:
            self._logins += 1
            if self._logins > 1:
                self.on_relogin()
            return await kopf_credentials(self.conn)

        @kopf.on.startup(registry=registry)
        async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
            settings.posting.enabled = False  # we post our own, KubeRay-named events
            settings.watching.server_timeout = 300
            settings.networking.request_timeout = 60
            settings.persistence.diffbase_storage = NoDiffBase()

        @kopf.index("ray.io", "v1", "rayclusters", id="ray_clusters", registry=registry)
        async def ray_clusters(
            *, namespace: str | None, name: str, body: kopf.Body, **_: Any
        ) -> dict[ClusterKey, Any]:
            return {(namespace or "", name): slim(body)}

        @kopf.index("v1", "pods", id="ray_pods", labels=ray_member, registry=registry)
        async def ray_pods(
            *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
        ) -> dict[ClusterKey, Any]:
            return {(namespace or "", labels[CLUSTER_LABEL]): slim(body)}

        def owned(body: kopf.Body, **_: Any) -> bool:
            return owning_cluster(body) is not None

        # KubeRay's serve and headless Services are known by their owner, not a ray.io/cluster label.
        @kopf.index("v1", "services", id="ray_services", when=owned, registry=registry)
        async def ray_services(*, namespace: str | None, body: kopf.Body, **_: Any) -> dict[ClusterKey, Any]:
            return {(namespace or "", owning_cluster(body) or ""): slim(body)}

        # Ingresses are compared with what the cluster asks for, so they are kept whole.
        @kopf.index(
            "networking.k8s.io", "v1", "ingresses", id="ray_ingresses", labels=ray_member, registry=registry
        )
        async def ray_ingresses(
            *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
        ) -> dict[ClusterKey, Any]:
            return {(namespace or "", labels[CLUSTER_LABEL]): slim(body)}

        # Only the GCS FT Redis cleanup Jobs: RayJob's Jobs are another controller's.
        cleanup_job: dict[str, Any] = {
            CLUSTER_LABEL: kopf.PRESENT,
            NODE_TYPE_LABEL: REDIS_CLEANUP_NODE,
        }

        @kopf.index("batch", "v1", "jobs", id="ray_cleanup_jobs", labels=cleanup_job, registry=registry)
        async def ray_cleanup_jobs(
            *, namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
        ) -> dict[ClusterKey, Any]:
            return {(namespace or "", labels[CLUSTER_LABEL]): slim(body)}

        def named_index(plural: str) -> None:
            group, kind = _NAMED_KINDS[plural]

            async def ray_named(
                *, namespace: str | None, name: str, labels: kopf.Labels, **_: Any
            ) -> dict[ClusterKey, tuple[str, str]]:
                return {(namespace or "", labels[CLUSTER_LABEL]): (kind, name)}

            kopf.index(group, "v1", plural, id=f"ray_named_{plural}", labels=ray_member, registry=registry)(
                ray_named
            )

        for plural in NAMED_PLURALS:
            named_index(plural)

        def enqueue_for(key: ClusterKey, kwargs: dict[str, Any]) -> None:
            if not cache.ready:
                cache.attach(kwargs)
            queue.add(key)
            metrics.QUEUE_DEPTH.labels(name=CONTROLLER).set(len(queue))

        # async handlers run on the event loop (sync ones would run in threads, racing the queue)
        @kopf.on.event("ray.io", "v1", "rayclusters", registry=registry)
        async def on_cluster(*, namespace: str | None, name: str, type: str, **kwargs: Any) -> None:
            key = (namespace or "", name)
            if type == "DELETED":
                reconciler.forget(key)
            enqueue_for(key, kwargs)

        async def on_member(*, namespace: str | None, labels: kopf.Labels, **kwargs: Any) -> None:
            enqueue_for((namespace or "", labels[CLUSTER_LABEL]), kwargs)

        async def on_owned(*, namespace: str | None, body: kopf.Body, **kwargs: Any) -> None:
            enqueue_for((namespace or "", owning_cluster(body) or ""), kwargs)

        async def on_pod(
            *, namespace: str | None, name: str, type: str, labels: kopf.Labels, **kwargs: Any
        ) -> None:
            key = (namespace or "", labels[CLUSTER_LABEL])
            if type == "DELETED":
                reconciler.expectations.gone(key, name)
            enqueue_for(key, kwargs)

        kopf.on.event("v1", "pods", labels=ray_member, registry=registry)(on_pod)
        kopf.on.event("v1", "services", when=owned, registry=registry)(on_owned)
        kopf.on.event("batch", "v1", "jobs", labels=cleanup_job, registry=registry)(on_member)
        for plural in NAMED_PLURALS:
            group = _NAMED_KINDS[plural][0]
            kopf.on.event(group, "v1", plural, labels=ray_member, registry=registry)(on_member)
        kopf.on.event("networking.k8s.io", "v1", "ingresses", labels=ray_member, registry=registry)(on_member)

        rayjob_wiring.register(registry, self.jobs, self.job_queue, job_actor.forget)
        rayservice_wiring.register(
            registry, self.rayservices, self.cache, self.service_queue, service_actor.forget
        )

        @kopf.on.startup(registry=registry)
        async def start_workers(**_: Any) -> None:
            loop = asyncio.get_running_loop()
            for i in range(self.options.workers):
                self._workers.append(
                    loop.create_task(
                        self._worker(self.queue, reconciler.reconcile, CONTROLLER), name=f"reconcile-{i}"
                    )
                )
                self._workers.append(
                    loop.create_task(
                        self._worker(self.job_queue, job_actor.reconcile, JOB_CONTROLLER), name=f"rayjob-{i}"
                    )
                )
                self._workers.append(
                    loop.create_task(
                        self._worker(self.service_queue, service_actor.reconcile, SERVICE_CONTROLLER),
                        name=f"rayservice-{i}",
                    )
                )

        return registry

    async def _worker(
        self,
        queue: WorkQueue[ClusterKey],
        reconcile: Callable[[ClusterKey], Awaitable[float | None]],
        name: str,
    ) -> None:
        while True:
            key = await queue.get()
            metrics.QUEUE_DEPTH.labels(name=name).set(len(queue))
            try:
                with metrics.RECONCILE_TIME.labels(controller=name).time():
                    requeue_after = await reconcile(key)
            except Exception as err:  # a bad object must never stop the others
                if isinstance(err, RetryLater):
                    log.info("reconcile of %s %s/%s: %s", name, *key, err)
                else:
                    log.exception("reconcile of %s %s/%s failed", name, *key)
                metrics.RECONCILE_ERRORS.labels(controller=name).inc()
                metrics.RECONCILE_TOTAL.labels(controller=name, result="error").inc()
                queue.retry(key)
            else:
                queue.forget(key)
                if requeue_after is not None:
                    metrics.RECONCILE_TOTAL.labels(controller=name, result="requeue_after").inc()
                    queue.add_after(key, requeue_after)
                else:
                    metrics.RECONCILE_TOTAL.labels(controller=name, result="success").inc()
            finally:
                queue.done(key)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set: one LIST of every watched kind, then watches. An Operator runs
        once; the supervisor starts a fresh one (fresh cache) after the API was lost."""
        async with self.conn.api_client() as api_client:
            api = KubeAPI(api_client)
            reconciler = Reconciler(
                self.cache,
                api,
                EventRecorder(api),
                Expectations(),
                self.queue,
                options=self.options.build,
                may_write=self.may_write,
                resync_seconds=self.options.resync_seconds,
            )
            dashboard = ServeClient()  # the job API and Serve's: one pooled session
            job_actor = RayJobActor(
                self.cache,
                self.jobs,
                api,
                EventRecorder(api, component="rayjob-controller"),
                dashboard,
                may_write=lambda: self.may_write(),
            )
            service_actor = RayServiceActor(
                self.cache,
                self.rayservices,
                api,
                EventRecorder(api, component="rayservice-controller"),
                dashboard,
                options=self.options.build,
                may_write=lambda: self.may_write(),
            )
            registry = self.registry(reconciler, job_actor, service_actor)
            collectors: list[Any] = [
                metrics.ClusterInfoCollector(self.cache.clusters),
                RayJobInfoCollector(self.jobs.all),
                RayServiceInfoCollector(self.rayservices.all),
            ]
            for collector in collectors:
                metrics.REGISTRY.register(collector)
            ready = asyncio.Event()
            watch_ready = asyncio.get_running_loop().create_task(self._mark_ready(ready, stop))
            # kopf gives every task started after its startup (our workers among them) 5 s to end
            # by itself before cancelling it: end them at once, so a SIGTERM stops us in well
            # under a second (a rolling update, a leader's handover). Started before kopf, this
            # task is not one kopf waits for.
            stop_workers = asyncio.get_running_loop().create_task(self._stop_workers_on(stop))
            try:
                await kopf.operator(
                    registry=registry,
                    standalone=True,
                    clusterwide=not self.options.namespaces,
                    namespaces=list(self.options.namespaces),
                    stop_flag=stop,
                    ready_flag=ready,
                )
            finally:
                watch_ready.cancel()
                stop_workers.cancel()
                await self._end_workers()
                await dashboard.close()
                for collector in collectors:
                    metrics.REGISTRY.unregister(collector)

    async def _stop_workers_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        await self._end_workers()

    async def _end_workers(self) -> None:
        self.queue.shutdown()
        self.job_queue.shutdown()
        self.service_queue.shutdown()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _mark_ready(self, ready: asyncio.Event, stop: asyncio.Event) -> None:
        await ready.wait()
        # kopf took SIGTERM and SIGINT as it started (it is ready once it has). Through our stop
        # flag instead, so that our workers end at once, not after kopf's 5 s wait for tasks
        # that it did not start. This Operator then returns normally, which the supervisor reads
        # as "the process was signalled".
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        self.ready.set()
