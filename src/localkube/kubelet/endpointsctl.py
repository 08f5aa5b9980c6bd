"""The endpoints and endpointslice controllers: write each selector Service's Endpoints and
EndpointSlices when what the pods say differs from what the API holds. Each pass returns True when
a write lost a race (409/404) and another pass should follow once the watches catch up."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import key_of
from localkube.kubelet import endpoints

log = logging.getLogger(__name__)


def _selector_services(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in services if (s.get("spec") or {}).get("selector")]


async def sync_endpoints(
    client: ApiClient,
    services: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    current_endpoints: dict[str, dict[str, Any]],
) -> bool:
    again = False
    for svc in _selector_services(services):
        spec = svc.get("spec") or {}
        meta = svc.get("metadata") or {}
        ns, name = meta.get("namespace", "default"), meta["name"]
        subsets = endpoints.compute_subsets(svc, pods)
        current = current_endpoints.get(key_of(svc))
        if current is not None and endpoints.same_subsets(current.get("subsets"), subsets):
            continue
        labels = dict(meta.get("labels") or {})
        if spec.get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "subsets": subsets,
        }
        try:
            if current is None:
                await client.create(f"/api/v1/namespaces/{ns}/endpoints", body)
            else:
                body["metadata"]["resourceVersion"] = (current.get("metadata") or {}).get("resourceVersion")
                await client.put(f"/api/v1/namespaces/{ns}/endpoints/{name}", body)
        except ApiError as e:
            if e.status in (409, 404):
                again = True  # our cache was behind: the watch brings the news
            else:
                log.warning("endpoints %s/%s: %s", ns, name, e)
    return again


async def sync_slices(
    client: ApiClient,
    services: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    current_slices: dict[str, dict[str, Any]],
) -> bool:
    again = False
    wanted: set[str] = set()
    for svc in _selector_services(services):
        for desired in endpoints.compute_slices(svc, pods):
            meta = desired["metadata"]
            key = f"{meta['namespace']}/{meta['name']}"
            wanted.add(key)
            current = current_slices.get(key)
            if current is not None and endpoints.same_slice(current, desired):
                continue
            base = f"/apis/discovery.k8s.io/v1/namespaces/{meta['namespace']}/endpointslices"
            try:
                if current is None:
                    await client.create(base, desired)
                else:
                    meta["resourceVersion"] = (current.get("metadata") or {}).get("resourceVersion")
                    await client.put(f"{base}/{meta['name']}", desired)
            except ApiError as e:
                if e.status in (409, 404):
                    again = True
                else:
                    log.warning("endpointslice %s: %s", key, e)
    for key, obj in list(current_slices.items()):
        if key not in wanted:
            meta = obj.get("metadata") or {}
            with contextlib.suppress(ApiError):
                await client.delete(
                    f"/apis/discovery.k8s.io/v1/namespaces/{meta.get('namespace')}/endpointslices/{meta['name']}"
                )
    return again
