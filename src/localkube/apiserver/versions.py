"""One stored object, several served shapes: custom resources at each served version, and Events,
which core/v1 and events.k8s.io/v1 serve from the same storage under different field names.
Objects are stored in their storage shape; `present` gives the shape a request asked for. Pure."""

from __future__ import annotations

from typing import Any

from localkube.apiserver.kinds import ResourceInfo

NEW_EVENTS = "events.k8s.io"
CORE_EVENTS_API = "v1"

# events.k8s.io/v1 field -> core/v1 field (k8s.io/kubernetes/pkg/apis/events/v1 conversion)
_EVENT_FIELDS = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}
_CORE_FIELDS = {v: k for k, v in _EVENT_FIELDS.items()}


def is_new_event(info: ResourceInfo) -> bool:
    return info.group == NEW_EVENTS and info.kind == "Event"


def event_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_EVENT_FIELDS.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = CORE_EVENTS_API
    return out


def event_from_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_CORE_FIELDS.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = f"{NEW_EVENTS}/v1"
    return out


def present(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """The stored `obj` as `info`'s group/version shows it (the same dict when nothing changes)."""
    if obj.get("apiVersion") == info.api_version:
        return obj
    if is_new_event(info):
        return event_from_core(obj)
    return {**obj, "apiVersion": info.api_version}


def to_storage(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """A request's object in the shape it is stored in."""
    return event_to_core(obj) if is_new_event(info) else obj
