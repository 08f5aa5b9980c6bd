"""Table responses hold what `kubectl get` (and `-o wide`) prints against a real cluster."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver.tables import MISSING, human_duration, jsonpath_lookup
from support.tables import ago, column_of, meta, printed, table


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


# --- kinds whose printers kube-apiserver has beyond the core ones --------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "headers", "wide"),
    [
        (
            "batch/v1",
            "CronJob",
            ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
            ["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        (
            "apps/v1",
            "DaemonSet",
            ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
            ["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        ("apps/v1", "StatefulSet", ["NAME", "READY", "AGE"], ["CONTAINERS", "IMAGES"]),
        (
            "v1",
            "PersistentVolumeClaim",
            [
                "NAME",
                "STATUS",
                "VOLUME",
                "CAPACITY",
                "ACCESS MODES",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "AGE",
            ],
            ["VOLUMEMODE"],
        ),
        (
            "v1",
            "PersistentVolume",
            [
                "NAME",
                "CAPACITY",
                "ACCESS MODES",
                "RECLAIM POLICY",
                "STATUS",
                "CLAIM",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "REASON",
                "AGE",
            ],
            ["VOLUMEMODE"],
        ),
        (
            "storage.k8s.io/v1",
            "StorageClass",
            ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
            [],
        ),
        ("networking.k8s.io/v1", "Ingress", ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], []),
        ("networking.k8s.io/v1", "IngressClass", ["NAME", "CONTROLLER", "PARAMETERS", "AGE"], []),
        (
            "policy/v1",
            "PodDisruptionBudget",
            ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"],
            [],
        ),
        (
            "scheduling.k8s.io/v1",
            "PriorityClass",
            ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
            [],
        ),
        ("v1", "ResourceQuota", ["NAME", "REQUEST", "LIMIT", "AGE"], []),
        ("discovery.k8s.io/v1", "EndpointSlice", ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], []),
        ("networking.k8s.io/v1", "NetworkPolicy", ["NAME", "POD-SELECTOR", "AGE"], []),
        ("apps/v1", "ControllerRevision", ["NAME", "CONTROLLER", "REVISION", "AGE"], []),
        ("v1", "PodTemplate", ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"], []),
        (
            "certificates.k8s.io/v1",
            "CertificateSigningRequest",
            ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"],
            [],
        ),
        ("node.k8s.io/v1", "RuntimeClass", ["NAME", "HANDLER", "AGE"], []),
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", ["NAME", "WEBHOOKS", "AGE"], []),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
            ["NAME", "WEBHOOKS", "AGE"],
            [],
        ),
        ("coordination.k8s.io/v1", "Lease", ["NAME", "HOLDER", "AGE"], []),
        (
            "storage.k8s.io/v1",
            "CSIDriver",
            [
                "NAME",
                "ATTACHREQUIRED",
                "PODINFOONMOUNT",
                "STORAGECAPACITY",
                "TOKENREQUESTS",
                "REQUIRESREPUBLISH",
                "MODES",
                "AGE",
            ],
            [],
        ),
        ("storage.k8s.io/v1", "CSINode", ["NAME", "DRIVERS", "AGE"], []),
        ("storage.k8s.io/v1", "VolumeAttachment", ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"], []),
    ],
)
def test_kubectl_get_headers(api_version: str, kind: str, headers: list[str], wide: list[str]) -> None:
    """`kubectl get` shows kube's columns for these kinds, not the default Name/Created At."""
    cols = table(api_version, kind, [])["columnDefinitions"]
    assert [c["name"].upper() for c in cols if c["priority"] == 0] == headers
    assert [c["name"].upper() for c in cols if c["priority"] == 1] == wide


def test_cronjobs() -> None:
    cj = {
        "metadata": meta("tick"),
        "spec": {
            "schedule": "*/5 * * * *",
            "suspend": False,
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "hello", "image": "busybox"}]}}}
            },
        },
        "status": {"active": [{"kind": "Job", "name": "tick-29000"}], "lastScheduleTime": ago(minutes=3)},
    }
    never = {
        "metadata": meta("never"),
        "spec": {"schedule": "@daily", "timeZone": "Etc/UTC", "jobTemplate": {"spec": {}}},
    }
    assert printed(table("batch/v1", "CronJob", [cj, never]), wide=True) == [
        {
            "NAME": "tick",
            "SCHEDULE": "*/5 * * * *",
            "TIMEZONE": "<none>",
            "SUSPEND": "False",
            "ACTIVE": 1,
            "LAST SCHEDULE": "3m",
            "AGE": "2d",
            "CONTAINERS": "hello",
            "IMAGES": "busybox",
            "SELECTOR": "<none>",
        },
        {
            "NAME": "never",
            "SCHEDULE": "@daily",
            "TIMEZONE": "Etc/UTC",
            "SUSPEND": "<unset>",
            "ACTIVE": 0,
            "LAST SCHEDULE": "<none>",
            "AGE": "2d",
            "CONTAINERS": "",
            "IMAGES": "",
            "SELECTOR": "<none>",
        },
    ]
    suspend = column_of(table("batch/v1", "CronJob", []), "Suspend")
    assert suspend["type"] == "boolean"
    assert suspend["description"].startswith(
        "This flag tells the controller to suspend subsequent executions"
    )


