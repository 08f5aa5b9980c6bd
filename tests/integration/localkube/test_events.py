"""core/v1 and events.k8s.io/v1 Events are the same objects, each API with its own field names."""

from __future__ import annotations

import kubernetes
from kubernetes.client import CoreV1Api, EventsV1Api


def test_events_are_shared_between_the_two_apis(k8s: kubernetes.client.ApiClient) -> None:
    core, new = CoreV1Api(k8s), EventsV1Api(k8s)
    new.create_namespaced_event(
        "default",
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "e1"},
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "reason": "Started",
            "note": "it began",
            "type": "Normal",
            "action": "Start",
            "reportingController": "example.com/ctl",
            "reportingInstance": "ctl-1",
            "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
        },
    )
    seen = core.read_namespaced_event("e1", "default")
    assert seen.message == "it began" and seen.involved_object.name == "web"
    assert seen.reporting_component == "example.com/ctl"
    core.create_namespaced_event(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e2"},
            "reason": "Pulled",
            "message": "done",
            "type": "Normal",
            "involvedObject": {"kind": "Pod", "name": "db", "namespace": "default"},
            "source": {"component": "kubelet"},
            "count": 2,
            "eventTime": "2026-01-01T00:00:01.000000Z",
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1",
        },
    )
    listed = new.list_namespaced_event("default", field_selector="regarding.name=db").items
    assert [(e.metadata.name, e.note, e.deprecated_count) for e in listed] == [("e2", "done", 2)]
    assert {e.metadata.name for e in core.list_namespaced_event("default").items} == {"e1", "e2"}
    new.patch_namespaced_event("e2", "default", {"note": "really done"})
    assert core.read_namespaced_event("e2", "default").message == "really done"
