"""The RayService reconcile, one step at a time (pure).

`step(service, observed)` is KubeRay's RayService Reconcile with the I/O taken out. Given the
RayService and what the operator observed (its RayClusters, their head pods and serving pods, its
head and serve Services, each asked cluster's Serve applications and head proxy health), it returns
the new status and the actions to take: create the pending cluster, PUT serveConfigV2, label head
pods, point both Services at the cluster that is ready, delete clusters no longer needed after
`rayClusterDeletionDelaySeconds`, and events. Statuses, conditions, reasons and events follow
KubeRay v1.5 (with `suspend` as the shared CRD's KubeRay has it).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kuberay.api import rayservice_types as t
from kuberay.api.rayservice_validation import parse_serve_config, validate_rayservice
from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions
from kuberay.build.rayjob.plan import Create, Delete, Warn
from kuberay.build.rayservice import names, objects
from kuberay.build.rayservice.serve import ServeAnswer, all_running, app_statuses, needs_put

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
REQUEUE_SECONDS = 2.0  # KubeRay's ServiceDefaultRequeueDuration
SUSPENDING = "Suspending"
SUSPENDED = "Suspended"


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class Observed:
    now: datetime
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)  # this RayService's clusters
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)  # cluster -> its head pod
    pods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # cluster -> its pods
    head_service: dict[str, Any] | None = None  # `<name>-head-svc`
    serve_service: dict[str, Any] | None = None  # `<name>-serve-svc`
    serve: dict[str, ServeAnswer] = field(default_factory=dict)  # cluster -> what Serve said
    proxy_healthy: dict[str, bool] = field(default_factory=dict)  # cluster -> head proxy health
    submitted: dict[str, str] = field(default_factory=dict)  # cluster -> serveConfigV2 last PUT
    deletion_due: dict[str, datetime] = field(default_factory=dict)  # cluster -> when to delete
    suffix: str = "xxxxx"  # random letters for a new cluster's name


# -- actions (Create, Delete and Warn are the RayJob plan's) -------------------------------------------


@dataclass(frozen=True)
class UpdateCluster:
    """Replace a serving cluster's spec, labels and annotations (worker groups were appended)."""

    obj: dict[str, Any]
    ok: tuple[str, str]
    failed: tuple[str, str]


@dataclass(frozen=True)
class PointService:
    """Point an existing Service at another cluster: its new spec (clusterIP kept)."""

    name: str
    spec: dict[str, Any]
    ok: tuple[str, str]
    failed: tuple[str, str]


@dataclass(frozen=True)
class LabelPod:
    name: str
    value: str
    ok: tuple[str, str]
    failed: tuple[str, str]


@dataclass(frozen=True)
class PutServe:
    cluster: str
    config: dict[str, Any]  # the JSON body
    text: str  # serveConfigV2 as written, remembered once the PUT worked
    reason: str


@dataclass(frozen=True)
class ScheduleDeletion:
    cluster: str
    at: datetime


Action = Create | Delete | UpdateCluster | PointService | LabelPod | PutServe | ScheduleDeletion | Warn


@dataclass
class Step:
    status: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    requeue_after: float | None = None  # a cluster is due for deletion then
    poll: bool = False  # look again (Serve's health has no watch): every REQUEUE_SECONDS or slower
    # clusters whose Serve applications and head proxy the actor should ask about next time
    ask: tuple[str, ...] = ()


# -- helpers ----------------------------------------------------------------------------------------


def upgrade_type(service: dict[str, Any]) -> str:
    return str((names.spec(service).get("upgradeStrategy") or {}).get("type") or t.NEW_CLUSTER)


def deletion_delay(service: dict[str, Any]) -> float:
    value = names.spec(service).get("rayClusterDeletionDelaySeconds")
    return float(value) if isinstance(value, int) and value >= 0 else float(t.DEFAULT_DELETION_DELAY_SECONDS)


