"""Watch semantics through the official client's Watch helper (the informer pattern)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import kubernetes
import pytest
from kubernetes import watch
from kubernetes.client import ApiException, CoreV1Api


def cm(name: str, value: str = "1", labels: dict[str, str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels or {}},
        "data": {"v": value},
    }


def test_watch_from_resource_version_sees_changes_in_order(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("before"))
    rv = v1.list_namespaced_config_map("default").metadata.resource_version
    v1.create_namespaced_config_map("default", cm("a"))
    v1.patch_namespaced_config_map("a", "default", {"data": {"v": "2"}})
    v1.delete_namespaced_config_map("a", "default")
    w = watch.Watch()
    seen = []
    for ev in w.stream(v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2):
        if ev["object"].metadata.name != "a":
            continue  # kube-controller-manager's kube-root-ca.crt, put back after the last test
        seen.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("v")))
        if len(seen) == 3:
            w.stop()
    assert seen == [("ADDED", "a", "1"), ("MODIFIED", "a", "2"), ("DELETED", "a", "2")]


def test_watch_without_version_sends_current_state_then_live_events(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("existing"))
    w = watch.Watch()
    seen: list[tuple[str, str]] = []

    def later() -> None:
        v1.create_namespaced_config_map("default", cm("live"))

    timer = threading.Timer(0.3, later)
    timer.start()
    try:
        for ev in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["object"].metadata.name == "live":
                w.stop()
    finally:
        timer.cancel()
    assert ("ADDED", "existing") in seen and seen[-1] == ("ADDED", "live")


def test_label_selected_watch_turns_relabel_into_deleted(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("x", labels={"team": "a"}))
    rv = v1.read_namespaced_config_map("x", "default").metadata.resource_version
    relabelled = v1.patch_namespaced_config_map("x", "default", {"metadata": {"labels": {"team": "b"}}})
    w = watch.Watch()
    events = []
    for ev in w.stream(
        v1.list_namespaced_config_map,
        "default",
        label_selector="team=a",
        resource_version=rv,
        timeout_seconds=1,
    ):
        meta = ev["object"].metadata
        events.append((ev["type"], meta.labels["team"], meta.resource_version))
        w.stop()
    # as kube-apiserver's watch cache sends it: the object as it last matched, at the new version
    assert events == [("DELETED", "a", relabelled.metadata.resource_version)]


@pytest.mark.localkube_only(reason="shrinks localkube's watch history to reach 410 quickly")
def test_too_old_resource_version_is_410(apiserver, k8s: kubernetes.client.ApiClient) -> None:  # type: ignore[no-untyped-def]
    apiserver.store.history_size = 5  # a small window makes "too old" reachable quickly
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("h"))
    old_rv = v1.read_namespaced_config_map("h", "default").metadata.resource_version
    for i in range(10):
        v1.patch_namespaced_config_map("h", "default", {"data": {"v": str(i)}})
    w = watch.Watch()
    with pytest.raises(ApiException) as e:
        for _ in w.stream(
            v1.list_namespaced_config_map, "default", resource_version=old_rv, timeout_seconds=2
        ):
            pass
    assert e.value.status == 410
    with pytest.raises(ApiException) as e:
        v1.list_namespaced_config_map("default", resource_version=old_rv, resource_version_match="Exact")
    assert e.value.status == 410


def _watch_lines(v1: CoreV1Api, rv: str, timeout: int) -> list[dict[str, Any]]:
    resp = v1.list_namespaced_config_map(
        "default",
        watch=True,
        resource_version=rv,
        label_selector="app=watched",
        allow_watch_bookmarks=True,
        timeout_seconds=timeout,
        _preload_content=False,
    )
    return [json.loads(line) for line in resp.read().decode().splitlines() if line]


def test_bookmarks_and_timeout(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    rv = v1.list_namespaced_config_map("default").metadata.resource_version
    # nothing happened since `rv`: the stream ends by itself after timeoutSeconds, with nothing new
    # to say, so without a bookmark (kube-apiserver sends one only past where the watch started)
    assert _watch_lines(v1, rv, timeout=3) == []
    # A write the watch's selector filters out, made while it runs: the bookmark 2 s before the
    # timeout tells the client how far it has seen, so that it resumes past that write.
    watching = threading.Thread(target=lambda: found.extend(_watch_lines(v1, rv, timeout=5)))
    found: list[dict[str, Any]] = []
    watching.start()
    time.sleep(1)
    unseen = v1.create_namespaced_config_map("default", cm("unseen")).metadata.resource_version
    watching.join()
    assert found and {e["type"] for e in found} == {"BOOKMARK"}
    assert all(int(e["object"]["metadata"]["resourceVersion"]) >= int(unseen) for e in found)


def test_watch_list_sends_initial_events_then_a_marked_bookmark(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("one"))
    resp = v1.list_namespaced_config_map(
        "default",
        watch=True,
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        resource_version="",
        allow_watch_bookmarks=True,
        timeout_seconds=1,
        _preload_content=False,
    )
    events = [json.loads(line) for line in resp.read().decode().splitlines() if line]
    names = [e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"]
    assert "one" in names
    marked = [
        e
        for e in events
        if e["type"] == "BOOKMARK"
        and (e["object"]["metadata"].get("annotations") or {}).get("k8s.io/initial-events-end") == "true"
    ]
    assert len(marked) == 1
    # the marker comes after every initial object
    assert events.index(marked[0]) > max(i for i, e in enumerate(events) if e["type"] == "ADDED")
