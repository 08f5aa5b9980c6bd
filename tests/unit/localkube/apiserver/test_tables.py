"""Table responses hold what `kubectl get` (and `-o wide`) prints against a real cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubeschema.timestamps import format_time
from localkube.apiserver import strategies
from localkube.apiserver.patches import BUILTIN_GROUPS
from localkube.apiserver.tables import MISSING, human_duration, jsonpath_lookup, to_table

NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


def ago(**delta: float) -> str:
    return format_time(NOW - timedelta(**delta))


def table(
    api_version: str, kind: str, objs: list[dict[str, Any]], columns: Any = None, include: str = "None"
) -> dict[str, Any]:
    """The table the server sends for these objects: a built-in kind's strategy's printer, or the
    CRD's columns for a custom resource."""
    group = api_version.rpartition("/")[0]
    custom_columns = None if group in BUILTIN_GROUPS else (columns or [])
    printer = strategies.of_kind(group, kind).printer
    return to_table(printer, objs, include_object=include, printer_columns=custom_columns, now=NOW)


def printed(t: dict[str, Any], wide: bool = False) -> list[dict[str, Any]]:
    """Rows as kubectl shows them: header name (upper-cased by kubectl) -> cell."""
    names = [c["name"] for c in t["columnDefinitions"]]
    keep = [wide or c["priority"] == 0 for c in t["columnDefinitions"]]
    return [
        {n.upper(): cell for n, cell, k in zip(names, row["cells"], keep, strict=True) if k}
        for row in t["rows"]
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (5, "5s"),
        (119, "119s"),
        (120, "2m"),
        (207, "3m27s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 25 * 60, "3h25m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (2 * 86400 + 5 * 3600, "2d5h"),
        (13 * 86400, "13d"),
        (729 * 86400, "729d"),
        (731 * 86400, "2y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_like_kubernetes(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def pod(name: str = "head", **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ray", "creationTimestamp": ago(minutes=5)},
        "spec": {"containers": [{"name": "ray-head", "image": "ray"}], "nodeName": "node-1"},
        "status": status,
    }


def running(ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": "ray-head", "ready": ready, "restartCount": restarts, "state": {"running": {}}, **extra}


@pytest.mark.parametrize(
    ("status", "ready", "shown"),
    [
        ({"phase": "Pending"}, "0/1", "Pending"),
        (
            {
                "phase": "Pending",
                "containerStatuses": [
                    {"name": "ray-head", "state": {"waiting": {"reason": "ContainerCreating"}}}
                ],
            },
            "0/1",
            "ContainerCreating",
        ),
        ({"phase": "Running", "containerStatuses": [running()]}, "1/1", "Running"),
        ({"phase": "Running", "containerStatuses": [running(ready=False)]}, "0/1", "Running"),
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "ray-head", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
                ],
            },
            "0/1",
            "CrashLoopBackOff",
        ),
        (
            {
                "phase": "Succeeded",
                "containerStatuses": [
                    {"name": "ray-head", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                ],
            },
            "0/1",
            "Completed",
        ),
        (
            {
                "phase": "Failed",
                "containerStatuses": [{"name": "ray-head", "state": {"terminated": {"exitCode": 137}}}],
            },
            "0/1",
            "ExitCode:137",
        ),
        ({"phase": "Failed", "reason": "Evicted"}, "0/1", "Evicted"),
    ],
)
def test_pod_status_column(status: dict[str, Any], ready: str, shown: str) -> None:
    [row] = printed(table("v1", "Pod", [pod(**status)]))
    assert row == {"NAME": "head", "READY": ready, "STATUS": shown, "RESTARTS": "0", "AGE": "5m"}


def test_terminating_pod() -> None:
    p = pod(phase="Running", containerStatuses=[running()])
    p["metadata"]["deletionTimestamp"] = ago(seconds=3)
    assert printed(table("v1", "Pod", [p]))[0]["STATUS"] == "Terminating"


def test_init_container_progress() -> None:
    p = pod(
        phase="Pending",
        initContainerStatuses=[
            {"name": "a", "state": {"terminated": {"exitCode": 0}}},
            {"name": "b", "state": {"running": {}}},
        ],
    )
    p["spec"]["initContainers"] = [{"name": "a"}, {"name": "b"}]
    assert printed(table("v1", "Pod", [p]))[0]["STATUS"] == "Init:1/2"
    p["status"]["initContainerStatuses"][1] = {
        "name": "b",
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
    }
    assert printed(table("v1", "Pod", [p]))[0]["STATUS"] == "Init:CrashLoopBackOff"
    p["status"]["initContainerStatuses"][1] = {"name": "b", "state": {"terminated": {"exitCode": 2}}}
    assert printed(table("v1", "Pod", [p]))[0]["STATUS"] == "Init:ExitCode:2"