def test_daemonsets() -> None:
    ds = {
        "metadata": meta("fluentd"),
        "spec": {
            "selector": {"matchLabels": {"app": "fluentd"}},
            "template": {
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "fluentd", "image": "fluentd:v1"}],
                }
            },
        },
        "status": {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 2,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    }
    assert printed(table("apps/v1", "DaemonSet", [ds]), wide=True) == [
        {
            "NAME": "fluentd",
            "DESIRED": 3,
            "CURRENT": 3,
            "READY": 2,
            "UP-TO-DATE": 3,
            "AVAILABLE": 2,
            "NODE SELECTOR": "kubernetes.io/os=linux",
            "AGE": "2d",
            "CONTAINERS": "fluentd",
            "IMAGES": "fluentd:v1",
            "SELECTOR": "app=fluentd",
        }
    ]
    fresh = {"metadata": meta("new"), "spec": {"template": {"spec": {"containers": []}}}}
    row = printed(table("apps/v1", "DaemonSet", [fresh]))[0]
    assert (row["DESIRED"], row["READY"], row["NODE SELECTOR"]) == (0, 0, "<none>")


def test_statefulsets() -> None:
    sts = {
        "metadata": meta("web"),
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
        "status": {"readyReplicas": 2},
    }
    assert printed(table("apps/v1", "StatefulSet", [sts]), wide=True) == [
        {"NAME": "web", "READY": "2/3", "AGE": "2d", "CONTAINERS": "nginx", "IMAGES": "nginx"}
    ]