def set_condition(
    status: dict[str, Any], type_: str, value: str, reason: str, message: str, now: str
) -> None:
    """meta.SetStatusCondition, with the RayService's observedGeneration."""
    conditions: list[dict[str, Any]] = status.setdefault("conditions", [])
    generation = status.get("observedGeneration")
    for cond in conditions:
        if cond["type"] == type_:
            if cond.get("status") != value:
                cond["lastTransitionTime"] = now
            cond.update(status=value, reason=reason, message=message)
            if generation is not None:
                cond["observedGeneration"] = generation
            return
    cond = {"type": type_, "status": value, "reason": reason, "message": message, "lastTransitionTime": now}
    if generation is not None:
        cond["observedGeneration"] = generation
    conditions.append(cond)


def condition_true(status: dict[str, Any], type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True" for c in status.get("conditions") or [])


def _pod_ready(pod: dict[str, Any]) -> bool:
    st = pod.get("status") or {}
    return st.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or []
    )


def head_ready(observed: Observed, cluster: str) -> bool:
    head = observed.heads.get(cluster)
    return head is not None and _pod_ready(head)


def serving_pods(pods: list[dict[str, Any]]) -> int:
    """What the serve Service's endpoints hold: pods labelled ray.io/serve=true that are ready."""
    return sum(
        1
        for p in pods
        if (p["metadata"].get("labels") or {}).get(names.SERVE_LABEL) == "true"
        and not p["metadata"].get("deletionTimestamp")
        and _pod_ready(p)
    )


def should_prepare_new_cluster(
    service: dict[str, Any], active: dict[str, Any] | None, pending: dict[str, Any] | None
) -> bool:
    """KubeRay's shouldPrepareNewCluster (without its `isPendingClusterServing` case)."""
    if active is None and pending is None:
        return True
    cluster = pending if pending is not None else active
    assert cluster is not None
    if objects.same_spec(service, cluster) or objects.only_groups_added(service, cluster):
        return False
    return upgrade_type(service) != t.NONE


def _should_update(
    service: dict[str, Any], cluster: dict[str, Any] | None, *, active: bool, st: dict[str, Any]
) -> bool:
    """KubeRay's shouldUpdateCluster: worker groups were appended, nothing else changed. The active
    cluster is left alone while an upgrade runs."""
    if cluster is None or (active and condition_true(st, t.UPGRADE_IN_PROGRESS)):
        return False
    return not objects.same_spec(service, cluster) and objects.only_groups_added(service, cluster)


# -- the step ---------------------------------------------------------------------------------------


def serve_targets(service: dict[str, Any], observed: Observed) -> tuple[str, ...]:
    """The clusters whose Serve applications this step reconciles: the pending cluster when there
    is one; else the active one, unless a new cluster is about to be prepared."""
    st = names.status(service)
    active_name = (st.get("activeServiceStatus") or {}).get("rayClusterName") or ""
    pending_name = (st.get("pendingServiceStatus") or {}).get("rayClusterName") or ""
    active = observed.clusters.get(active_name) if active_name else None
    pending = observed.clusters.get(pending_name) if pending_name else None
    if pending is not None:
        return (pending_name,)
    if active is not None and not should_prepare_new_cluster(service, active, None):
        return (active_name,)
    return ()