def test_restarts_show_when_last_restart_happened() -> None:
    cs = running(restarts=3, lastState={"terminated": {"finishedAt": ago(seconds=90)}})
    p = pod(phase="Running", containerStatuses=[cs])
    assert printed(table("v1", "Pod", [p]))[0]["RESTARTS"] == "3 (90s ago)"


def test_pod_wide_columns() -> None:
    p = pod(phase="Running", containerStatuses=[running()], podIP="10.1.0.5", podIPs=[{"ip": "10.1.0.5"}])
    assert printed(table("v1", "Pod", [p]), wide=True)[0] == {
        "NAME": "head",
        "READY": "1/1",
        "STATUS": "Running",
        "RESTARTS": "0",
        "AGE": "5m",
        "IP": "10.1.0.5",
        "NODE": "node-1",
        "NOMINATED NODE": "<none>",
        "READINESS GATES": "<none>",
    }
    unscheduled = pod(phase="Pending")
    unscheduled["spec"].pop("nodeName")
    row = printed(table("v1", "Pod", [unscheduled]), wide=True)[0]
    assert (row["IP"], row["NODE"]) == ("<none>", "<none>")


def test_completed_pod_row_carries_completed_condition() -> None:
    t = table("v1", "Pod", [pod(phase="Succeeded")])
    assert t["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_services() -> None:
    svc = {
        "metadata": {"name": "demo-head-svc", "creationTimestamp": ago(hours=3)},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "ports": [{"port": 6379, "protocol": "TCP"}, {"port": 8265, "protocol": "TCP"}],
            "selector": {"ray.io/node-type": "head", "ray.io/cluster": "demo"},
        },
    }
    headless = {
        "metadata": {"name": "h", "creationTimestamp": ago(seconds=10)},
        "spec": {
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "UDP"}],
            "type": "NodePort",
        },
    }
    lb = {
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.2", "ports": [{"port": 80}]},
    }
    served = {
        "metadata": {"name": "served"},
        "spec": {"type": "LoadBalancer", "externalIPs": ["192.0.2.9"]},
        "status": {
            "loadBalancer": {"ingress": [{"ip": "192.0.2.7"}, {"hostname": "a.example"}, {"ip": "192.0.2.7"}]}
        },
    }
    rows = printed(table("v1", "Service", [svc, headless, lb, served]), wide=True)
    assert rows[0] == {
        "NAME": "demo-head-svc",
        "TYPE": "ClusterIP",
        "CLUSTER-IP": "10.96.0.10",
        "EXTERNAL-IP": "<none>",
        "PORT(S)": "6379/TCP,8265/TCP",
        "AGE": "3h",
        "SELECTOR": "ray.io/cluster=demo,ray.io/node-type=head",
    }
    assert (rows[1]["CLUSTER-IP"], rows[1]["PORT(S)"], rows[1]["AGE"]) == ("None", "80:30080/UDP", "10s")
    assert (rows[2]["EXTERNAL-IP"], rows[2]["AGE"]) == ("<pending>", "<unknown>")
    # load-balancer addresses sorted and without repeats, then the external IPs
    assert rows[3]["EXTERNAL-IP"] == "192.0.2.7,a.example,192.0.2.9"


def test_simple_kinds() -> None:
    meta = {"name": "x", "creationTimestamp": ago(days=13)}
    assert printed(table("v1", "ConfigMap", [{"metadata": meta, "data": {"a": "1", "b": "2"}}])) == [
        {"NAME": "x", "DATA": 2, "AGE": "13d"}
    ]
    assert printed(table("v1", "Secret", [{"metadata": meta, "type": "Opaque", "data": {"a": "MQ=="}}])) == [
        {"NAME": "x", "TYPE": "Opaque", "DATA": 1, "AGE": "13d"}
    ]
    assert printed(table("v1", "Namespace", [{"metadata": meta, "status": {"phase": "Terminating"}}])) == [
        {"NAME": "x", "STATUS": "Terminating", "AGE": "13d"}
    ]
    sa = {"metadata": meta, "secrets": [{"name": "x-token"}]}
    assert printed(table("v1", "ServiceAccount", [sa])) == [{"NAME": "x", "AGE": "13d"}]


