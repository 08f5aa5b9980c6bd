"""The operator's writes to the Kubernetes API, counted.

Reads never come here: they come from the watch-fed cache. Every call is counted by verb and
resource so the cost of a reconcile is visible in metrics and benchmarks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from kubernetes_asyncio import client

from kuberay import metrics


class KubeError(Exception):
    """A non-2xx answer, with the Status that Kubernetes sent."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def already_exists(self) -> bool:
        return self.status == 409 and self.reason == "AlreadyExists"


# (apiVersion, kind) -> (path prefix, plural). Only the kinds this operator writes.
_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "Pod"): ("/api/v1", "pods"),
    ("v1", "Service"): ("/api/v1", "services"),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts"),
    ("v1", "Secret"): ("/api/v1", "secrets"),
    ("networking.k8s.io/v1", "Ingress"): ("/apis/networking.k8s.io/v1", "ingresses"),
    ("v1", "Event"): ("/api/v1", "events"),
    ("rbac.authorization.k8s.io/v1", "Role"): ("/apis/rbac.authorization.k8s.io/v1", "roles"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"),
    ("ray.io/v1", "RayCluster"): ("/apis/ray.io/v1", "rayclusters"),
    ("ray.io/v1", "RayJob"): ("/apis/ray.io/v1", "rayjobs"),
    ("ray.io/v1", "RayService"): ("/apis/ray.io/v1", "rayservices"),
    ("batch/v1", "Job"): ("/apis/batch/v1", "jobs"),
    ("coordination.k8s.io/v1", "Lease"): ("/apis/coordination.k8s.io/v1", "leases"),
}


def _path(
    api_version: str, kind: str, namespace: str, name: str | None = None, sub: str | None = None
) -> str:
    prefix, plural = _ROUTES[(api_version, kind)]
    path = f"{prefix}/namespaces/{quote(namespace)}/{plural}"
    if name is not None:
        path += "/" + quote(name)
    if sub is not None:
        path += "/" + sub
    return path


@dataclass
class KubeAPI:
    api: client.ApiClient
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)

    async def raw(
        self, method: str, path: str, resource: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, dict[str, Any]]:
        """One request; returns the status code and the decoded body, whatever the code."""
        self.calls[(method, resource)] += 1
        response = await self.api.call_api(
            path,
            method,
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )
        try:
            raw = await response.read()
            status = int(response.status)
        finally:
            response.release()
        metrics.API_REQUESTS.labels(verb=method, resource=resource, code=str(status)).inc()
        try:
            payload: dict[str, Any] = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"message": raw[:200].decode(errors="replace")}
        return status, payload

    async def _request(
        self, method: str, path: str, resource: str, body: Any = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        status, payload = await self.raw(method, path, resource, body, content_type)
        if not 200 <= status < 300:
            raise KubeError(status, str(payload.get("reason", "")), str(payload.get("message", payload)))
        return payload

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        ns = obj["metadata"]["namespace"]
        path = _path(obj["apiVersion"], obj["kind"], ns)
        return await self._request("POST", path, obj["kind"], obj)

    async def delete(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        *,
        uid: str | None = None,
        background: bool = False,
    ) -> None:
        """Delete; with `uid`, only that incarnation (a same-named newer object is left alone);
        `background` also deletes its dependents (a batch Job's default would orphan its pods)."""
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if uid:
            body["preconditions"] = {"uid": uid}
        if background:
            body["propagationPolicy"] = "Background"
        await self._request("DELETE", _path(api_version, kind, namespace, name), kind, body)

    async def merge_patch(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        patch: dict[str, Any],
        sub: str | None = None,
    ) -> dict[str, Any]:
        path = _path(api_version, kind, namespace, name, sub)
        resource = kind if sub is None else f"{kind}/{sub}"
        return await self._request("PATCH", path, resource, patch, "application/merge-patch+json")

    async def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        path = _path(obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
        return await self._request("PUT", path, obj["kind"], obj)

    async def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        return await self._request("GET", _path(api_version, kind, namespace, name), kind)