def step(service: dict[str, Any], observed: Observed, options: BuildOptions = DEFAULT_OPTIONS) -> Step:
    old = names.status(service)
    status = copy.deepcopy(old)
    now = fmt(observed.now)
    out = Step(status=status)
    managed = names.spec(service).get("managedBy")
    if managed and managed != names.OPERATOR_NAME:
        return out  # e.g. Kueue's MultiKueue runs it elsewhere: not a write, not a look

    findings = validate_rayservice(service)
    if findings:
        message = "; ".join(str(p) for _, p in findings)
        for reason, problem in findings:
            out.actions.append(Warn(reason, f"{names.namespace(service)}/{names.name(service)}: {problem}"))
        status["observedGeneration"] = service["metadata"].get("generation")
        set_condition(status, t.READY, "False", t.REASON_VALIDATION_FAILED, message, now)
        status["serviceStatus"] = ""
        return out

    if _suspend(service, observed, out, now):
        return out
    _cleanup(service, observed, out)

    st = status
    active_st: dict[str, Any] = st.setdefault("activeServiceStatus", {})
    pending_st: dict[str, Any] = st.setdefault("pendingServiceStatus", {})
    active_name = active_st.get("rayClusterName") or ""
    pending_name = pending_st.get("rayClusterName") or ""
    active = observed.clusters.get(active_name) if active_name else None
    pending = observed.clusters.get(pending_name) if pending_name else None
    ns = names.namespace(service)

    if pending_name and pending is None:
        obj = objects.build_cluster(service, pending_name, options)
        out.actions.append(
            Create(
                obj,
                (names.CREATED_CLUSTER, f"Created the RayCluster {ns}/{pending_name}"),
                (names.FAILED_CREATE_CLUSTER, f"Failed to create the RayCluster {ns}/{pending_name}"),
            )
        )
        pending = obj  # what it will be: the rest of this step must not name another one
    for cluster, is_active in ((active, True), (pending, False)):
        if cluster is not None and _should_update(service, cluster, active=is_active, st=st):
            cname = names.name(cluster)
            goal = objects.build_cluster(service, cname, options)
            updated = copy.deepcopy(cluster)
            updated["spec"] = {**goal["spec"], "suspend": cluster["spec"].get("suspend")}
            if updated["spec"]["suspend"] is None:
                updated["spec"].pop("suspend")
            updated["metadata"]["labels"] = goal["metadata"]["labels"]
            updated["metadata"]["annotations"] = goal["metadata"]["annotations"]
            out.actions.append(
                UpdateCluster(
                    updated,
                    (names.UPDATED_CLUSTER, f"Updated the RayCluster {ns}/{cname}"),
                    (names.FAILED_UPDATE_CLUSTER, f"Failed to update the RayCluster {ns}/{cname}"),
                )
            )

    exclude_head = bool(names.spec(service).get("excludeHeadPodFromServeSvc"))
    for cluster in (active, pending):
        if cluster is not None:
            _label_head(observed, names.name(cluster), exclude_head, out)

    # Serve applications: the pending cluster's, or the active one's when nothing is pending.
    ready = {}
    apps: dict[str, dict[str, Any] | None] = {active_name: None, pending_name: None}
    for cname in serve_targets(service, observed):
        ready[cname], apps[cname] = _reconcile_serve(service, observed, cname, out)
    out.ask = tuple(c for c in (active_name, pending_name) if c and c in observed.clusters)

    # Both Services follow the pending cluster once it is ready, else stay on the active one.
    head_svc, serve_svc = observed.head_service, observed.serve_service
    if ready.get(pending_name) or ready.get(active_name):
        target = pending if ready.get(pending_name) else active
        assert target is not None
        head_svc = _point(service, target, observed.head_service, "head", options, out)
        serve_svc = _point(service, target, observed.serve_service, "serve", options, out)

    # Status.
    st["observedGeneration"] = service["metadata"].get("generation")
    active_st["rayClusterStatus"] = copy.deepcopy((active or {}).get("status") or {})
    pending_st["rayClusterStatus"] = copy.deepcopy((pending or {}).get("status") or {})
    _set_apps(active_st, apps.get(active_name), active_name, observed)
    _set_apps(pending_st, apps.get(pending_name), pending_name, observed)

    pending_serving = False
    if head_svc is not None and serve_svc is not None:
        points_to = objects.selected_cluster(serve_svc)
        pending_serving = bool(pending_name) and points_to == pending_name
        if points_to and points_to != active_name and points_to == pending_name:
            st["activeServiceStatus"] = active_st = pending_st
            st["pendingServiceStatus"] = pending_st = {}
            active_name, pending_name = points_to, ""
    if not pending_serving and should_prepare_new_cluster(service, active, pending):
        new_name = names.generated_name(names.name(service), observed.suffix)
        st["pendingServiceStatus"] = pending_st = {"rayClusterName": new_name}

    serving_cluster = objects.selected_cluster(serve_svc)
    st["numServeEndpoints"] = serving_pods(observed.pods.get(serving_cluster, [])) if serve_svc else 0
    _conditions(st, now)
    st["serviceStatus"] = t.SERVICE_RUNNING if condition_true(st, t.READY) else ""
    _drop_empty_service_statuses(st)
    out.poll = True
    return out


