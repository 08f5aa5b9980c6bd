"""WATCH: a chunked stream of JSON events, with initial events, bookmarks, timeouts and 410 Gone."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from localkube.apiserver import errors, lists, versions
from localkube.apiserver.fielderrors import FORBIDDEN, FieldError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.store import Event, Reads, TooOld, Watcher, dumps, event_line

BOOKMARK_FREQUENCY = 60.0  # kube-apiserver's watch cache: one bookmark a minute
BOOKMARK_BEFORE_TIMEOUT = 2.0  # ... and one 2 s before the watch times out, the freshest it can give
DEFAULT_TIMEOUT = (1800, 3600)  # the real server picks a random timeout in this range


def _truthy(value: str | None) -> bool:
    return value in ("true", "1", "True")


# Renders one object the way the client asked to see it (a Table row for `kubectl get -w`).
Render = Callable[[dict[str, Any]], dict[str, Any]]


def _line(info: ResourceInfo, type_: str, ev: Event, render: Render | None = None) -> bytes:
    if render is not None:
        return event_line(type_, dumps(render(ev.obj)))
    if ev.obj.get("apiVersion") != info.api_version:
        return event_line(type_, dumps(versions.present(info, ev.obj)))
    return event_line(type_, ev.raw)


def bookmark(info: ResourceInfo, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return (
        dumps(
            {
                "type": "BOOKMARK",
                "object": {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta},
            }
        )
        + b"\n"
    )


def next_bookmark(now: float, deadline: float) -> float | None:
    """When a watch's next bookmark is due, on kube-apiserver's schedule; None for no more.

    A client that reconnects after the timeout resumes from the last bookmark, so the one just
    before the deadline saves it a 410 on a busy server; a watch too short for it gets none.
    """
    due = min(now + BOOKMARK_FREQUENCY, deadline - BOOKMARK_BEFORE_TIMEOUT)
    return None if due < now else due


def _check_send_initial(rv_match: str | None, bookmarks: bool) -> None:
    """kube-apiserver's ListOptions validation of a watch that asks for its initial events."""
    why = "sendInitialEvents requires setting "
    if rv_match != "NotOlderThan":
        problem = FieldError("resourceVersionMatch", FORBIDDEN, why + "resourceVersionMatch to NotOlderThan")
    elif not bookmarks:  # kube-apiserver v1.37 names only the first of the two
        problem = FieldError("allowWatchBookmarks", FORBIDDEN, why + "allowWatchBookmarks to true")
    else:
        return
    raise errors.invalid("ListOptions", "meta.k8s.io", "", [problem])


async def serve(
    request: web.Request,
    store: Reads,
    info: ResourceInfo,
    ns: str | None,
    params: Mapping[str, str],
    render: Render | None = None,
) -> web.StreamResponse:
    match = lists.matcher(info, params.get("labelSelector"), params.get("fieldSelector"))
    rv = lists.parse_rv(params.get("resourceVersion"))
    bookmarks = _truthy(params.get("allowWatchBookmarks"))
    send_initial = params.get("sendInitialEvents")
    if send_initial is not None and not _truthy(send_initial) and send_initial not in ("false", "0", "False"):
        raise errors.bad_request(f'sendInitialEvents: Invalid value: "{send_initial}"')
    initial = _truthy(send_initial) or (send_initial is None and rv in (None, 0))
    if _truthy(send_initial):
        _check_send_initial(params.get("resourceVersionMatch"), bookmarks)
    try:
        timeout = float(params.get("timeoutSeconds") or 0)
    except ValueError as e:
        raise errors.bad_request("timeoutSeconds must be a number") from e
    if timeout <= 0:
        timeout = random.randint(*DEFAULT_TIMEOUT)

    # Snapshot and subscription happen together, with no await between: nothing is missed or doubled.
    watcher = Watcher(ns, match, after=rv if rv is not None and not initial else 0)
    # where the watch starts, past the events replayed to it (those its selector filtered too)
    replayed_to = rv
    first: list[bytes] = []
    if initial:
        for s in store.items(info.storage_key, ns):
            if match is None or match(s.obj):
                if render is not None:
                    first.append(event_line("ADDED", dumps(render(s.obj))))
                elif s.obj.get("apiVersion") == info.api_version:
                    first.append(event_line("ADDED", s.raw))
                else:
                    first.append(event_line("ADDED", dumps(versions.present(info, s.obj))))
    elif rv is not None:
        try:
            for ev in store.events_since(info.storage_key, rv):
                watcher.offer(ev)
                replayed_to = ev.rv
        except TooOld as e:
            first.append(dumps({"type": "ERROR", "object": errors.expired(str(e)).status()}) + b"\n")
            watcher.close()
    start_rv = store.rv
    since = start_rv if initial or replayed_to is None else replayed_to
    if not watcher.closed:
        store.watch(info.storage_key, watcher)

    resp = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"}
    )
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)
        if first:
            await resp.write(b"".join(first))
        if initial and bookmarks and _truthy(send_initial):
            await resp.write(bookmark(info, start_rv, initial_end=True))
        deadline = time.monotonic() + timeout
        due = next_bookmark(time.monotonic(), deadline) if bookmarks else None
        while not watcher.closed or watcher.queue:
            if watcher.queue:
                batch = [_line(info, t, ev, render) for t, ev in watcher.queue]
                watcher.queue.clear()
                watcher.wake.clear()
                await resp.write(b"".join(batch))
                continue
            if watcher.closed:
                break
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                break
            wait = left if due is None else min(left, due - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.wake.wait(), timeout=max(wait, 0.0))
            now = time.monotonic()
            if due is not None and now >= due and not watcher.queue:
                # as kube-apiserver's watch cache: a bookmark only once the version has moved past
                # where the watch started (writes the selector filtered out), else it says nothing new
                if store.rv > since:
                    await resp.write(bookmark(info, store.rv))
                due = next_bookmark(now, deadline)
            watcher.wake.clear() if not watcher.queue else None
        await resp.write_eof()
    except ConnectionResetError:
        pass  # the client went away: nothing left to tell it
    finally:
        store.unwatch(info.storage_key, watcher)
    return resp
