"""core/v1 and events.k8s.io/v1 Events are the same objects, each API with its own field names."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api, EventsV1Api

from support.clients import RawClient


def test_events_are_shared_between_the_two_apis(k8s: kubernetes.client.ApiClient) -> None:
    core, new = CoreV1Api(k8s), EventsV1Api(k8s)
    # as JSON: the official client re-encodes eventTime without its microseconds
    # ("...T00:00:00+00:00"), which kube-apiserver refuses (a MicroTime has six digits of them)
    e1 = json.dumps(
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
        }
    ).encode()
    assert RawClient(k8s).send("POST", "/apis/events.k8s.io/v1/namespaces/default/events", e1).status == 201
    seen = core.read_namespaced_event("e1", "default")
    assert seen.message == "it began" and seen.involved_object.name == "web"
    assert seen.reporting_component == "example.com/ctl"
    e2 = json.dumps(
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
            "action": "Pull",
        }
    ).encode()
    # an Event with an eventTime must say its action, as kube-apiserver requires
    missing = json.loads(e2)
    del missing["action"]
    r = RawClient(k8s).send("POST", "/api/v1/namespaces/default/events", json.dumps(missing).encode())
    assert r.status == 422 and json.loads(r.data)["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "action"}
    ]
    r = RawClient(k8s).send("POST", "/api/v1/namespaces/default/events", e2)
    assert r.status == 201, r.data
    listed = new.list_namespaced_event("default", field_selector="regarding.name=db").items
    assert [(e.metadata.name, e.note, e.deprecated_count) for e in listed] == [("e2", "done", 2)]
    # a real cluster's controllers may have posted events of their own meanwhile
    assert {"e1", "e2"} <= {e.metadata.name for e in core.list_namespaced_event("default").items}
    # what an Event reported is immutable through events.k8s.io/v1, and core/v1 still may change it
    with pytest.raises(ApiException) as e:
        new.patch_namespaced_event("e2", "default", {"note": "really done"})
    assert e.value.status == 422 and "message: Invalid value" in json.loads(e.value.body)["message"]
    core.patch_namespaced_event("e2", "default", {"message": "really done"})
    assert new.read_namespaced_event("e2", "default").note == "really done"