def _drop_empty_service_statuses(st: dict[str, Any]) -> None:
    for key in ("activeServiceStatus", "pendingServiceStatus"):
        sub = st.get(key) or {}
        for k in [k for k, v in sub.items() if v in ({}, None, "")]:
            sub.pop(k)
        st[key] = sub
    if not st.get("numServeEndpoints"):
        st.pop("numServeEndpoints", None)
    if not st.get("serviceStatus"):
        st.pop("serviceStatus", None)


def _set_apps(sub: dict[str, Any], apps: dict[str, Any] | None, cluster: str, observed: Observed) -> None:
    if apps is not None:
        sub["applicationStatuses"] = apps
    elif not cluster or cluster not in observed.clusters or not head_ready(observed, cluster):
        sub.pop("applicationStatuses", None)
    # else: the dashboard did not answer this time; the last known statuses stay


def _reconcile_serve(
    service: dict[str, Any], observed: Observed, cluster: str, out: Step
) -> tuple[bool, dict[str, Any] | None]:
    """(ready to take traffic, application statuses or None when unknown) for one cluster, and
    the PUT of serveConfigV2 when the cluster does not have it."""
    answer = observed.serve.get(cluster)
    if not head_ready(observed, cluster) or answer is None:
        return False, None
    if answer.error is not None:
        return False, None
    text = str(names.spec(service).get("serveConfigV2") or "")
    if text.strip():
        config = parse_serve_config(text)
        if isinstance(config, dict):
            reason = needs_put(answer, text, config, observed.submitted.get(cluster))
            if reason:
                body = json.loads(json.dumps(config, default=str))
                out.actions.append(PutServe(cluster, body, text, reason))
    return all_running(answer), app_statuses(answer)


def _label_head(observed: Observed, cluster: str, exclude_head: bool, out: Step) -> None:
    """ray.io/serve on the head pod follows its Serve proxy's health (workers' readiness probes
    check theirs); never "true" with excludeHeadPodFromServeSvc."""
    head = observed.heads.get(cluster)
    if head is None:
        return
    value = "false" if exclude_head else str(observed.proxy_healthy.get(cluster, False)).lower()
    if (head["metadata"].get("labels") or {}).get(names.SERVE_LABEL) == value:
        return
    ns = head["metadata"].get("namespace") or "default"
    pod = head["metadata"]["name"]
    out.actions.append(
        LabelPod(
            pod,
            value,
            (
                names.UPDATED_HEAD_SERVE_LABEL,
                f'Updated the serve label to "{value}" for the Head Pod {ns}/{pod}',
            ),
            (
                names.FAILED_UPDATE_HEAD_SERVE_LABEL,
                f'Failed to update the serve label to "{value}" for the Head Pod {ns}/{pod}',
            ),
        )
    )