NAME_DOC_END = "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
AGE_DOC_END = "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only."


def column_of(t: dict[str, Any], name: str) -> dict[str, Any]:
    [col] = [c for c in t["columnDefinitions"] if c["name"] == name]
    return col


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "Pod"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("apps/v1", "Deployment"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("ray.io/v1", "RayCluster"),
    ],
)
def test_name_and_age_columns_carry_the_full_object_meta_docs(api_version: str, kind: str) -> None:
    t = table(api_version, kind, [])
    name = column_of(t, "Name")
    assert (name["type"], name["format"]) == ("string", "name")
    assert name["description"].startswith("Name must be unique within a namespace. Is required when")
    assert name["description"].endswith(NAME_DOC_END)
    [age] = [c for c in t["columnDefinitions"] if c["name"] in ("Age", "Created At")]
    assert age["description"].startswith("CreationTimestamp is a timestamp representing the server time")
    assert AGE_DOC_END in age["description"]


def test_kinds_column_definitions_are_kubes() -> None:
    data = column_of(table("v1", "ConfigMap", []), "Data")
    assert (data["type"], data["format"], data["priority"]) == ("string", "", 0)
    assert data["description"].startswith("Data contains the configuration data. Each key must consist of")
    secret_data = column_of(table("v1", "Secret", []), "Data")
    assert secret_data["type"] == "string"
    assert secret_data["description"].startswith("Data contains the secret data.")
    assert column_of(table("v1", "Event", []), "Count")["type"] == "string"
    assert column_of(table("apps/v1", "Deployment", []), "Up-to-date")["type"] == "string"
    selectors = {
        kind: column_of(table(api_version, kind, []), "Selector")["description"]
        for api_version, kind in [("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("batch/v1", "Job")]
    }
    assert selectors["Deployment"].startswith("Label selector for pods. Existing ReplicaSets whose pods")
    assert selectors["ReplicaSet"].startswith("Selector is a label query over pods that should match")
    assert selectors["Job"].startswith("A label query over pods that should match the pod count.")
    default = table("apiextensions.k8s.io/v1", "CustomResourceDefinition", [])["columnDefinitions"]
    assert [(c["name"], c["type"], c["format"]) for c in default] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]


def test_endpoints_list_addresses_port_by_port() -> None:
    ep = {
        "metadata": {"name": "svc"},
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::2"}],
                "ports": [{"port": 80}, {"port": 443}],
            }
        ],
    }
    [row] = printed(table("v1", "Endpoints", [ep]))
    assert row["ENDPOINTS"] == "10.0.0.1:80,[fd00::2]:80,10.0.0.1:443 + 1 more..."
    assert printed(table("v1", "Endpoints", [{"metadata": {"name": "e"}}]))[0]["ENDPOINTS"] == "<none>"


def test_job_meeting_its_success_criteria() -> None:
    job = {
        "metadata": {"name": "j"},
        "spec": {"completions": 2},
        "status": {"succeeded": 1, "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}]},
    }
    assert printed(table("batch/v1", "Job", [job]))[0]["STATUS"] == "SuccessCriteriaMet"


def test_nodes() -> None:
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": ago(days=2),
            "labels": {"node-role.kubernetes.io/control-plane": ""},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "nodeInfo": {"kubeletVersion": "v1.34.0", "kernelVersion": "6.8.0", "architecture": "arm64"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
        },
    }
    [row] = printed(table("v1", "Node", [node]), wide=True)
    assert row["STATUS"] == "Ready,SchedulingDisabled"
    assert (row["ROLES"], row["AGE"], row["VERSION"]) == ("control-plane", "2d", "v1.34.0")
    assert (row["INTERNAL-IP"], row["EXTERNAL-IP"]) == ("10.0.0.1", "<none>")
    assert row["KERNEL-VERSION"] == "6.8.0 (arm64)"


def test_events() -> None:
    ev = {
        "metadata": {"name": "demo.1"},
        "involvedObject": {"kind": "RayCluster", "name": "demo"},
        "reason": "CreatedService",
        "type": "Normal",
        "message": "Created service demo-head-svc ",
        "firstTimestamp": ago(minutes=2),
        "lastTimestamp": ago(seconds=30),
        "count": 2,
        "source": {"component": "raycluster-controller"},
    }
    [row] = printed(table("v1", "Event", [ev]), wide=True)
    assert row == {
        "LAST SEEN": "30s",
        "TYPE": "Normal",
        "REASON": "CreatedService",
        "OBJECT": "raycluster/demo",
        "SUBOBJECT": "",
        "SOURCE": "raycluster-controller",
        "MESSAGE": "Created service demo-head-svc",
        "FIRST SEEN": "2m",
        "COUNT": 2,
        "NAME": "demo.1",
    }


