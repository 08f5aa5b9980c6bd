"""Events as kube-controller-manager posts them (`kubectl describe` shows them); best effort."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from kubeschema.timestamps import format_time
from localkube.client.apiclient import ApiClient, ApiError
from localkube.controllers import podutil

log = logging.getLogger(__name__)


def api_message(e: ApiError) -> str:
    """The API's own wording (`pods "x-" is forbidden: ...`), as the controllers report it."""
    return str(e.body.get("message", "")) if isinstance(e.body, dict) else str(e.body)


def event(obj: dict[str, Any], component: str, type_: str, reason: str, message: str) -> dict[str, Any]:
    meta = podutil.meta(obj)
    stamp = format_time(podutil.now_utc())
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": meta.get("namespace")},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": component},
        "reportingComponent": component,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


async def post(
    client: ApiClient, obj: dict[str, Any], component: str, type_: str, reason: str, message: str
) -> None:
    body = event(obj, component, type_, reason, message)
    try:
        await client.create(f"/api/v1/namespaces/{body['metadata']['namespace']}/events", body)
    except (ApiError, OSError) as e:  # an event must never fail a sync
        log.debug("event %s for %s: %s", reason, podutil.meta(obj).get("name"), e)