def _point(
    service: dict[str, Any],
    cluster: dict[str, Any],
    existing: dict[str, Any] | None,
    which: str,
    options: BuildOptions,
    out: Step,
) -> dict[str, Any] | None:
    """Create the Service, or point it at `cluster` when it points elsewhere; the Service as it
    will be."""
    try:
        if which == "head":
            wanted = objects.build_head_service_for(service, cluster, options)
        else:
            wanted = objects.build_serve_service_for(service, cluster)
    except ValueError as err:
        out.actions.append(Warn(names.FAILED_CREATE_SERVICE, str(err)))
        return existing
    ns, name = names.namespace(service), wanted["metadata"]["name"]
    if existing is None:
        out.actions.append(
            Create(
                wanted,
                (names.CREATED_SERVICE, f"Created the service {ns}/{name}"),
                (names.FAILED_CREATE_SERVICE, f"Failed to create the service {ns}/{name}"),
            )
        )
        return wanted
    if objects.selected_cluster(existing) == names.name(cluster):
        return existing
    spec = dict(wanted["spec"])
    cluster_ip = (existing.get("spec") or {}).get("clusterIP")
    if cluster_ip:
        spec["clusterIP"] = cluster_ip  # immutable
    out.actions.append(
        PointService(
            name,
            spec,
            (names.UPDATED_SERVICE, f"Updated the service {ns}/{name}"),
            (names.FAILED_UPDATE_SERVICE, f"Failed to update the service {ns}/{name}"),
        )
    )
    return {**existing, "spec": {**(existing.get("spec") or {}), **spec}}


def _cleanup(service: dict[str, Any], observed: Observed, out: Step) -> None:
    """KubeRay's cleanUpRayClusterInstance: a cluster that is neither active nor pending is deleted
    `rayClusterDeletionDelaySeconds` after it was first seen so (60 s by default)."""
    st = names.status(service)
    keep = {
        (st.get("activeServiceStatus") or {}).get("rayClusterName"),
        (st.get("pendingServiceStatus") or {}).get("rayClusterName"),
    }
    ns = names.namespace(service)
    for cname, cluster in observed.clusters.items():
        if cname in keep or cluster["metadata"].get("deletionTimestamp"):
            continue
        due = observed.deletion_due.get(cname)
        if due is None:
            # As KubeRay: scheduled now, deleted by a later step (even with a delay of 0).
            due = observed.now + timedelta(seconds=deletion_delay(service))
            out.actions.append(ScheduleDeletion(cname, due))
            _requeue(out, deletion_delay(service))
        elif observed.now >= due:
            out.actions.append(
                Delete(
                    "ray.io/v1",
                    "RayCluster",
                    cname,
                    (names.DELETED_CLUSTER, f"Deleted the RayCluster {ns}/{cname}"),
                    (names.FAILED_DELETE_CLUSTER, f"Failed to delete the RayCluster {ns}/{cname}"),
                )
            )
        else:
            _requeue(out, (due - observed.now).total_seconds())


def _requeue(out: Step, seconds: float) -> None:
    seconds = max(seconds, 0.05)
    out.requeue_after = seconds if out.requeue_after is None else min(out.requeue_after, seconds)