def test_persistent_volume_claims() -> None:
    bound = {
        "metadata": meta("data"),
        "spec": {
            "volumeName": "pvc-1234",
            "storageClassName": "standard",
            "volumeMode": "Filesystem",
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {"phase": "Bound", "capacity": {"storage": "1024Mi"}, "accessModes": ["ReadWriteOnce"]},
    }
    pending = {
        "metadata": meta("waiting", annotations={"volume.beta.kubernetes.io/storage-class": "slow"}),
        "spec": {"storageClassName": "standard", "resources": {"requests": {"storage": "5Gi"}}},
        "status": {"phase": "Pending"},
    }
    rows = printed(table("v1", "PersistentVolumeClaim", [bound, pending]), wide=True)
    assert rows[0] == {
        "NAME": "data",
        "STATUS": "Bound",
        "VOLUME": "pvc-1234",
        "CAPACITY": "1Gi",
        "ACCESS MODES": "RWO",
        "STORAGECLASS": "standard",
        "VOLUMEATTRIBUTESCLASS": "<unset>",
        "AGE": "2d",
        "VOLUMEMODE": "Filesystem",
    }
    # an unbound claim shows no capacity; the beta annotation names the class before the field
    assert rows[1] == {
        "NAME": "waiting",
        "STATUS": "Pending",
        "VOLUME": "",
        "CAPACITY": "",
        "ACCESS MODES": "",
        "STORAGECLASS": "slow",
        "VOLUMEATTRIBUTESCLASS": "<unset>",
        "AGE": "2d",
        "VOLUMEMODE": "<unset>",
    }
    bound["metadata"]["deletionTimestamp"] = ago(seconds=5)
    assert printed(table("v1", "PersistentVolumeClaim", [bound]))[0]["STATUS"] == "Terminating"


def test_persistent_volumes() -> None:
    pv = {
        "metadata": meta("pv-1"),
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": "ray", "name": "data"},
            "storageClassName": "standard",
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    assert printed(table("v1", "PersistentVolume", [pv]), wide=True) == [
        {
            "NAME": "pv-1",
            "CAPACITY": "10Gi",
            "ACCESS MODES": "RWO,RWX",
            "RECLAIM POLICY": "Retain",
            "STATUS": "Bound",
            "CLAIM": "ray/data",
            "STORAGECLASS": "standard",
            "VOLUMEATTRIBUTESCLASS": "<unset>",
            "REASON": "",
            "AGE": "2d",
            "VOLUMEMODE": "Filesystem",
        }
    ]
    failed = {"metadata": meta("pv-2"), "spec": {}, "status": {"phase": "Failed", "reason": "Recycle failed"}}
    row = printed(table("v1", "PersistentVolume", [failed]))[0]
    assert (row["CAPACITY"], row["CLAIM"], row["STATUS"], row["REASON"]) == (
        "0",
        "",
        "Failed",
        "Recycle failed",
    )


def storage_class(name: str, days: float, default: bool = False, **fields: Any) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "metadata": {"name": name, "creationTimestamp": ago(days=days), "annotations": annotations},
        "provisioner": "rancher.io/local-path",
        **fields,
    }


def test_storage_classes_mark_the_effective_default_in_a_list() -> None:
    old_default = storage_class("old", 9, default=True)
    standard = storage_class(
        "standard", 2, default=True, reclaimPolicy="Retain", volumeBindingMode="WaitForFirstConsumer"
    )
    fast = storage_class("fast", 3, allowVolumeExpansion=True)
    rows = printed(table("storage.k8s.io/v1", "StorageClass", [fast, old_default, standard], listed=True))
    assert rows == [
        {
            "NAME": "fast",
            "PROVISIONER": "rancher.io/local-path",
            "RECLAIMPOLICY": "Delete",
            "VOLUMEBINDINGMODE": "Immediate",
            "ALLOWVOLUMEEXPANSION": True,
            "AGE": "3d",
        },
        {
            "NAME": "old",
            "PROVISIONER": "rancher.io/local-path",
            "RECLAIMPOLICY": "Delete",
            "VOLUMEBINDINGMODE": "Immediate",
            "ALLOWVOLUMEEXPANSION": False,
            "AGE": "9d",
        },
        {
            "NAME": "standard (default)",  # the newest of the classes marked default
            "PROVISIONER": "rancher.io/local-path",
            "RECLAIMPOLICY": "Retain",
            "VOLUMEBINDINGMODE": "WaitForFirstConsumer",
            "ALLOWVOLUMEEXPANSION": False,
            "AGE": "2d",
        },
    ]
    # one object (a get, or a watch event) is printed by itself: no default to mark
    assert printed(table("storage.k8s.io/v1", "StorageClass", [standard]))[0]["NAME"] == "standard"


def test_ingresses() -> None:
    ing = {
        "metadata": meta("web"),
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": h} for h in ("a.example", "", "b.example", "c.example", "d.example")],
            "tls": [{"hosts": ["a.example"]}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.9"}, {"hostname": "lb.example"}]}},
    }
    bare = {"metadata": meta("bare"), "spec": {"defaultBackend": {"service": {"name": "web"}}}}
    assert printed(table("networking.k8s.io/v1", "Ingress", [ing, bare])) == [
        {
            "NAME": "web",
            "CLASS": "nginx",
            "HOSTS": "a.example,b.example,c.example + 2 more...",
            "ADDRESS": "192.0.2.9,lb.example",
            "PORTS": "80, 443",
            "AGE": "2d",
        },
        {"NAME": "bare", "CLASS": "<none>", "HOSTS": "*", "ADDRESS": "", "PORTS": "80", "AGE": "2d"},
    ]


def test_ingress_classes() -> None:
    nginx = {
        "metadata": meta("nginx", annotations={"ingressclass.kubernetes.io/is-default-class": "true"}),
        "spec": {
            "controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"},
        },
    }
    plain = {"metadata": meta("plain"), "spec": {"controller": "example.com/ingress"}}
    assert printed(table("networking.k8s.io/v1", "IngressClass", [nginx, plain])) == [
        {
            "NAME": "nginx (default)",
            "CONTROLLER": "k8s.io/ingress-nginx",
            "PARAMETERS": "IngressParameters.k8s.example.com/external-lb",
            "AGE": "2d",
        },
        {"NAME": "plain", "CONTROLLER": "example.com/ingress", "PARAMETERS": "<none>", "AGE": "2d"},
    ]


def test_pod_disruption_budgets() -> None:
    pdbs = [
        {"metadata": meta("head"), "spec": {"minAvailable": 1}, "status": {"disruptionsAllowed": 0}},
        {"metadata": meta("workers"), "spec": {"maxUnavailable": "25%"}, "status": {"disruptionsAllowed": 2}},
    ]
    assert printed(table("policy/v1", "PodDisruptionBudget", pdbs)) == [
        {
            "NAME": "head",
            "MIN AVAILABLE": "1",
            "MAX UNAVAILABLE": "N/A",
            "ALLOWED DISRUPTIONS": 0,
            "AGE": "2d",
        },
        {
            "NAME": "workers",
            "MIN AVAILABLE": "N/A",
            "MAX UNAVAILABLE": "25%",
            "ALLOWED DISRUPTIONS": 2,
            "AGE": "2d",
        },
    ]


def test_priority_classes() -> None:
    pcs = [
        {"metadata": meta("high"), "value": 1000000, "preemptionPolicy": "PreemptLowerPriority"},
        {"metadata": meta("default"), "value": 0, "globalDefault": True},
    ]
    assert printed(table("scheduling.k8s.io/v1", "PriorityClass", pcs)) == [
        {
            "NAME": "high",
            "VALUE": 1000000,
            "GLOBAL-DEFAULT": False,
            "AGE": "2d",
            "PREEMPTIONPOLICY": "PreemptLowerPriority",
        },
        {"NAME": "default", "VALUE": 0, "GLOBAL-DEFAULT": True, "AGE": "2d", "PREEMPTIONPOLICY": ""},
    ]


def test_resource_quotas() -> None:
    quota = {
        "metadata": meta("compute"),
        "spec": {"hard": {"pods": "10"}},
        "status": {
            "hard": {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "pods": "10"},
            "used": {"requests.cpu": "500m", "requests.memory": "536870912", "pods": "3"},
        },
    }
    assert printed(table("v1", "ResourceQuota", [quota])) == [
        {
            "NAME": "compute",
            "REQUEST": "pods: 3/10, requests.cpu: 500m/1, requests.memory: 536870912/1Gi",
            "LIMIT": "limits.cpu: 0/2",
            "AGE": "2d",
        }
    ]


def test_endpoint_slices() -> None:
    eps = {
        "metadata": meta("web-abcde"),
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80}, {"name": "metrics"}, {}, {"port": 443}],
        "endpoints": [{"addresses": ["10.1.0.5"]}, {"addresses": ["10.1.0.6"]}],
    }
    empty = {"metadata": meta("none-xyz"), "addressType": "IPv6"}
    assert printed(table("discovery.k8s.io/v1", "EndpointSlice", [eps, empty])) == [
        {
            "NAME": "web-abcde",
            "ADDRESSTYPE": "IPv4",
            "PORTS": "80,metrics,* + 1 more...",
            "ENDPOINTS": "10.1.0.5,10.1.0.6",
            "AGE": "2d",
        },
        {"NAME": "none-xyz", "ADDRESSTYPE": "IPv6", "PORTS": "<unset>", "ENDPOINTS": "<unset>", "AGE": "2d"},
    ]