def test_kinds_without_printer_get_name_and_created_at() -> None:
    crd = {"metadata": {"name": "rayclusters.ray.io", "creationTimestamp": "2026-01-01T00:00:00Z"}}
    t = table("apiextensions.k8s.io/v1", "CustomResourceDefinition", [crd])
    assert printed(t) == [{"NAME": "rayclusters.ray.io", "CREATED AT": "2026-01-01T00:00:00Z"}]


RAY_COLUMNS = [
    {"jsonPath": ".status.desiredWorkerReplicas", "name": "desired workers", "type": "integer"},
    {"jsonPath": ".status.availableWorkerReplicas", "name": "available workers", "type": "integer"},
    {"jsonPath": ".status.desiredCPU", "name": "cpus", "type": "string"},
    {"jsonPath": ".status.state", "name": "status", "type": "string"},
    {"jsonPath": ".metadata.creationTimestamp", "name": "age", "type": "date"},
    {"jsonPath": ".status.head.podIP", "name": "head pod IP", "priority": 1, "type": "string"},
]


def test_crd_printer_columns() -> None:
    rc = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "demo", "creationTimestamp": ago(minutes=3, seconds=27)},
        "status": {
            "desiredWorkerReplicas": 2,
            "availableWorkerReplicas": 1,
            "desiredCPU": "3",
            "state": "ready",
        },
    }
    t = table("ray.io/v1", "RayCluster", [rc], RAY_COLUMNS)
    assert printed(t) == [
        {
            "NAME": "demo",
            "DESIRED WORKERS": 2,
            "AVAILABLE WORKERS": 1,
            "CPUS": "3",
            "STATUS": "ready",
            "AGE": "3m27s",
        }
    ]
    assert printed(t, wide=True)[0]["HEAD POD IP"] is None
    assert t["columnDefinitions"][1]["description"] == (
        "Custom resource definition column (in JSONPath format): .status.desiredWorkerReplicas"
    )


def test_crd_without_columns_shows_age() -> None:
    obj = {"metadata": {"name": "x", "creationTimestamp": ago(seconds=42)}}
    assert printed(table("example.com/v1", "Widget", [obj], [])) == [{"NAME": "x", "AGE": "42s"}]
    assert printed(table("example.com/v1", "Widget", [obj], None)) == [{"NAME": "x", "AGE": "42s"}]


def test_wrongly_typed_crd_cells_are_empty() -> None:
    cols = [
        {"jsonPath": ".spec.n", "name": "n", "type": "integer"},
        {"jsonPath": ".spec.b", "name": "b", "type": "boolean"},
    ]
    obj = {"metadata": {"name": "x"}, "spec": {"n": "three", "b": True}}
    assert printed(table("example.com/v1", "Widget", [obj], cols)) == [{"NAME": "x", "N": None, "B": True}]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".spec.workerGroupSpecs[0].replicas", 3),
        (".spec.workerGroupSpecs[1].replicas", None),
        (".metadata.labels['ray.io/cluster']", "demo"),
        ('.status.conditions[?(@.type=="Ready")].status', "True"),
        (".status.missing", None),
    ],
)
def test_jsonpath(path: str, expected: Any) -> None:
    obj = {
        "metadata": {"labels": {"ray.io/cluster": "demo"}},
        "spec": {"workerGroupSpecs": [{"replicas": 3}]},
        "status": {"conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True"}]},
    }
    found = jsonpath_lookup(obj, path)
    assert (None if found is MISSING else found) == expected


@pytest.mark.parametrize("include", ["None", "Metadata", "Object"])
def test_include_object(include: str) -> None:
    p = pod(phase="Pending")
    obj = table("v1", "Pod", [p], include=include)["rows"][0]["object"]
    if include == "None":
        assert obj is None
    elif include == "Metadata":
        assert obj == {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": p["metadata"],
        }
    else:
        assert obj == p


def test_table_envelope() -> None:
    t = table("v1", "Pod", [])
    assert (t["kind"], t["apiVersion"], t["rows"]) == ("Table", "meta.k8s.io/v1", [])
    assert [c["name"] for c in t["columnDefinitions"] if c["priority"] == 0] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
