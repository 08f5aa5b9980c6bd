"""What a RayJob creates, as KubeRay builds it (pure): its RayCluster, the submitter (a batch/v1
Job, or a container in the head pod), the `ray job submit` command line, the dashboard request
of HTTPMode, and the RayJob's own head Service."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from kuberay.build.naming import DEFAULT_OPTIONS, BuildOptions, owner_reference
from kuberay.build.rayjob import names
from kuberay.build.service import build_head_service

_HEALTH_PATH = "api/gcs_healthz"
_HEALTH_TIMEOUT = 10
_SUBMITTER_RESOURCES = {
    "limits": {"cpu": "1", "memory": "1Gi"},
    "requests": {"cpu": "500m", "memory": "200Mi"},
}


def _head_container(cluster_spec: dict[str, Any]) -> dict[str, Any]:
    containers = cluster_spec["headGroupSpec"]["template"].get("spec", {}).get("containers") or [{}]
    return dict(containers[0])


def _dashboard_port(cluster_spec: dict[str, Any]) -> int:
    for port in _head_container(cluster_spec).get("ports") or []:
        if port.get("name") == names.DASHBOARD_PORT_NAME and port.get("containerPort"):
            return int(port["containerPort"])
    return names.DEFAULT_DASHBOARD_PORT


def runtime_env(job: dict[str, Any]) -> dict[str, Any] | None:
    text = names.spec(job).get("runtimeEnvYAML")
    if not text:
        return None
    parsed = yaml.safe_load(str(text))
    return parsed if isinstance(parsed, dict) else None


def _go_float(value: float) -> str:
    return f"{value:f}"  # Go's %f: six decimals


def submit_command(job: dict[str, Any], mode: str) -> list[str]:
    """KubeRay's BuildJobSubmitCommand: wait for the dashboard's GCS health, submit unless a job
    with this submission id exists (K8sJobMode, so a retried submitter pod does not submit twice),
    then follow the logs. SidecarMode submits to the head's own dashboard and waits instead."""
    spec, status = names.spec(job), names.status(job)
    if mode == "SidecarMode":
        port = _dashboard_port(spec["rayClusterSpec"])
        address = f"http://127.0.0.1:{port}"
        health = f"http://localhost:{port}/{_HEALTH_PATH}"
    else:
        address = str(status.get("dashboardURL") or "")
        if not address.startswith("http://"):
            address = "http://" + address
        health = f"{address}/{_HEALTH_PATH}"
    job_id = str(status.get("jobId") or "")
    probe = (
        'python -c "import urllib.request; '
        f"r=urllib.request.urlopen('{health}', timeout={_HEALTH_TIMEOUT}); "
        "exit(0 if b'success' in r.read() else 1)\""
    )
    cmd = ["until", probe, ">/dev/null", "2>&1", ";", "do", "echo"]
    cmd += [json.dumps(f"Waiting for Ray Dashboard GCS to become healthy at {address} ..."), ";"]
    cmd += ["sleep", "2", ";", "done", ";"]
    check_first = mode == "K8sJobMode"
    if check_first:
        cmd += [
            "if",
            "!",
            "ray",
            "job",
            "status",
            "--address",
            address,
            job_id,
            ">/dev/null",
            "2>&1",
            ";",
            "then",
        ]
    cmd += ["ray", "job", "submit", "--address", address]
    if check_first:
        cmd.append("--no-wait")
    env = runtime_env(job)
    if env:
        cmd += ["--runtime-env-json", json.dumps(json.dumps(env, separators=(",", ":")))]
    if spec.get("metadata"):
        cmd += ["--metadata-json", json.dumps(json.dumps(spec["metadata"], separators=(",", ":")))]
    if job_id:
        cmd += ["--submission-id", job_id]
    if (spec.get("entrypointNumCpus") or 0) > 0:
        cmd += ["--entrypoint-num-cpus", _go_float(float(spec["entrypointNumCpus"]))]
    if (spec.get("entrypointNumGpus") or 0) > 0:
        cmd += ["--entrypoint-num-gpus", _go_float(float(spec["entrypointNumGpus"]))]
    if spec.get("entrypointResources"):
        cmd += ["--entrypoint-resources", json.dumps(str(spec["entrypointResources"]))]
    cmd += ["--", str(spec.get("entrypoint") or "").strip(), ";"]
    if check_first:
        cmd += ["fi", ";", "ray", "job", "logs", "--address", address, "--follow", job_id]
    return cmd


def _configure(container: dict[str, Any], job: dict[str, Any], mode: str, options: BuildOptions) -> None:
    if not container.get("command") or mode == "SidecarMode":
        container["command"] = ["/bin/bash", "-cel" if options.enable_login_shell else "-ce", "--"]
        container["args"] = [" ".join(submit_command(job, mode))]
    status = names.status(job)
    container["env"] = [
        *(container.get("env") or []),
        {"name": "PYTHONUNBUFFERED", "value": "1"},
        {"name": "RAY_DASHBOARD_ADDRESS", "value": str(status.get("dashboardURL") or "")},
        {"name": "RAY_JOB_SUBMISSION_ID", "value": str(status.get("jobId") or "")},
    ]


