"""kr8s, a Kubernetes client nobody here wrote, against localkube as its users would use it: pods
and a custom resource listed, read, created, patched (merge, JSON patch, status, scale) and
watched, and Table views through its `as_object`."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kr8s
import pytest
from kr8s.objects import ConfigMap, Deployment, Pod, Table, new_class

from support.crds import widget_crd
from support.waiting import wait_for

GROUP = "kr8s.example.com"
CRD = widget_crd(
    GROUP,
    {"properties": {"replicas": {"type": "integer"}, "size": {"type": "string"}}},
    status={"replicas": {"type": "integer"}},
)
Widget = new_class(kind="Widget", version=f"{GROUP}/v1", namespaced=True, scalable=True)
CRDObject = new_class(kind="CustomResourceDefinition", version="apiextensions.k8s.io/v1", namespaced=False)


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[kr8s.Api]:
    with warnings.catch_warnings():
        # kr8s 0.20 knows Kubernetes up to 1.35 and says so (a warning, nothing else) for 1.37
        warnings.filterwarnings("ignore", message="Kubernetes version", category=UserWarning)
        yield kr8s.api(kubeconfig=str(kubeconfig))


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "pause"}]},
    }


def test_pods_created_listed_read_and_patched(api: kr8s.Api) -> None:
    first = Pod(pod("first", app="web"), api=api)
    first.create()
    Pod(pod("second", app="db"), api=api).create()
    assert sorted(p.name for p in api.get("pods", namespace="default")) == ["first", "second"]
    assert [p.name for p in api.get("pods", namespace="default", label_selector={"app": "web"})] == ["first"]
    by_field = api.get("pods", namespace=kr8s.ALL, field_selector="metadata.name=second")
    assert [p.name for p in by_field] == ["second"]
    first.patch({"metadata": {"labels": {"tier": "front"}}})
    first.patch([{"op": "add", "path": "/metadata/annotations", "value": {"note": "hi"}}], type="json")
    first.label(team="a")
    again = Pod.get("first", namespace="default", api=api)
    assert dict(again.labels) == {"app": "web", "tier": "front", "team": "a"}
    assert dict(again.annotations) == {"note": "hi"}
    first.delete()
    wait_for("the pod to be gone", lambda: not first.exists())


def test_a_watch_sees_create_update_and_delete(api: kr8s.Api) -> None:
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def watch() -> None:
        for event, obj in api.watch("configmaps", namespace="default", label_selector={"watched": "yes"}):
            seen.append((event, obj.name))
            if event == "DELETED":
                done.set()
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    cm = ConfigMap({"metadata": {"name": "cm", "labels": {"watched": "yes"}}, "data": {"a": "1"}}, api=api)
    # whether or not the watch is open yet, it reports the ConfigMap as ADDED (a watch without a
    # resourceVersion starts with what exists), so there is no race here
    cm.create()
    wait_for("the watch to see the create", lambda: ("ADDED", "cm") in seen)
    cm.patch({"data": {"b": "2"}})
    cm.delete()
    assert done.wait(30), seen
    assert seen == [("ADDED", "cm"), ("MODIFIED", "cm"), ("DELETED", "cm")]


@pytest.fixture
def widgets(api: kr8s.Api) -> kr8s.Api:
    CRDObject(CRD, api=api).create()

    def served() -> bool:
        try:
            list(api.get("widgets", namespace="default"))
        except (kr8s.NotFoundError, ValueError):
            return False
        return True

    wait_for("widgets to be served", served)
    return api


def test_a_custom_resource_through_kr8s(widgets: kr8s.Api) -> None:
    w = Widget({"metadata": {"name": "w"}, "spec": {"replicas": 1, "size": "s"}}, api=widgets)
    w.create()
    assert [x.name for x in widgets.get("widgets", namespace="default")] == ["w"]
    assert [x.name for x in widgets.get(f"widget.{GROUP}", namespace="default")] == ["w"]
    w.patch({"spec": {"size": "m"}})
    w.patch({"status": {"replicas": 1}}, subresource="status")
    w.scale(3)
    w.refresh()
    assert w.raw["spec"] == {"replicas": 3, "size": "m"} and w.raw["status"] == {"replicas": 1}
    # the status subresource keeps spec out, as Kubernetes does
    w.patch({"spec": {"size": "xl"}, "status": {"replicas": 2}}, subresource="status")
    w.refresh()
    assert w.raw["spec"]["size"] == "m" and w.raw["status"]["replicas"] == 2


def test_table_views_through_kr8s(widgets: kr8s.Api) -> None:
    Pod(pod("p", table="yes"), api=widgets).create()
    Deployment(
        {
            "metadata": {"name": "d"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod("x")["spec"]},
            },
        },
        api=widgets,
    ).create()
    Widget({"metadata": {"name": "w"}, "spec": {"replicas": 1}}, api=widgets).create()
    # (a real control plane also makes the Deployment's pods: the label leaves them out)
    [pods] = list(widgets.get("pods", namespace="default", label_selector={"table": "yes"}, as_object=Table))
    assert [c["name"] for c in pods.column_definitions][:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert [r["cells"][0] for r in pods.rows] == ["p"]
    [deployments] = list(widgets.get("deployments", namespace="default", as_object=Table))
    assert [c["name"] for c in deployments.column_definitions][:2] == ["Name", "Ready"]
    assert deployments.rows[0]["cells"][:2] == ["d", "0/2"]
    assert deployments.rows[0]["object"]["kind"] == "PartialObjectMetadata"
    [custom] = list(widgets.get("widgets", namespace="default", as_object=Table))
    assert [c["name"] for c in custom.column_definitions] == ["Name", "Age"]
    assert [r["cells"][0] for r in custom.rows] == ["w"]
