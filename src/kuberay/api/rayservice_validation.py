"""Semantic validation of a RayService: what its schema cannot express (pure, never raises).

KubeRay's ValidateRayServiceMetadata/Spec rules, plus what KubeRay only trips over later: a
`serveConfigV2` that is not a YAML mapping (KubeRay fails each PUT), and the Gateway-API upgrade
type, which needs what this operator does not provide. Each finding names the field and the fix.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from kuberay.api.rayservice_types import INCREMENTAL, UPGRADE_TYPES
from kuberay.api.validation import Problem, validate_raycluster

# A RayCluster name is at most 53 characters; the RayService's clusters are `<name>-xxxxx`.
MAX_RAYSERVICE_NAME_LENGTH = 47
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

INVALID_METADATA = "InvalidRayServiceMetadata"
INVALID_SPEC = "InvalidRayServiceSpec"

Finding = tuple[str, Problem]  # (event reason, problem)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _metadata(meta: dict[str, Any]) -> list[Problem]:
    name = str(meta.get("name") or "")
    if len(name) > MAX_RAYSERVICE_NAME_LENGTH:
        return [
            Problem(
                "metadata.name",
                f"RayService name should be no more than {MAX_RAYSERVICE_NAME_LENGTH} characters",
                "Use a shorter name: its RayClusters are named after it with a 6-character suffix.",
            )
        ]
    if not _DNS1035.match(name):
        return [
            Problem(
                "metadata.name",
                "RayService name should be a valid DNS1035 label",
                "Use lower-case letters, digits and '-', starting with a letter.",
            )
        ]
    return []


INITIALIZING_TIMEOUT_ANNOTATION = "ray.io/initializing-timeout"


def _annotations(meta: dict[str, Any]) -> list[Problem]:
    if INITIALIZING_TIMEOUT_ANNOTATION in _dict(meta.get("annotations")):
        return [
            Problem(
                f"metadata.annotations[{INITIALIZING_TIMEOUT_ANNOTATION}]",
                "the initializing timeout (a RayService failed for good when not ready in time) is "
                "not provided by this operator",
                "Remove the annotation; watch the Ready condition instead.",
            )
        ]
    return []


def parse_serve_config(text: str) -> dict[str, Any] | str:
    """`serveConfigV2` as the mapping Ray Serve's REST API takes, or why it is not one."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        return f"serveConfigV2 is not valid YAML: {str(err).splitlines()[0]}"
    if not isinstance(value, dict):
        return f"serveConfigV2 must be a YAML mapping (with `applications:`), got {type(value).__name__}"
    apps = value.get("applications")
    if apps is not None and not (isinstance(apps, list) and all(isinstance(a, dict) for a in apps)):
        return "serveConfigV2.applications must be a list of applications"
    return value


def _spec(service: dict[str, Any], spec: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    cluster_spec = spec.get("rayClusterConfig")
    if not isinstance(cluster_spec, dict):
        return [Problem("spec.rayClusterConfig", "the RayService has no rayClusterConfig", "Add one.")]
    head_service = _dict(_dict(cluster_spec.get("headGroupSpec")).get("headService"))
    if _dict(head_service.get("metadata")).get("name"):
        problems.append(
            Problem(
                "spec.rayClusterConfig.headGroupSpec.headService.metadata.name",
                "spec.rayClusterConfig.headGroupSpec.headService.metadata.name should not be set",
                "Remove the name: the RayService names its head Service `<name>-head-svc`.",
            )
        )
    upgrade = _dict(spec.get("upgradeStrategy")).get("type")
    if upgrade is not None and upgrade not in UPGRADE_TYPES:
        problems.append(
            Problem(
                "spec.upgradeStrategy.type",
                f"Spec.UpgradeStrategy.Type value {upgrade} is invalid, valid options are "
                f"{INCREMENTAL}, NewCluster, or None",
                "Use NewCluster (the default) or None.",
            )
        )
    elif upgrade == INCREMENTAL:
        problems.append(
            Problem(
                "spec.upgradeStrategy.type",
                f"{INCREMENTAL} needs the Gateway API and KubeRay's RayServiceIncrementalUpgrade "
                "feature gate, which this operator does not provide",
                "Use NewCluster (the default): traffic switches once the new cluster is ready.",
            )
        )
    if _dict(spec.get("upgradeStrategy")).get("clusterUpgradeOptions") is not None and upgrade != INCREMENTAL:
        problems.append(
            Problem(
                "spec.upgradeStrategy.clusterUpgradeOptions",
                "clusterUpgradeOptions only configure NewClusterWithIncrementalUpgrade, which this "
                "operator does not provide",
                "Remove clusterUpgradeOptions.",
            )
        )
    delay = spec.get("rayClusterDeletionDelaySeconds")
    if isinstance(delay, int) and delay < 0:
        problems.append(
            Problem(
                "spec.rayClusterDeletionDelaySeconds",
                f"Spec.RayClusterDeletionDelaySeconds should be a non-negative integer, got {delay}",
                "Use 0 or more seconds.",
            )
        )
    config = spec.get("serveConfigV2")
    if isinstance(config, str) and config.strip():
        parsed = parse_serve_config(config)
        if isinstance(parsed, str):
            problems.append(Problem("spec.serveConfigV2", parsed, "Give Ray Serve's config file as YAML."))
    meta = _dict(service.get("metadata"))
    stand_in = {
        "metadata": {"name": "rayservice-cluster", "namespace": meta.get("namespace") or "default"},
        "spec": cluster_spec,
    }
    problems.extend(
        Problem("spec.rayClusterConfig" + p.path.removeprefix("spec"), p.message, p.fix)
        for p in validate_raycluster(stand_in)
        if p.path.startswith("spec")
    )
    return problems


def validate_rayservice(service: dict[str, Any]) -> list[Finding]:
    """Every reason this RayService cannot run; empty when it is fine."""
    if not isinstance(service, dict):
        return [(INVALID_SPEC, Problem("", "a RayService must be an object", "Submit a manifest."))]
    meta = _dict(service.get("metadata"))
    findings: list[Finding] = [(INVALID_METADATA, p) for p in _metadata(meta) + _annotations(meta)]
    spec = service.get("spec")
    if not isinstance(spec, dict):
        return [*findings, (INVALID_SPEC, Problem("spec", "the RayService has no spec", "Add a spec."))]
    findings.extend((INVALID_SPEC, p) for p in _spec(service, spec))
    return findings