def _suspend(service: dict[str, Any], observed: Observed, out: Step, now: str) -> bool:
    """KubeRay's suspend state machine: Suspending (delete every cluster and both Services), then
    Suspended; back to initializing when `suspend` is false again. True when it owns this step."""
    st = out.status
    suspending = condition_true(st, SUSPENDING)
    suspended = condition_true(st, SUSPENDED)
    wants = bool(names.spec(service).get("suspend"))
    if suspended:
        if wants:
            return True
        st["observedGeneration"] = service["metadata"].get("generation")
        set_condition(
            st, SUSPENDED, "False", "RayServiceResumed", "Spec.Suspend is false; RayService has resumed.", now
        )
        message = "RayService is initializing after resuming from suspend."
        for type_ in (t.READY, t.UPGRADE_IN_PROGRESS):
            st["conditions"] = [c for c in st["conditions"] if c["type"] != type_]
            set_condition(st, type_, "False", t.REASON_INITIALIZING, message, now)
        out.poll = True
        return True
    if not suspending:
        if not wants:
            return False
        st["observedGeneration"] = service["metadata"].get("generation")
        set_condition(
            st,
            SUSPENDING,
            "True",
            "SuspendRequested",
            "Spec.Suspend is true; will delete all Kubernetes resources owned by this RayService.",
            now,
        )
        set_condition(st, t.READY, "False", "SuspendInProgress", "RayService is suspending.", now)
        set_condition(st, t.UPGRADE_IN_PROGRESS, "False", "SuspendInProgress", "No upgrade in progress.", now)
        st["activeServiceStatus"] = {}
        st["pendingServiceStatus"] = {}
        st.pop("numServeEndpoints", None)
        st.pop("serviceStatus", None)
        out.poll = True
        return True
    # Suspending is recorded: delete what the RayService owns, whatever spec.suspend says now.
    ns = names.namespace(service)
    remaining = False
    for cname, cluster in observed.clusters.items():
        remaining = True
        if not cluster["metadata"].get("deletionTimestamp"):
            out.actions.append(
                Delete(
                    "ray.io/v1",
                    "RayCluster",
                    cname,
                    (names.DELETED_CLUSTER, f"Deleted the RayCluster {ns}/{cname} during suspend"),
                    (
                        names.FAILED_DELETE_CLUSTER,
                        f"Failed to delete the RayCluster {ns}/{cname} during suspend",
                    ),
                )
            )
    for svc in (observed.head_service, observed.serve_service):
        if svc is not None:
            remaining = True
            sname = svc["metadata"]["name"]
            out.actions.append(
                Delete(
                    "v1",
                    "Service",
                    sname,
                    (names.DELETED_SERVICE, f"Deleted the Service {ns}/{sname} during suspend"),
                    (
                        names.FAILED_DELETE_SERVICE,
                        f"Failed to delete the Service {ns}/{sname} during suspend",
                    ),
                )
            )
    out.poll = True
    if remaining:
        set_condition(
            st,
            SUSPENDING,
            "True",
            "SuspendInProgress",
            "Waiting for all Kubernetes resources owned by this RayService to be deleted.",
            now,
        )
        return True
    done = "All owned resources have been deleted."
    set_condition(st, SUSPENDING, "False", t.REASON_SUSPENDED, done, now)
    set_condition(st, SUSPENDED, "True", t.REASON_SUSPENDED, done, now)
    set_condition(st, t.READY, "False", t.REASON_SUSPENDED, "RayService is suspended.", now)
    set_condition(st, t.UPGRADE_IN_PROGRESS, "False", t.REASON_SUSPENDED, "No upgrade in progress.", now)
    return True


def _conditions(st: dict[str, Any], now: str) -> None:
    """KubeRay's calculateConditions."""
    if not st.get("conditions"):
        message = "RayService is initializing"
        set_condition(st, t.READY, "False", t.REASON_INITIALIZING, message, now)
        set_condition(st, t.UPGRADE_IN_PROGRESS, "False", t.REASON_INITIALIZING, message, now)
    if st.get("numServeEndpoints", 0) > 0:
        set_condition(
            st,
            t.READY,
            "True",
            t.REASON_NONZERO_ENDPOINTS,
            "Number of serve endpoints is greater than 0",
            now,
        )
    elif condition_true(st, t.READY):
        set_condition(
            st, t.READY, "False", t.REASON_ZERO_ENDPOINTS, "Number of serve endpoints dropped to 0", now
        )
    active = (st.get("activeServiceStatus") or {}).get("rayClusterName")
    pending = (st.get("pendingServiceStatus") or {}).get("rayClusterName")
    if active and pending:
        set_condition(
            st,
            t.UPGRADE_IN_PROGRESS,
            "True",
            t.REASON_BOTH_CLUSTERS,
            "Both active and pending Ray clusters exist",
            now,
        )
    elif active:
        set_condition(
            st,
            t.UPGRADE_IN_PROGRESS,
            "False",
            t.REASON_NO_PENDING,
            "Active Ray cluster exists and no pending Ray cluster",
            now,
        )
    else:
        cond = next((c for c in st["conditions"] if c["type"] == t.UPGRADE_IN_PROGRESS), None)
        if cond is None or cond.get("reason") != t.REASON_INITIALIZING:
            set_condition(
                st,
                t.UPGRADE_IN_PROGRESS,
                "Unknown",
                t.REASON_NO_ACTIVE,
                "No active Ray cluster exists, and the RayService is not initializing.",
                now,
            )
