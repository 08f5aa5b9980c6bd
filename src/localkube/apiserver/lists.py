"""LIST: selectors, pagination (limit/continue) and resourceVersion semantics."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localkube.apiserver import codec, errors, gojson, selectors, versions
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.store import Reads, TooOld, dumps

_COMMON = ("metadata.name", "metadata.namespace")

Matcher = Callable[[dict[str, Any]], bool]


def supported_fields(info: ResourceInfo) -> tuple[str, ...]:
    return _COMMON + info.strategy.field_selectors


def unsupported_field(info: ResourceInfo, label: str) -> str:
    """kube-apiserver's words for a field selector the kind cannot answer: its own field label
    conversion's (custom resources: apiextensions' converter), else apimachinery's default."""
    if info.strategy.field_selectors or info.custom:
        return info.strategy.field_label_error.format(label=label)
    return f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'


def _event_source(obj: Mapping[str, Any]) -> str:
    return str((obj.get("source") or {}).get("component", ""))


def matcher(info: ResourceInfo, label_selector: str | None, field_selector: str | None) -> Matcher | None:
    """A predicate for the selectors, or None when there is nothing to filter; 400 on bad syntax."""
    try:
        labels = selectors.parse_label_selector(label_selector) if label_selector else None
        fields = (
            selectors.parse_field_selector(
                field_selector, supported_fields(info), lambda label: unsupported_field(info, label)
            )
            if field_selector
            else None
        )
    except selectors.SelectorError as e:
        raise errors.bad_request(str(e)) from e
    if labels is None and fields is None:
        return None

    def match(obj: dict[str, Any]) -> bool:
        if labels is not None and not labels.matches((obj.get("metadata") or {}).get("labels") or {}):
            return False
        if fields is not None:
            view = obj
            if info.kind == "Event" and "source" in obj and isinstance(obj.get("source"), dict):
                view = {**obj, "source": _event_source(obj)}
            return fields.matches(view)
        return True

    if versions.conversion(info) is not None:
        # a version with its own field names selects on them (events.k8s.io Events are stored as
        # core/v1 Events, autoscaling/v1 HPAs as v2)
        core_match = match
        return lambda obj: core_match(versions.present(info, obj))
    return match


@dataclass(frozen=True)
class Continue:
    rv: int
    start: str  # the last key served: "namespace/name"


def encode_continue(token: Continue) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": token.rv, "start": token.start}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_continue(why: object) -> errors.APIError:
    return errors.bad_request(f"invalid continue token: continue key is not valid: {why}")


def decode_continue(text: str) -> Continue:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as e:
        raise _invalid_continue(e) from e
    malformed = gojson.syntax_error(raw)
    if malformed:  # in Go's words, as kube-apiserver's
        raise _invalid_continue(malformed)
    try:
        data = json.loads(raw)
        return Continue(int(data["rv"]), str(data["start"]))
    except (ValueError, KeyError, TypeError) as e:
        raise _invalid_continue(e) from e


def parse_rv(text: str | None) -> int | None:
    if text in (None, ""):
        return None
    try:
        value = int(str(text))
        if value < 0:
            raise ValueError
        return value
    except ValueError as e:
        raise errors.bad_request(
            f'resourceVersion: Invalid value: "{text}": must be a non-negative integer'
        ) from e


def _too_large_rv(rv: int, current: int) -> errors.APIError:
    return errors.APIError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {rv}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


def _check_timeout(text: str | None) -> None:
    """timeoutSeconds is an int64 in ListOptions: anything else is 400, as its decoding fails."""
    if text is None:
        return
    try:
        int(text)
    except ValueError as e:
        raise errors.bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax') from e


def _typed_prefixes(info: ResourceInfo) -> tuple[bytes, bytes]:
    kind, version = dumps(info.kind), dumps(info.api_version)
    return (
        b'{"apiVersion":' + version + b',"kind":' + kind + b",",
        b'{"kind":' + kind + b',"apiVersion":' + version + b",",
    )


def _untyped(raw: bytes, prefixes: tuple[bytes, bytes]) -> bytes:
    """An item of a built-in kind's list without its kind and apiVersion, as kube-apiserver encodes
    it (the list names them once); cut from the stored bytes when they lead, as they nearly always do."""
    for prefix in prefixes:
        if raw.startswith(prefix):
            return b"{" + raw[len(prefix) :]
    return dumps(_without_type(codec.loads(raw)))


