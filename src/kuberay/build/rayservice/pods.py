"""What KubeRay adds to the pods of a cluster a RayService created (pure), called by the pod
builder for clusters labelled `ray.io/originated-from-crd: RayService`.

- ray.io/serve: "true" on workers (their readiness probe decides whether they take requests),
  "false" on the head until the RayService controller finds its Serve proxy healthy.
- Workers' readiness probe also asks their Serve proxy (`/-/healthz` on the serve port), failing
  at the first miss, so a worker whose proxy is gone leaves the serve Service at once.
- Env vars that make Ray give up sooner on a lost node or GCS (KubeRay's serving SLA settings).
"""

from __future__ import annotations

from typing import Any

from kuberay.build.rayservice import names

_SERVE_ENV = (
    ("RAY_timeout_ms_task_wait_for_death_info", "0"),
    ("RAY_gcs_server_request_timeout_seconds", "5"),
    ("RAY_SERVE_KV_TIMEOUT_S", "5"),
)
_WGET = "wget --tries 1 -T {timeout} -q -O- http://localhost:{port}/{path} | grep success"
SERVE_READINESS_FAILURE_THRESHOLD = 1
PROXY_HEALTH_PATH = "-/healthz"


def is_serving_cluster(cluster: dict[str, Any]) -> bool:
    labels = (cluster.get("metadata") or {}).get("labels") or {}
    return labels.get(names.ORIGINATED_FROM_CRD_LABEL) == names.RAYSERVICE_CRD


def serve_port(container: dict[str, Any]) -> int:
    for port in container.get("ports") or []:
        if port.get("name") == names.SERVE_PORT_NAME:
            return int(port["containerPort"])
    return names.DEFAULT_SERVE_PORT


def add_serving(
    cluster: dict[str, Any], pod: dict[str, Any], node_type: str, *, probe_injected: bool
) -> None:
    """Layer KubeRay's RayService additions onto a built pod (in place); no-op for other clusters.
    `probe_injected`: the readiness probe is the operator's, not the user's."""
    if not is_serving_cluster(cluster):
        return
    labels = pod["metadata"].setdefault("labels", {})
    labels[names.SERVE_LABEL] = "false" if node_type == "head" else "true"
    ray = pod["spec"]["containers"][0]
    env = ray.setdefault("env", [])
    for name, value in _SERVE_ENV:
        if not any(e.get("name") == name for e in env):
            env.append({"name": name, "value": value})
    probe = ray.get("readinessProbe")
    if node_type == "head" or not probe_injected or probe is None:
        return
    checks = []
    if "exec" in probe:
        checks.append(probe["exec"]["command"][-1])
    elif "httpGet" in probe:
        port = probe["httpGet"]["port"]
        checks.append(_WGET.format(timeout=2, port=port, path="api/local_raylet_healthz"))
    checks.append(
        _WGET.format(
            timeout=probe.get("initialDelaySeconds", 10), port=serve_port(ray), path=PROXY_HEALTH_PATH
        )
    )
    probe.pop("httpGet", None)
    probe["exec"] = {"command": ["bash", "-c", " && ".join(checks)]}
    probe["failureThreshold"] = SERVE_READINESS_FAILURE_THRESHOLD
