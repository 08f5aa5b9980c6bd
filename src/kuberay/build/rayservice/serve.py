"""Ray Serve's REST API, seen from the operator (pure): the application statuses of
`GET /api/serve/applications/`, and whether `serveConfigV2` must be PUT again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kuberay.api.rayservice_types import APP_RUNNING
from kuberay.build.rayservice import names

# serveConfigV2's options of the whole Serve instance, which Ray reports beside the applications
INSTANCE_OPTIONS = ("proxy_location", "http_options", "grpc_options")


@dataclass(frozen=True)
class ServeAnswer:
    """What the dashboard said; `error` when it could not be asked or answered nonsense."""

    applications: dict[str, Any] = field(default_factory=dict)  # Ray's `applications` object
    error: str | None = None
    # the Serve instance's own options as Ray reports them (http_options, grpc_options, ...)
    instance: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_api(body: Any) -> ServeAnswer:
        if not isinstance(body, dict):
            return ServeAnswer(error=f"unexpected answer: {str(body)[:200]}")
        apps = body.get("applications") or {}
        if not isinstance(apps, dict):
            return ServeAnswer(error="`applications` is not an object")
        instance = {k: body[k] for k in INSTANCE_OPTIONS if body.get(k) is not None}
        return ServeAnswer(applications=apps, instance=instance)


def app_statuses(answer: ServeAnswer) -> dict[str, dict[str, Any]]:
    """KubeRay's applicationStatuses: per application its status, message and deployments'."""
    out: dict[str, dict[str, Any]] = {}
    for app_name, app in answer.applications.items():
        app = app if isinstance(app, dict) else {}
        deployments = {
            dep_name: _drop_empty({"status": dep.get("status"), "message": dep.get("message")})
            for dep_name, dep in (app.get("deployments") or {}).items()
            if isinstance(dep, dict)
        }
        status = _drop_empty({"status": app.get("status"), "message": app.get("message")})
        status["serveDeploymentStatuses"] = deployments
        out[app_name or names.DEFAULT_APP_NAME] = status
    return out


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "")}


def all_running(answer: ServeAnswer) -> bool:
    """The cluster may take traffic: some applications, every one RUNNING (KubeRay's isReady)."""
    apps = answer.applications
    return bool(apps) and all(isinstance(a, dict) and a.get("status") == APP_RUNNING for a in apps.values())


def _contains(have: Any, want: Any) -> bool:
    """`have` holds everything `want` says (Ray adds its defaults to what it reports)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_contains(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return False
        if all(isinstance(w, dict) and "name" in w for w in want):
            by_name = {h.get("name"): h for h in have if isinstance(h, dict)}
            return all(_contains(by_name.get(w["name"]), w) for w in want)
        return all(_contains(h, w) for h, w in zip(have, want, strict=True))
    if isinstance(want, int | float) and isinstance(have, int | float) and not isinstance(want, bool):
        return float(have) == float(want)
    return bool(have == want)


def deployed_matches(answer: ServeAnswer, config: dict[str, Any]) -> bool:
    """Ray reports every application of `config`, each deployed with what `config` asks, and the
    instance options `config` sets (a change of `http_options` alone is a change too)."""
    if not all(_contains(answer.instance.get(k), config[k]) for k in INSTANCE_OPTIONS if k in config):
        return False
    wanted = config.get("applications") or []
    reported = {
        (app.get("deployed_app_config") or {}).get("name", app_name): app.get("deployed_app_config")
        for app_name, app in answer.applications.items()
        if isinstance(app, dict)
    }
    if {a.get("name", names.DEFAULT_APP_NAME) for a in wanted} != set(reported):
        return False
    return all(_contains(reported.get(a.get("name", names.DEFAULT_APP_NAME)), a) for a in wanted)


def needs_put(answer: ServeAnswer, config_text: str, config: dict[str, Any], submitted: str | None) -> str:
    """Why `serveConfigV2` must be PUT to this cluster now ("" when it must not).

    KubeRay compares with the config it cached at its last PUT; that cache dies with the
    operator, so a restarted operator would PUT again to every cluster. Here what the cluster
    reports decides when nothing was PUT by this process, and a config already PUT is not PUT
    again unless the cluster lost its applications (its head restarted without GCS FT)."""
    if answer.error is not None:
        return ""
    if not answer.applications:
        return "No Serve application found in the RayCluster (a new head, or one that restarted)."
    if submitted is not None:
        return "" if submitted == config_text else "Current V2 Serve config doesn't match the one submitted."
    if deployed_matches(answer, config):
        return ""
    return "The Serve applications the cluster reports differ from serveConfigV2."