def _without_type(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def item(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """An object as an item of a list kube-apiserver writes: a built-in kind's leaves out its kind
    and apiVersion (the list names them once), a custom resource keeps them."""
    return obj if info.custom else _without_type(obj)


def build_list(
    store: Reads, info: ResourceInfo, ns: str | None, params: Mapping[str, str], typed_items: bool = True
) -> bytes:
    """The list as JSON. `typed_items=False` leaves each item's kind and apiVersion out, as
    kube-apiserver serves a built-in kind's list (a custom resource's items keep theirs)."""
    match = matcher(info, params.get("labelSelector"), params.get("fieldSelector"))
    limit_text = params.get("limit") or "0"
    try:
        limit = max(int(limit_text), 0)
    except ValueError as e:
        raise errors.bad_request(f"limit: Invalid value: {limit_text!r}") from e
    rv_match = params.get("resourceVersionMatch") or ""
    rv = parse_rv(params.get("resourceVersion"))
    token = decode_continue(params["continue"]) if params.get("continue") else None
    if token is not None and rv not in (None, 0):
        raise errors.bad_request("specifying resource version is not allowed when using continue")
    if rv_match and rv_match not in ("NotOlderThan", "Exact"):
        raise errors.bad_request(
            f'resourceVersionMatch: Unsupported value: "{rv_match}": supported values: '
            '"Exact", "NotOlderThan"'
        )
    if rv_match and rv is None:
        raise errors.bad_request(
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
            "resourceVersion is provided"
        )
    _check_timeout(params.get("timeoutSeconds"))
    at = token.rv if token is not None else (rv if rv_match == "Exact" else None)
    objects: list[dict[str, Any]]
    raws: list[bytes | None]
    newest = at if at is not None else rv
    if newest is not None and newest > store.rv:
        # "not older than" a version the server has not reached: kube-apiserver waits briefly for
        # it, then answers this; here every write is already visible, so there is nothing to await
        raise _too_large_rv(newest, store.rv)
    if at is not None and at != store.rv:
        try:
            objects = store.items_at(info.storage_key, ns, at)
        except TooOld as e:
            if token is not None:
                raise errors.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can "
                    "start a new list without the continue parameter, or use the continue token in this "
                    "response to retrieve the remainder of the results. Continuing with the provided token "
                    "results in an inconsistent list - objects that were created, modified, or deleted "
                    "between the time the first chunk was returned and now may show up in the list."
                ) from e
            raise errors.expired(str(e)) from e
        raws = [None] * len(objects)
        list_rv = at
    else:
        stored = store.items(info.storage_key, ns)
        objects = [s.obj for s in stored]
        raws = [s.raw for s in stored]
        list_rv = store.rv
    start = 0
    if token is not None:
        keys = [f"{(o['metadata'].get('namespace') or '')}/{o['metadata']['name']}" for o in objects]
        import bisect

        start = bisect.bisect_right(keys, token.start)
    out: list[bytes] = []
    untyped = None if typed_items or info.custom else _typed_prefixes(info)
    last = ""
    more = 0
    for i in range(start, len(objects)):
        obj = objects[i]
        if match is not None and not match(obj):
            continue
        if limit and len(out) >= limit:
            more = sum(1 for o in objects[i:] if match is None or match(o))
            break
        raw = raws[i]
        if raw is None or obj.get("apiVersion") != info.api_version:
            raw = dumps(versions.present(info, obj))
        out.append(raw if untyped is None else _untyped(raw, untyped))
        last = f"{obj['metadata'].get('namespace') or ''}/{obj['metadata']['name']}"
    meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
    if info.custom:
        # a custom resource's list is unstructured there, and its continue is set even when empty
        meta["continue"] = ""
    if more:
        meta["continue"] = encode_continue(Continue(list_rv, last))
        if match is None:  # with a selector kube-apiserver cannot count what is left without reading it
            meta["remainingItemCount"] = more
    head = dumps({"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta})
    return head[:-1] + b',"items":[' + b",".join(out) + b"]}"
