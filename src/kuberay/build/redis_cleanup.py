"""GCS fault tolerance's Redis cleanup on deletion, as KubeRay does it (pure).

A RayCluster whose GCS keeps its state in Redis gets the finalizer below; when the cluster is
deleted, its pods go first (the GCS must stop writing), then a Job deletes the cluster's storage
namespace in Redis, and the finalizer is removed once that Job finished, either way. A Job that
never finishes does not hold the cluster forever: past a timeout the finalizer is removed anyway,
with a Warning event saying the storage namespace may need manual cleanup.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from kuberay.build import command, naming
from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions
from kuberay.build.pods import build_head_pod, is_gcs_ft_enabled

FINALIZER = "ray.io/gcs-ft-redis-cleanup-finalizer"
DELETION_TIMEOUT_ANNOTATION = "ray.io/gcs-ft-deletion-timeout"
DEFAULT_DELETION_TIMEOUT = 300.0  # seconds, KubeRay's RAYCLUSTER_GCS_FT_DELETION_TIMEOUT_DEFAULT
REDIS_CLEANUP_NODE = "redis-cleanup"  # the ray.io/node-type of the Job and its pod
ACTIVE_DEADLINE_SECONDS = 300  # the Job is best effort for 5 minutes
# KubeRay's requeue periods while it waits: for the head pod to go, and for the Job.
HEAD_GONE_REQUEUE = 10.0
REQUEUE = 2.0

_MANUAL = "https://docs.ray.io/en/master/cluster/kubernetes/user-guides/kuberay-gcs-ft.html"


def is_embedded(cluster: dict[str, Any]) -> bool:
    """The GCS keeps its state in the head pod (RocksDB): there is no Redis to clean."""
    options = cluster["spec"].get("gcsFaultToleranceOptions") or {}
    return options.get("backend") == "rocksdb"


def wants_cleanup(cluster: dict[str, Any], enabled: bool) -> bool:
    """Whether this cluster carries the finalizer (`enabled`: ENABLE_GCS_FT_REDIS_CLEANUP)."""
    return enabled and is_gcs_ft_enabled(cluster) and not is_embedded(cluster)


def has_finalizer(cluster: dict[str, Any]) -> bool:
    return FINALIZER in (cluster["metadata"].get("finalizers") or [])


def job_name(cluster: dict[str, Any]) -> str:
    """`<cluster>-redis-cleanup`, keeping the last 63 characters as KubeRay's TrimJobName does."""
    name = f"{naming.cluster_name(cluster)}-redis-cleanup"[-63:]
    return "r" + name[1:] if not name[0].isalnum() else name


def job_selector(cluster: dict[str, Any]) -> dict[str, str]:
    return {naming.CLUSTER_LABEL: naming.cluster_name(cluster), naming.NODE_TYPE_LABEL: REDIS_CLEANUP_NODE}


def deletion_timeout(cluster: dict[str, Any]) -> float:
    """Seconds from deletion to forcing the finalizer off: the annotation if a positive integer."""
    raw = (cluster["metadata"].get("annotations") or {}).get(DELETION_TIMEOUT_ANNOTATION, "")
    try:
        seconds = int(raw)
    except ValueError:
        return DEFAULT_DELETION_TIMEOUT
    return float(seconds) if seconds > 0 else DEFAULT_DELETION_TIMEOUT


def deleted_for(cluster: dict[str, Any], now: dt.datetime) -> float:
    stamp = cluster["metadata"].get("deletionTimestamp")
    if not stamp:
        return 0.0
    deleted = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return (now - deleted).total_seconds()


def job_outcome(job: dict[str, Any]) -> str | None:
    """ "Complete" or "Failed" once the Job finished (FailureTarget counts as Failed: it comes
    before Failed when activeDeadlineSeconds passes), else None."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "Failed"):
            return str(condition["type"])
        if condition.get("type") == "FailureTarget":
            return "Failed"
    return None


def _cleanup_script(with_username: bool) -> str:
    username = "username=os.getenv('REDIS_USERNAME', parsed.username), " if with_username else ""
    return (
        f'echo "To get more information about manually deleting the storage namespace in Redis and '
        f"removing the RayCluster's finalizer, please check {_MANUAL} for more details.\" && "
        'python -c "from ray._private.gcs_utils import cleanup_redis_storage; '
        "from urllib.parse import urlparse; import os; import sys; "
        "redis_address = os.getenv('RAY_REDIS_ADDRESS', '').split(',')[0]; "
        "redis_address = redis_address if '://' in redis_address else 'redis://' + redis_address; "
        "parsed = urlparse(redis_address); "
        "sys.exit(1) if not cleanup_redis_storage(host=parsed.hostname, port=parsed.port, "
        f"{username}password=os.getenv('REDIS_PASSWORD', parsed.password or ''), "
        "use_ssl=parsed.scheme=='rediss', "
        "storage_namespace=os.getenv('RAY_external_storage_namespace')) else None\""
    )


def build_redis_cleanup_job(
    cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """KubeRay's Redis cleanup Job: the head pod reduced to its Ray container, which runs Ray's
    cleanup_redis_storage for the cluster's storage namespace, once, within 5 minutes."""
    pod = build_head_pod(cluster, options)
    meta = pod["metadata"]
    meta["labels"][naming.NODE_TYPE_LABEL] = REDIS_CLEANUP_NODE
    spec = pod["spec"]
    ray = spec["containers"][0]
    spec["containers"] = [ray]
    # the cleanup pod's IP is in no head certificate: that init container would only time out
    spec["initContainers"] = [
        c for c in spec.get("initContainers") or [] if c.get("name") != "wait-for-tls-ip-san"
    ]
    if not spec["initContainers"]:
        del spec["initContainers"]
    env = ray.setdefault("env", [])
    with_username = any(e.get("name") == "REDIS_USERNAME" for e in env)
    ray["command"] = command.container_shell(options)
    ray["args"] = [_cleanup_script(with_username)]
    # no raylet, no GCS here: nothing for probes to check
    ray.pop("livenessProbe", None)
    ray.pop("readinessProbe", None)
    # Ray's Redis client retries for at least 60 s before the cleanup gives up
    env.append({"name": "RAY_redis_db_connect_retries", "value": "120"})
    env.append({"name": "RAY_redis_db_connect_wait_milliseconds", "value": "500"})
    fixed = {"cpu": "200m", "memory": "256Mi"}  # constant work, and never a GPU
    ray["resources"] = {"limits": dict(fixed), "requests": dict(fixed)}
    spec["restartPolicy"] = "Never"  # a Job's pod may not restart Always
    template_meta = {k: copy.deepcopy(v) for k, v in meta.items() if k in ("labels", "annotations")}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cluster),
            "namespace": naming.cluster_namespace(cluster),
            "labels": copy.deepcopy(meta["labels"]),
            "annotations": copy.deepcopy(meta.get("annotations") or {}),
            "ownerReferences": [naming.owner_reference(cluster)],
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
            "template": {"metadata": template_meta, "spec": spec},
        },
    }
