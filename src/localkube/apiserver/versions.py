"""One stored object, several served shapes: custom resources at each served version; Events,
which core/v1 and events.k8s.io/v1 serve from the same storage under different field names; and
HorizontalPodAutoscalers, stored as autoscaling/v2 and served as v1 too. Objects are stored in
their storage shape; `present` gives the shape a request asked for. Pure."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localkube.apiserver import hpaversions
from localkube.apiserver import schema as schemas
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


def event_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_EVENT_FIELDS.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = CORE_EVENTS_API
    return out


def event_from_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_CORE_FIELDS.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = f"{NEW_EVENTS}/v1"
    return out


@dataclass(frozen=True)
class Conversion:
    """A built-in kind served at a group/version other than the one it is stored in."""

    group: str  # where it is stored
    version: str
    to_storage: Callable[[dict[str, Any]], dict[str, Any]]
    from_storage: Callable[[dict[str, Any]], dict[str, Any]]


_CONVERSIONS = {
    (NEW_EVENTS, "v1", "Event"): Conversion("", CORE_EVENTS_API, event_to_core, event_from_core),
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): Conversion(
        "autoscaling", "v2", hpaversions.v1_to_v2, hpaversions.v2_to_v1
    ),
}


def conversion(info: ResourceInfo) -> Conversion | None:
    """How `info`'s objects convert to and from their storage shape, if it is another one."""
    return None if info.custom else _CONVERSIONS.get((info.group, info.version, info.kind))


def present(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """The stored `obj` as `info`'s group/version shows it (the same dict when nothing changes)."""
    if obj.get("apiVersion") == info.api_version:
        return obj
    conv = conversion(info)
    if conv is not None:
        return conv.from_storage(obj)
    shown = {**obj, "apiVersion": info.api_version}
    if info.custom and info.schema:
        # a custom resource read in another version is that version's: pruned by its schema and
        # given its defaults, as apiextensions-apiserver converts it
        shown = copy.deepcopy(shown)
        schemas.prune(shown, info.schema)
        schemas.apply_defaults(shown, info.schema)
    return shown


def to_storage(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """A request's object in the shape it is stored in."""
    conv = conversion(info)
    return obj if conv is None else conv.to_storage(obj)