def test_network_policies() -> None:
    selector = {
        "matchLabels": {"role": "db"},
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}],
    }
    policies = [
        {"metadata": meta("db"), "spec": {"podSelector": selector}},
        {"metadata": meta("deny-all"), "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    ]
    assert printed(table("networking.k8s.io/v1", "NetworkPolicy", policies)) == [
        # requirements sorted by key, as labels.Selector prints them
        {"NAME": "db", "POD-SELECTOR": "app in (api,web),role=db", "AGE": "2d"},
        {"NAME": "deny-all", "POD-SELECTOR": "<none>", "AGE": "2d"},
    ]


def test_controller_revisions() -> None:
    owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u", "controller": True}
    revisions = [
        {"metadata": meta("web-7d4b9c", ownerReferences=[owner]), "revision": 2},
        {"metadata": meta("orphan"), "revision": 1},
    ]
    assert printed(table("apps/v1", "ControllerRevision", revisions)) == [
        {"NAME": "web-7d4b9c", "CONTROLLER": "statefulset.apps/web", "REVISION": 2, "AGE": "2d"},
        {"NAME": "orphan", "CONTROLLER": "<none>", "REVISION": 1, "AGE": "2d"},
    ]


def test_pod_templates() -> None:
    tmpl = {
        "metadata": meta("tmpl"),
        "template": {
            "metadata": {"labels": {"app": "web", "tier": "front"}},
            "spec": {
                "containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]
            },
        },
    }
    assert printed(table("v1", "PodTemplate", [tmpl])) == [
        {
            "NAME": "tmpl",
            "CONTAINERS": "nginx,log",
            "IMAGES": "nginx:1.27,busybox",
            "POD LABELS": "app=web,tier=front",
        }
    ]


def test_certificate_signing_requests() -> None:
    issued = {
        "metadata": meta("alice"),
        "spec": {
            "signerName": "kubernetes.io/kube-apiserver-client",
            "username": "kubernetes-admin",
            "expirationSeconds": 86400,
        },
        "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0tLS1CRUdJTi0="},
    }
    denied = {
        "metadata": meta("bob"),
        "spec": {"signerName": "example.com/signer", "username": "bob"},
        "status": {"conditions": [{"type": "Approved"}, {"type": "Denied"}, {"type": "Failed"}]},
    }
    pending = {"metadata": meta("carol"), "spec": {"username": "carol"}}
    assert printed(
        table("certificates.k8s.io/v1", "CertificateSigningRequest", [issued, denied, pending])
    ) == [
        {
            "NAME": "alice",
            "AGE": "2d",
            "SIGNERNAME": "kubernetes.io/kube-apiserver-client",
            "REQUESTOR": "kubernetes-admin",
            "REQUESTEDDURATION": "24h",
            "CONDITION": "Approved,Issued",
        },
        {
            "NAME": "bob",
            "AGE": "2d",
            "SIGNERNAME": "example.com/signer",
            "REQUESTOR": "bob",
            "REQUESTEDDURATION": "<none>",
            "CONDITION": "Denied,Failed",
        },
        {
            "NAME": "carol",
            "AGE": "2d",
            "SIGNERNAME": "<none>",
            "REQUESTOR": "carol",
            "REQUESTEDDURATION": "<none>",
            "CONDITION": "Pending",
        },
    ]


def test_runtime_classes_and_webhook_configurations() -> None:
    t = table("node.k8s.io/v1", "RuntimeClass", [{"metadata": meta("gvisor"), "handler": "runsc"}])
    assert printed(t) == [{"NAME": "gvisor", "HANDLER": "runsc", "AGE": "2d"}]
    # kube documents the column with a field ObjectMeta does not have
    assert column_of(t, "Handler")["description"] == ""
    webhooks = {"metadata": meta("hooks"), "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}]}
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        t = table("admissionregistration.k8s.io/v1", kind, [webhooks, {"metadata": meta("none")}])
        assert printed(t) == [
            {"NAME": "hooks", "WEBHOOKS": 2, "AGE": "2d"},
            {"NAME": "none", "WEBHOOKS": 0, "AGE": "2d"},
        ]


def test_leases() -> None:
    lease = {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "node-1_abc"}}
    assert printed(table("coordination.k8s.io/v1", "Lease", [lease])) == [
        {"NAME": "kube-scheduler", "HOLDER": "node-1_abc", "AGE": "2d"}
    ]


def test_csi_kinds_and_volume_attachments() -> None:
    driver = {
        "metadata": meta("csi.example.com"),
        "spec": {
            "attachRequired": False,
            "podInfoOnMount": True,
            "tokenRequests": [{"audience": "vault"}, {"audience": "gcp"}],
            "volumeLifecycleModes": ["Persistent", "Ephemeral"],
        },
    }
    assert printed(
        table("storage.k8s.io/v1", "CSIDriver", [driver, {"metadata": meta("plain"), "spec": {}}])
    ) == [
        {
            "NAME": "csi.example.com",
            "ATTACHREQUIRED": False,
            "PODINFOONMOUNT": True,
            "STORAGECAPACITY": False,
            "TOKENREQUESTS": "vault,gcp",
            "REQUIRESREPUBLISH": False,
            "MODES": "Persistent,Ephemeral",
            "AGE": "2d",
        },
        {
            "NAME": "plain",
            "ATTACHREQUIRED": True,
            "PODINFOONMOUNT": False,
            "STORAGECAPACITY": False,
            "TOKENREQUESTS": "<unset>",
            "REQUIRESREPUBLISH": False,
            "MODES": "<none>",
            "AGE": "2d",
        },
    ]
    node = {"metadata": meta("node-1"), "spec": {"drivers": [{"name": "csi.example.com", "nodeID": "n1"}]}}
    assert printed(table("storage.k8s.io/v1", "CSINode", [node])) == [
        {"NAME": "node-1", "DRIVERS": 1, "AGE": "2d"}
    ]
    attachment = {
        "metadata": meta("csi-0123"),
        "spec": {
            "attacher": "csi.example.com",
            "nodeName": "node-1",
            "source": {"persistentVolumeName": "pv-1"},
        },
        "status": {"attached": True},
    }
    t = table("storage.k8s.io/v1", "VolumeAttachment", [attachment])
    assert printed(t) == [
        {
            "NAME": "csi-0123",
            "ATTACHER": "csi.example.com",
            "PV": "pv-1",
            "NODE": "node-1",
            "ATTACHED": True,
            "AGE": "2d",
        }
    ]
    assert column_of(t, "Attacher")["format"] == "name"
