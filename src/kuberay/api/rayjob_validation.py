"""Semantic validation of a RayJob: what its schema cannot express (pure, never raises).

KubeRay's ValidateRayJobMetadata/Spec/Status rules, plus the inputs KubeRay would only trip over
later (an unknown submissionMode, no entrypoint where one is submitted, a malformed
entrypointResources, both a rayClusterSpec and a clusterSelector). Each finding carries the
event reason KubeRay uses for its group and a Problem naming the field and the fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from kuberay.api.rayjob_types import SUBMISSION_MODES
from kuberay.api.validation import Problem, validate_raycluster

MAX_RAYJOB_NAME_LENGTH = 47  # the cluster gets `<name>-xxxxx`, at most 53 characters
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

INVALID_METADATA = "InvalidRayJobMetadata"
INVALID_SPEC = "InvalidRayJobSpec"
INVALID_STATUS = "InvalidRayJobStatus"

Finding = tuple[str, Problem]  # (event reason, problem)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _metadata(meta: dict[str, Any]) -> list[Problem]:
    name = str(meta.get("name") or "")
    if len(name) > MAX_RAYJOB_NAME_LENGTH:
        return [
            Problem(
                "metadata.name",
                f"RayJob name should be no more than {MAX_RAYJOB_NAME_LENGTH} characters",
                "Use a shorter name: the RayCluster is named after it with a 6-character suffix.",
            )
        ]
    if not _DNS1035.match(name):
        return [
            Problem(
                "metadata.name",
                "RayJob name should be a valid DNS1035 label",
                "Use lower-case letters, digits and '-', starting with a letter.",
            )
        ]
    return []


def _int(spec: dict[str, Any], key: str) -> int | None:
    value = spec.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _deletion(spec: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    shutdown = bool(spec.get("shutdownAfterJobFinishes"))
    ttl = _int(spec, "ttlSecondsAfterFinished") or 0
    if ttl < 0:
        out.append(
            Problem(
                "spec.ttlSecondsAfterFinished", "must be a non-negative integer", "Use 0 or more seconds."
            )
        )
    if not shutdown and ttl > 0:
        out.append(
            Problem(
                "spec.ttlSecondsAfterFinished",
                "a RayJob with shutdownAfterJobFinishes set to false cannot have TTLSecondsAfterFinished",
                "Set spec.shutdownAfterJobFinishes: true, or remove ttlSecondsAfterFinished.",
            )
        )
    strategy = spec.get("deletionStrategy")
    if strategy is None:
        return out
    strategy = _dict(strategy)
    legacy = strategy.get("onSuccess") is not None or strategy.get("onFailure") is not None
    rules = strategy.get("deletionRules") or []
    where = "spec.deletionStrategy"
    if rules and shutdown:
        out.append(
            Problem(
                where + ".deletionRules",
                "spec.shutdownAfterJobFinishes and spec.deletionStrategy.deletionRules are "
                "mutually exclusive",
                "Remove shutdownAfterJobFinishes, or the deletionRules.",
            )
        )
    if rules and legacy:
        out.append(
            Problem(
                where,
                "cannot use both legacy onSuccess/onFailure fields and deletionRules simultaneously",
                "Keep either onSuccess+onFailure or deletionRules.",
            )
        )
    elif legacy:
        for key in ("onSuccess", "onFailure"):
            if not _dict(strategy.get(key)).get("policy"):
                out.append(
                    Problem(
                        f"{where}.{key}.policy",
                        "the legacy deletion strategy needs a policy for both onSuccess and onFailure",
                        "Set a policy (DeleteCluster, DeleteWorkers, DeleteSelf or DeleteNone).",
                    )
                )
    elif not rules:
        out.append(
            Problem(
                where,
                "DeletionStrategy requires either BOTH onSuccess and onFailure, OR the deletionRules field",
                "Add onSuccess and onFailure, or deletionRules.",
            )
        )
    selector = bool(spec.get("clusterSelector"))
    autoscaling = bool(_dict(spec.get("rayClusterSpec")).get("enableInTreeAutoscaling"))
    seen: set[tuple[str, str, str]] = set()
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        rule = _dict(rule)
        cond = _dict(rule.get("condition"))
        policy = str(rule.get("policy") or "")
        path = f"{where}.deletionRules[{i}]"
        has_js, has_jds = cond.get("jobStatus") is not None, cond.get("jobDeploymentStatus") is not None
        if has_js == has_jds:
            out.append(
                Problem(
                    path + ".condition",
                    "exactly one of jobStatus and jobDeploymentStatus must be set",
                    "Keep one of the two.",
                )
            )
            continue
        if selector and policy in ("DeleteCluster", "DeleteWorkers"):
            out.append(
                Problem(
                    path + ".policy",
                    f"DeletionPolicyType '{policy}' not supported when ClusterSelector is set",
                    "An existing cluster is never deleted by a RayJob: use DeleteSelf or DeleteNone.",
                )
            )
        if autoscaling and policy == "DeleteWorkers":
            out.append(
                Problem(
                    path + ".policy",
                    "DeletionPolicyType 'DeleteWorkers' not supported with autoscaling enabled",
                    "Use DeleteCluster, or turn off enableInTreeAutoscaling.",
                )
            )
        rule_key = (
            "js" if has_js else "jds",
            str(cond.get("jobStatus") or cond.get("jobDeploymentStatus")),
            policy,
        )
        if rule_key in seen:
            out.append(
                Problem(
                    path, f"duplicate rule for DeletionPolicyType '{policy}' and {rule_key[1]}", "Remove one."
                )
            )
        seen.add(rule_key)
    return out


def _selector_and_mode(spec: dict[str, Any], mode: str) -> list[Problem]:
    out: list[Problem] = []
    selector = _dict(spec.get("clusterSelector"))
    has_cluster = spec.get("rayClusterSpec") is not None
    backoff = _int(spec, "backoffLimit") or 0
    if selector and has_cluster:
        out.append(
            Problem(
                "spec.clusterSelector",
                "both rayClusterSpec and clusterSelector are set",
                "Keep rayClusterSpec to get a new cluster, or clusterSelector to use an existing one.",
            )
        )
    if not selector and not has_cluster:
        out.append(
            Problem(
                "spec.rayClusterSpec",
                "one of RayClusterSpec or ClusterSelector must be set",
                "Add a rayClusterSpec, or a clusterSelector naming an existing RayCluster.",
            )
        )
    if selector:
        if not selector.get("ray.io/cluster"):
            out.append(
                Problem(
                    "spec.clusterSelector",
                    "cluster name in ClusterSelector should not be empty",
                    "Set clusterSelector: {ray.io/cluster: <RayCluster name>}.",
                )
            )
        if spec.get("suspend"):
            out.append(
                Problem(
                    "spec.suspend",
                    "the ClusterSelector mode doesn't support the suspend operation",
                    "Remove suspend.",
                )
            )
        if mode == "SidecarMode":
            out.append(
                Problem(
                    "spec.clusterSelector",
                    "ClusterSelector is not supported in SidecarMode",
                    "Use K8sJobMode or HTTPMode.",
                )
            )
        if backoff > 0:
            out.append(
                Problem(
                    "spec.backoffLimit",
                    "BackoffLimit is incompatible with ClusterSelector mode",
                    "Remove backoffLimit.",
                )
            )
    if mode == "InteractiveMode" and backoff > 0:
        out.append(
            Problem(
                "spec.backoffLimit",
                "BackoffLimit is incompatible with InteractiveMode",
                "Remove backoffLimit.",
            )
        )
    if mode == "SidecarMode":
        for key in ("submitterPodTemplate", "submitterConfig"):
            if spec.get(key) is not None:
                out.append(
                    Problem(
                        f"spec.{key}",
                        f"SidecarMode doesn't support {key}",
                        f"Remove {key}, or use K8sJobMode.",
                    )
                )
        head_spec = _dict(
            _dict(_dict(_dict(spec.get("rayClusterSpec")).get("headGroupSpec")).get("template")).get("spec")
        )
        if head_spec.get("restartPolicy") not in (None, "", "Never"):
            out.append(
                Problem(
                    "spec.rayClusterSpec.headGroupSpec.template.spec.restartPolicy",
                    "restartPolicy for head Pod should be Never or unset when using SidecarMode",
                    "Remove restartPolicy or set it to Never.",
                )
            )
    return out


def _own_submitter(spec: dict[str, Any]) -> bool:
    """A submitterPodTemplate whose container has its own command submits by itself (KubeRay then
    leaves the command alone, as in the light-weight submitter sample)."""
    containers = _dict(_dict(spec.get("submitterPodTemplate")).get("spec")).get("containers")
    return isinstance(containers, list) and bool(containers) and bool(_dict(containers[0]).get("command"))


def _values(spec: dict[str, Any], mode: str) -> list[Problem]:
    out: list[Problem] = []
    if mode not in SUBMISSION_MODES:
        out.append(
            Problem(
                "spec.submissionMode",
                f"unknown submissionMode {mode!r}",
                "Use one of " + ", ".join(SUBMISSION_MODES) + ".",
            )
        )
    elif (
        mode != "InteractiveMode"
        and not str(spec.get("entrypoint") or "").strip()
        and not _own_submitter(spec)
    ):
        out.append(
            Problem(
                "spec.entrypoint",
                f"an entrypoint is required in {mode}",
                "Set spec.entrypoint to the command to run, e.g. `python script.py`.",
            )
        )
    if spec.get("suspend") and not spec.get("shutdownAfterJobFinishes"):
        out.append(
            Problem(
                "spec.suspend",
                "a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended",
                "Set spec.shutdownAfterJobFinishes: true.",
            )
        )
    for key, least in (("activeDeadlineSeconds", 1), ("preRunningDeadlineSeconds", 1), ("backoffLimit", 0)):
        value = _int(spec, key)
        if value is not None and value < least:
            kind = "a positive" if least else "a non-negative"
            out.append(Problem(f"spec.{key}", f"{key} must be {kind} integer, not {value}", "Fix the value."))
    runtime_env = spec.get("runtimeEnvYAML")
    if runtime_env:
        try:
            parsed = yaml.safe_load(str(runtime_env))
        except yaml.YAMLError as err:
            parsed = err
        if not isinstance(parsed, dict):
            out.append(
                Problem(
                    "spec.runtimeEnvYAML",
                    "runtimeEnvYAML is not a YAML mapping",
                    "Write it as a mapping, e.g. `env_vars: {A: b}`.",
                )
            )
    resources = spec.get("entrypointResources")
    if resources:
        try:
            parsed_resources = json.loads(str(resources))
        except ValueError:
            parsed_resources = None
        if not isinstance(parsed_resources, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in parsed_resources.values()
        ):
            out.append(
                Problem(
                    "spec.entrypointResources",
                    "entrypointResources must be a JSON object of resource name to number",
                    "Write it as e.g. '{\"Custom_1\": 1}'.",
                )
            )
    return out


def _cluster_spec(job: dict[str, Any], spec: dict[str, Any]) -> list[Problem]:
    cluster_spec = spec.get("rayClusterSpec")
    if not isinstance(cluster_spec, dict):
        return []
    meta = _dict(job.get("metadata"))
    if str(_dict(cluster_spec.get("authOptions")).get("mode") or "") == "token" and _dict(
        cluster_spec.get("authOptions")
    ).get("enableK8sTokenAuth"):
        return [
            Problem(
                "spec.rayClusterSpec.authOptions.enableK8sTokenAuth",
                "K8s token auth mode is currently not supported for RayJob",
                "Remove enableK8sTokenAuth.",
            )
        ]
    stand_in = {
        "metadata": {"name": "rayjob-cluster", "namespace": meta.get("namespace") or "default"},
        "spec": cluster_spec,
    }
    return [
        Problem("spec.rayClusterSpec" + p.path.removeprefix("spec"), p.message, p.fix)
        for p in validate_raycluster(stand_in)
        if p.path.startswith("spec")
    ]


def validate_rayjob(job: dict[str, Any]) -> list[Finding]:
    """Every reason this RayJob cannot run; empty when it is fine."""
    if not isinstance(job, dict):
        return [(INVALID_SPEC, Problem("", "a RayJob must be an object", "Submit a RayJob manifest."))]
    findings: list[Finding] = [(INVALID_METADATA, p) for p in _metadata(_dict(job.get("metadata")))]
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return [*findings, (INVALID_SPEC, Problem("spec", "the RayJob has no spec", "Add a spec."))]
    mode = str(spec.get("submissionMode") or "K8sJobMode")
    for problem in (
        _values(spec, mode) + _deletion(spec) + _selector_and_mode(spec, mode) + _cluster_spec(job, spec)
    ):
        findings.append((INVALID_SPEC, problem))
    status = _dict(job.get("status"))
    if status.get("jobDeploymentStatus") == "Waiting" and mode != "InteractiveMode":
        findings.append(
            (
                INVALID_STATUS,
                Problem(
                    "status.jobDeploymentStatus",
                    "JobDeploymentStatus cannot be `Waiting` when SubmissionMode is not InteractiveMode",
                    "Clear the status (the operator recomputes it).",
                ),
            )
        )
    return findings