def _default_container(cluster_spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": names.SUBMITTER_CONTAINER,
        "image": _head_container(cluster_spec).get("image", ""),
        "resources": copy.deepcopy(_SUBMITTER_RESOURCES),
    }


def build_cluster(
    job: dict[str, Any], cluster_name: str, options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """The RayCluster a RayJob runs on: its labels and annotations, KubeRay's origin labels, a
    controller reference to the RayJob, and in SidecarMode the submitter container in the head."""
    meta = job["metadata"]
    spec = names.spec(job)
    labels = {
        **(meta.get("labels") or {}),
        names.ORIGINATED_FROM_NAME_LABEL: names.name(job),
        names.ORIGINATED_FROM_CRD_LABEL: names.RAYJOB_CRD,
        names.SUBMISSION_MODE_LABEL: names.mode(job),
    }
    annotations = dict(meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    cluster_spec = copy.deepcopy(spec["rayClusterSpec"])
    if names.mode(job) == "SidecarMode":
        annotations[names.DISABLE_HEAD_RESTART_ANNOTATION] = "true"
        sidecar = _default_container(cluster_spec)
        _configure(sidecar, job, "SidecarMode", options)
        pod_spec = cluster_spec["headGroupSpec"]["template"].setdefault("spec", {})
        pod_spec["containers"] = [*pod_spec.get("containers", []), sidecar]
        pod_spec["restartPolicy"] = "Never"
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {
            "name": cluster_name,
            "namespace": names.namespace(job),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [owner_reference(job)],
        },
        "spec": cluster_spec,
    }


def build_submitter_job(
    job: dict[str, Any], cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """The K8sJobMode submitter: a batch/v1 Job named after the RayJob, backoffLimit from
    submitterConfig (2 by default), its pod from submitterPodTemplate or KubeRay's default."""
    spec = names.spec(job)
    template = copy.deepcopy(spec.get("submitterPodTemplate")) or {
        "spec": {"containers": [_default_container(cluster["spec"])], "restartPolicy": "Never"}
    }
    _configure(template["spec"]["containers"][0], job, "K8sJobMode", options)
    tmeta = template.setdefault("metadata", {})
    tmeta["labels"] = {**(tmeta.get("labels") or {}), **names.owned_labels(job)}
    backoff = (spec.get("submitterConfig") or {}).get("backoffLimit")
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": names.name(job),
            "namespace": names.namespace(job),
            "labels": names.owned_labels(job),
            "ownerReferences": [owner_reference(job)],
        },
        "spec": {
            "backoffLimit": names.DEFAULT_SUBMITTER_BACKOFF_LIMIT if backoff is None else backoff,
            "template": template,
        },
    }


def build_job_head_service(
    job: dict[str, Any], cluster: dict[str, Any], options: BuildOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """KubeRay's BuildHeadServiceForRayJob: the cluster's head Service under the stable name
    `<rayjob>-head-svc`, owned by the RayJob, so it outlives the clusters of retries."""
    svc = build_head_service(cluster, options)
    svc["metadata"]["name"] = names.head_service_name(job)
    svc["metadata"]["namespace"] = names.namespace(job)
    svc["metadata"]["labels"] = {
        names.ORIGINATED_FROM_NAME_LABEL: names.name(job),
        names.ORIGINATED_FROM_CRD_LABEL: names.RAYJOB_CRD,
        "ray.io/node-type": "head",
        "ray.io/identifier": f"{names.name(job)}-head",
    }
    svc["metadata"]["ownerReferences"] = [owner_reference(job)]
    return svc


def http_submission(job: dict[str, Any]) -> dict[str, Any]:
    """The body of `POST /api/jobs/` (KubeRay's ConvertRayJobToReq; empty fields left out)."""
    spec, status = names.spec(job), names.status(job)
    body: dict[str, Any] = {"entrypoint": str(spec.get("entrypoint") or "")}
    if status.get("jobId"):
        body["submission_id"] = status["jobId"]
    if spec.get("metadata"):
        body["metadata"] = dict(spec["metadata"])
    env = runtime_env(job)
    if env:
        body["runtime_env"] = env
    if spec.get("entrypointNumCpus"):
        body["entrypoint_num_cpus"] = float(spec["entrypointNumCpus"])
    if spec.get("entrypointNumGpus"):
        body["entrypoint_num_gpus"] = float(spec["entrypointNumGpus"])
    if spec.get("entrypointResources"):
        body["entrypoint_resources"] = json.loads(str(spec["entrypointResources"]))
    return body
