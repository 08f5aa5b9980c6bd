"""Carries out one `build.rayservice.plan.step` for one RayService: observe (the watch cache, and
for the clusters that matter the Serve REST API and the head's proxy), plan (pure), act, and write
the status only when it changed.

Ray has no watch for Serve's health, so the clusters are asked again: every 2 s while anything
changes, backing off to every 10 s while nothing does (one GET of the applications and one of the
head's proxy per RayService). A head that cannot be reached is asked on that same back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions, head_service_name
from kuberay.build.rayjob.plan import dashboard_url
from kuberay.build.rayservice import names, plan
from kuberay.build.rayservice.pods import serve_port
from kuberay.build.rayservice.serve import ServeAnswer
from kuberay.controller.cache import Cache, ClusterKey
from kuberay.controller.events import EventRecorder
from kuberay.controller.kubeapi import KubeAPI, KubeError
from kuberay.controller.rayjob.actor import RetryLater, act_all
from kuberay.controller.rayjob.resolver import dashboard_base, in_cluster
from kuberay.controller.rayservice.serve_client import ServeClient, ServeError
from kuberay.controller.rayservice.wiring import ServiceCache
from kubeschema.timestamps import now_time

log = logging.getLogger(__name__)

FIRST_POLL = 2.0
MAX_POLL = 10.0
# A burst of pod events must not become a burst of requests to the head.
MIN_ASK_INTERVAL = 1.0

_ClusterRef = tuple[str, str, str]  # (namespace, rayservice, cluster)


def merge_patch(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) turning `old` into `new` (pure)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            patch[key] = merge_patch(old[key], value)
    return patch


@dataclass
class RayServiceActor:
    cache: Cache
    services: ServiceCache
    api: KubeAPI
    events: EventRecorder
    serve: ServeClient
    options: BuildOptions = DEFAULT_OPTIONS
    may_write: Callable[[], bool] = lambda: True
    inside: bool = field(default_factory=in_cluster)
    _poll: dict[ClusterKey, float] = field(default_factory=dict)
    _submitted: dict[_ClusterRef, str] = field(default_factory=dict)
    _due: dict[_ClusterRef, datetime] = field(default_factory=dict)
    _answers: dict[_ClusterRef, tuple[float, ServeAnswer]] = field(default_factory=dict)
    _proxies: dict[_ClusterRef, tuple[float, bool]] = field(default_factory=dict)

    def forget(self, key: ClusterKey) -> None:
        self._poll.pop(key, None)
        for table in (self._submitted, self._due, self._answers, self._proxies):
            for ref in [r for r in table if r[:2] == key]:
                table.pop(ref, None)
        self.events.forget(*key)

    async def reconcile(self, key: ClusterKey) -> float | None:
        cached = self.services.service(key)
        if cached is None:
            self.forget(key)
            return None
        service = {**cached, "metadata": dict(cached["metadata"])}
        managed = names.spec(service).get("managedBy")
        if managed and managed != names.OPERATOR_NAME:
            return None  # plan.step leaves it alone too; no look at its clusters either
        if not self.may_write() or service["metadata"].get("deletionTimestamp"):
            return None  # its clusters and Services go with it (ownerReferences)
        observed = await self._observe(key, service)
        step = plan.step(service, observed, self.options)
        await self._act(key, service, step)
        old = names.status(service)
        changed = step.status != old
        if changed:
            await self._write_status(service, old, step.status)
        return self._requeue(key, step, changed=changed)

    # -- observe ---------------------------------------------------------------------------

    def _cluster_base(self, cluster: dict[str, Any], head: dict[str, Any] | None) -> str | None:
        ns = cluster["metadata"].get("namespace") or "default"
        svc_name = head_service_name(cluster)
        svc = next(
            (
                s
                for s in self.cache.services((ns, cluster["metadata"]["name"]))
                if s["metadata"]["name"] == svc_name
            ),
            None,
        )
        return dashboard_base(dashboard_url(cluster, svc), svc, head, inside=self.inside)

    async def _observe(self, key: ClusterKey, service: dict[str, Any]) -> plan.Observed:
        ns, name = key
        clusters = {c["metadata"]["name"]: c for c in self.cache.clusters() if names.belongs_to(c, ns, name)}
        heads: dict[str, dict[str, Any]] = {}
        pods: dict[str, list[dict[str, Any]]] = {}
        for cname in clusters:
            members = self.cache.pods((ns, cname))
            pods[cname] = members
            head = next(
                (
                    p
                    for p in members
                    if (p["metadata"].get("labels") or {}).get(names.NODE_TYPE_LABEL) == "head"
                    and not p["metadata"].get("deletionTimestamp")
                ),
                None,
            )
            if head is not None:
                heads[cname] = head
        owned = {s["metadata"]["name"]: s for s in self.services.owned_services(key)}
        now = datetime.now(UTC)
        base = plan.Observed(
            now=now,
            clusters=clusters,
            heads=heads,
            pods=pods,
            head_service=owned.get(names.head_service_name(service)),
            serve_service=owned.get(names.serve_service_name(service)),
            submitted={r[2]: text for r, text in self._submitted.items() if r[:2] == key},
            deletion_due={r[2]: at for r, at in self._due.items() if r[:2] == key},
            suffix=names.random_suffix(),
        )
        st = names.status(service)
        interesting = {
            (st.get("activeServiceStatus") or {}).get("rayClusterName"),
            (st.get("pendingServiceStatus") or {}).get("rayClusterName"),
        }
        answers: dict[str, ServeAnswer] = {}
        for cname in plan.serve_targets(service, base):
            if plan.head_ready(base, cname):
                answer = await self._ask(key, clusters[cname], heads[cname])
                if answer is not None:
                    answers[cname] = answer
        proxies: dict[str, bool] = {}
        for cname in interesting:
            if cname and cname in heads and not names.spec(service).get("excludeHeadPodFromServeSvc"):
                proxies[cname] = await self._proxy(key, cname, heads[cname])
        return plan.Observed(**{**base.__dict__, "serve": answers, "proxy_healthy": proxies})

    async def _ask(
        self, key: ClusterKey, cluster: dict[str, Any], head: dict[str, Any]
    ) -> ServeAnswer | None:
        ref = (*key, cluster["metadata"]["name"])
        mono = datetime.now(UTC).timestamp()
        last = self._answers.get(ref)
        if last is not None and mono - last[0] < MIN_ASK_INTERVAL:
            return last[1]
        base = self._cluster_base(cluster, head)
        if base is None:
            return ServeAnswer(error="the head's dashboard address is not known yet")
        answer = await self.serve.applications(base)
        if answer.error:
            log.info("RayService %s/%s: Serve on %s: %s", *key, ref[2], answer.error)
        self._answers[ref] = (mono, answer)
        return answer

    async def _proxy(self, key: ClusterKey, cname: str, head: dict[str, Any]) -> bool:
        ref = (*key, cname)
        mono = datetime.now(UTC).timestamp()
        last = self._proxies.get(ref)
        if last is not None and mono - last[0] < MIN_ASK_INTERVAL:
            return last[1]
        ip = (head.get("status") or {}).get("podIP")
        healthy = False
        if ip and (head.get("status") or {}).get("phase") == "Running":
            healthy = await self.serve.proxy_healthy(ip, serve_port(head["spec"]["containers"][0]))
        self._proxies[ref] = (mono, healthy)
        return healthy

    # -- act -------------------------------------------------------------------------------

    async def _act(self, key: ClusterKey, service: dict[str, Any], step: plan.Step) -> None:
        ns = names.namespace(service)

        async def one(action: Any) -> None:
            await self._one(key, service, ns, action)

        await act_all(service, step.actions, one, self.events)

    async def _one(self, key: ClusterKey, service: dict[str, Any], ns: str, action: plan.Action) -> None:
        if isinstance(action, plan.Warn):
            await self.events.warning(service, action.reason, action.message)
        elif isinstance(action, plan.Create):
            await self.api.create(action.obj)
            await self.events.normal(service, *action.ok)
        elif isinstance(action, plan.Delete):
            await self.api.delete(action.api_version, action.kind, ns, action.name, background=True)
            self._due.pop((*key, action.name), None)
            await self.events.normal(service, *action.ok)
        elif isinstance(action, plan.UpdateCluster):
            await self.api.replace(action.obj)
            await self.events.normal(service, *action.ok)
        elif isinstance(action, plan.PointService):
            await self.api.merge_patch("v1", "Service", ns, action.name, {"spec": action.spec})
            await self.events.normal(service, *action.ok)
        elif isinstance(action, plan.LabelPod):
            patch = {"metadata": {"labels": {names.SERVE_LABEL: action.value}}}
            try:
                await self.api.merge_patch("v1", "Pod", ns, action.name, patch)
            except KubeError as err:
                if err.not_found:
                    return  # the pod went meanwhile
                raise
            await self.events.normal(service, *action.ok)
        elif isinstance(action, plan.ScheduleDeletion):
            self._due[(*key, action.cluster)] = action.at
            log.info("RayService %s/%s: RayCluster %s will be deleted at %s", *key, action.cluster, action.at)
        elif isinstance(action, plan.PutServe):
            await self._put(key, service, action)

    async def _put(self, key: ClusterKey, service: dict[str, Any], action: plan.PutServe) -> None:
        ns = names.namespace(service)
        cluster = self.cache.cluster((ns, action.cluster))
        head = None
        if cluster is not None:
            head = next(
                (
                    p
                    for p in self.cache.pods((ns, action.cluster))
                    if (p["metadata"].get("labels") or {}).get(names.NODE_TYPE_LABEL) == "head"
                ),
                None,
            )
        base = self._cluster_base(cluster, head) if cluster is not None else None
        try:
            if base is None:
                raise ServeError("the head's dashboard address is not known yet")
            await self.serve.put(base, action.config)
        except ServeError as err:
            await self.events.warning(
                service,
                names.FAILED_UPDATE_SERVE_APPS,
                f"Failed to update serve applications to the RayCluster {ns}/{action.cluster}: {err}",
            )
            return
        log.info("RayService %s/%s: PUT serveConfigV2 to %s: %s", *key, action.cluster, action.reason)
        self._submitted[(*key, action.cluster)] = action.text
        self._answers.pop((*key, action.cluster), None)  # look at the new applications next time
        await self.events.normal(
            service,
            names.UPDATED_SERVE_APPS,
            f"Updated serve applications to the RayCluster {ns}/{action.cluster}",
        )

    async def _write_status(self, service: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
        new = {**new, "lastUpdateTime": now_time()}
        patch = merge_patch(old, new)
        ns, name = names.namespace(service), names.name(service)
        # Written against the version it was computed from: a step planned on a stale cache
        # (one that would name a second pending cluster) gets 409 and is planned again.
        body = {"metadata": {"resourceVersion": service["metadata"].get("resourceVersion")}, "status": patch}
        try:
            await self.api.merge_patch("ray.io/v1", "RayService", ns, name, body, sub="status")
        except KubeError as err:
            if err.not_found:
                return
            raise RetryLater(str(err)) from err

    def _requeue(self, key: ClusterKey, step: plan.Step, *, changed: bool) -> float | None:
        if not step.poll:
            self._poll.pop(key, None)
            return step.requeue_after
        interval = FIRST_POLL if changed else min(self._poll.get(key, FIRST_POLL) * 2, MAX_POLL)
        self._poll[key] = interval
        return interval if step.requeue_after is None else min(interval, step.requeue_after)
