"""`kubectl get` of the kinds kube-apiserver prints with their own columns beyond the long-standing
ones (certificates, admission policies, API priority and fairness, service IPs, dynamic resource
allocation, storage migration): the columns and cells a real cluster sends."""

from __future__ import annotations

from typing import Any

import pytest

from support.tables import ago, column_of, meta, printed, table

ADMISSION = "admissionregistration.k8s.io/v1"
FLOWCONTROL = "flowcontrol.apiserver.k8s.io/v1"
RESOURCE = "resource.k8s.io/v1"


@pytest.mark.parametrize(
    ("api_version", "kind", "headers"),
    [
        ("certificates.k8s.io/v1", "ClusterTrustBundle", ["NAME", "SIGNERNAME"]),
        (
            "certificates.k8s.io/v1",
            "PodCertificateRequest",
            [
                "NAME",
                "PODNAME",
                "SERVICEACCOUNTNAME",
                "NODENAME",
                "SIGNERNAME",
                "STATE",
                "UNVERIFIEDUSERANNOTATIONS",
            ],
        ),
        ("storagemigration.k8s.io/v1", "StorageVersionMigration", ["NAME", "RESOURCE", "STATUS"]),
        ("storage.k8s.io/v1", "VolumeAttributesClass", ["NAME", "DRIVERNAME", "AGE"]),
        # its registry uses kube's default columns, not the printer printers.go has for it
        ("storage.k8s.io/v1", "CSIStorageCapacity", ["NAME", "CREATED AT"]),
        (ADMISSION, "ValidatingAdmissionPolicy", ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"]),
        (ADMISSION, "MutatingAdmissionPolicy", ["NAME", "MUTATIONS", "PARAMKIND", "AGE"]),
        (ADMISSION, "ValidatingAdmissionPolicyBinding", ["NAME", "POLICYNAME", "PARAMREF", "AGE"]),
        (ADMISSION, "MutatingAdmissionPolicyBinding", ["NAME", "POLICYNAME", "PARAMREF", "AGE"]),
        (
            FLOWCONTROL,
            "FlowSchema",
            ["NAME", "PRIORITYLEVEL", "MATCHINGPRECEDENCE", "DISTINGUISHERMETHOD", "AGE", "MISSINGPL"],
        ),
        (
            FLOWCONTROL,
            "PriorityLevelConfiguration",
            ["NAME", "TYPE", "NOMINALCONCURRENCYSHARES", "QUEUES", "HANDSIZE", "QUEUELENGTHLIMIT", "AGE"],
        ),
        ("networking.k8s.io/v1", "ServiceCIDR", ["NAME", "CIDRS", "AGE"]),
        ("networking.k8s.io/v1", "IPAddress", ["NAME", "PARENTREF"]),
        (RESOURCE, "DeviceClass", ["NAME", "AGE"]),
        (RESOURCE, "ResourceClaim", ["NAME", "STATE", "AGE"]),
        (RESOURCE, "ResourceClaimTemplate", ["NAME", "AGE"]),
        (RESOURCE, "ResourceSlice", ["NAME", "NODE", "DRIVER", "POOL", "AGE"]),
        (RESOURCE, "DeviceTaintRule", ["NAME", "KEY", "VALUE", "EFFECT", "TIMEADDED", "AGE"]),
    ],
)
def test_kubectl_get_headers(api_version: str, kind: str, headers: list[str]) -> None:
    cols = table(api_version, kind, [])["columnDefinitions"]
    assert [c["name"].upper() for c in cols] == headers
    assert all(c["priority"] == 0 for c in cols)


def test_cluster_trust_bundles() -> None:
    signed = {
        "metadata": meta("example.com:foo:abc"),
        "spec": {"signerName": "example.com/foo", "trustBundle": "x"},
    }
    plain = {"metadata": meta("roots"), "spec": {"trustBundle": "x"}}
    t = table("certificates.k8s.io/v1", "ClusterTrustBundle", [signed, plain])
    assert printed(t) == [
        {"NAME": "example.com:foo:abc", "SIGNERNAME": "example.com/foo"},
        {"NAME": "roots", "SIGNERNAME": "<none>"},
    ]
    assert column_of(t, "SignerName")["description"].startswith(
        "signerName indicates the associated signer, if"
    )


def test_pod_certificate_requests() -> None:
    spec = {
        "podName": "web-0",
        "serviceAccountName": "web",
        "nodeName": "node-1",
        "signerName": "example.com/pod-signer",
        "unverifiedUserAnnotations": {"example.com/team": "b", "example.com/app": "a"},
    }
    issued = {
        "metadata": meta("web-0-abc"),
        "spec": spec,
        "status": {"conditions": [{"type": "Issued", "status": "True"}]},
    }
    pending = {"metadata": meta("web-1-abc"), "spec": {**spec, "unverifiedUserAnnotations": {}}}
    failed = {"metadata": meta("web-2-abc"), "spec": spec, "status": {"conditions": [{"type": "Failed"}]}}
    t = table("certificates.k8s.io/v1", "PodCertificateRequest", [issued, pending, failed])
    row = {
        "PODNAME": "web-0",
        "SERVICEACCOUNTNAME": "web",
        "NODENAME": "node-1",
        "SIGNERNAME": "example.com/pod-signer",
    }
    assert printed(t) == [
        {
            "NAME": "web-0-abc",
            **row,
            "STATE": "Issued",
            "UNVERIFIEDUSERANNOTATIONS": "example.com/app=a,example.com/team=b",
        },
        {"NAME": "web-1-abc", **row, "STATE": "Pending", "UNVERIFIEDUSERANNOTATIONS": "<none>"},
        {
            "NAME": "web-2-abc",
            **row,
            "STATE": "Failed",
            "UNVERIFIEDUSERANNOTATIONS": "example.com/app=a,example.com/team=b",
        },
    ]


def test_storage_version_migrations() -> None:
    done = {
        "metadata": meta("deployments"),
        "spec": {"resource": {"group": "apps", "resource": "deployments"}},
        "status": {
            "conditions": [
                {"type": "Running", "status": "False"},
                {"type": "Succeeded", "status": "True"},
            ]
        },
    }
    waiting = {
        "metadata": meta("secrets"),
        "spec": {"resource": {"resource": "secrets"}},
        "status": {"conditions": [{"type": "Failed", "status": "False"}]},
    }
    t = table("storagemigration.k8s.io/v1", "StorageVersionMigration", [done, waiting])
    assert printed(t) == [
        {"NAME": "deployments", "RESOURCE": "deployments.apps", "STATUS": "Succeeded"},
        {"NAME": "secrets", "RESOURCE": "secrets", "STATUS": "Unknown"},
    ]
    # kube declares this name column without the name format
    assert column_of(t, "Name")["format"] == ""


def test_volume_attributes_classes() -> None:
    vac = {"metadata": meta("gold"), "driverName": "csi.example.com", "parameters": {"iops": "3000"}}
    assert printed(table("storage.k8s.io/v1", "VolumeAttributesClass", [vac])) == [
        {"NAME": "gold", "DRIVERNAME": "csi.example.com", "AGE": "2d"}
    ]


def test_admission_policies_count_their_rules_and_name_their_param_kind() -> None:
    validating = {
        "metadata": meta("replicas-limit"),
        "spec": {
            "paramKind": {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
            "validations": [
                {"expression": "object.spec.replicas <= params.maxReplicas"},
                {"expression": "true"},
            ],
        },
    }
    bare = {"metadata": meta("bare"), "spec": {"validations": [{"expression": "true"}]}}
    assert printed(table(ADMISSION, "ValidatingAdmissionPolicy", [validating, bare])) == [
        {
            "NAME": "replicas-limit",
            "VALIDATIONS": 2,
            "PARAMKIND": "rules.example.com/v1/ReplicaLimit",
            "AGE": "2d",
        },
        {"NAME": "bare", "VALIDATIONS": 1, "PARAMKIND": "<unset>", "AGE": "2d"},
    ]
    mutating = {"metadata": meta("sidecar"), "spec": {"mutations": [{"patchType": "ApplyConfiguration"}]}}
    t = table(ADMISSION, "MutatingAdmissionPolicy", [mutating])
    assert printed(t) == [{"NAME": "sidecar", "MUTATIONS": 1, "PARAMKIND": "<unset>", "AGE": "2d"}]
    assert column_of(t, "Mutations")["type"] == "integer"


def binding(name: str, param_ref: dict[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"policyName": "replicas-limit", "validationActions": ["Deny"]}
    if param_ref is not None:
        spec["paramRef"] = {**param_ref, "parameterNotFoundAction": "Deny"}
    return {"metadata": meta(name), "spec": spec}


@pytest.mark.parametrize("kind", ["ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicyBinding"])
def test_policy_bindings_show_their_param_ref(kind: str) -> None:
    selector = {
        "matchLabels": {"env": "prod", "app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "x", "operator": "Exists"},
        ],
    }
    bindings = [
        binding("in-namespace", {"name": "limits", "namespace": "team-a"}),
        binding("any-namespace", {"name": "limits"}),
        binding("selected", {"selector": selector}),
        binding("empty-selector", {"selector": {}}),
        binding("unset", None),
    ]
    assert [row["PARAMREF"] for row in printed(table(ADMISSION, kind, bindings))] == [
        "team-a/limits",
        # the binding cannot tell a cluster-scoped param from one in each request's namespace
        "*/limits",
        # the selector's Go struct dump, as kube prints it
        "&LabelSelector{MatchLabels:map[string]string{app: web,env: prod,},"
        "MatchExpressions:[]LabelSelectorRequirement{"
        "LabelSelectorRequirement{Key:tier,Operator:In,Values:[a b],},"
        "LabelSelectorRequirement{Key:x,Operator:Exists,Values:[],},},}",
        "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}",
        "<unset>",
    ]
    assert printed(table(ADMISSION, kind, bindings[:1]))[0]["POLICYNAME"] == "replicas-limit"


def flow_schema(name: str, precedence: int, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": meta(name),
        "spec": {
            "priorityLevelConfiguration": {"name": "workload-low"},
            "matchingPrecedence": precedence,
            **spec,
        },
    }


def test_flow_schemas_list_in_matching_order() -> None:
    by_user = flow_schema("service-accounts", 9000, distinguisherMethod={"type": "ByUser"})
    by_user["status"] = {"conditions": [{"type": "Dangling", "status": "False"}]}
    schemas = [by_user, flow_schema("global-default", 9900), flow_schema("catch-all", 9000)]
    t = table(FLOWCONTROL, "FlowSchema", schemas, listed=True)
    assert printed(t) == [
        {
            "NAME": "catch-all",
            "PRIORITYLEVEL": "workload-low",
            "MATCHINGPRECEDENCE": 9000,
            "DISTINGUISHERMETHOD": "<none>",
            "AGE": "2d",
            # before the server's configuration controller has looked at the priority level
            "MISSINGPL": "?",
        },
        {
            "NAME": "service-accounts",
            "PRIORITYLEVEL": "workload-low",
            "MATCHINGPRECEDENCE": 9000,
            "DISTINGUISHERMETHOD": "ByUser",
            "AGE": "2d",
            "MISSINGPL": "False",
        },
        {
            "NAME": "global-default",
            "PRIORITYLEVEL": "workload-low",
            "MATCHINGPRECEDENCE": 9900,
            "DISTINGUISHERMETHOD": "<none>",
            "AGE": "2d",
            "MISSINGPL": "?",
        },
    ]
    # the rows carry the objects in that order too
    assert [
        row["object"]["metadata"]["name"]
        for row in table(FLOWCONTROL, "FlowSchema", schemas, include="Metadata", listed=True)["rows"]
    ] == ["catch-all", "service-accounts", "global-default"]


def test_priority_levels_show_their_limits() -> None:
    queuing = {
        "metadata": meta("workload-low"),
        "spec": {
            "type": "Limited",
            "limited": {
                "nominalConcurrencyShares": 100,
                "limitResponse": {
                    "type": "Queue",
                    "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50},
                },
            },
        },
    }
    rejecting = {
        "metadata": meta("catch-all"),
        "spec": {
            "type": "Limited",
            "limited": {"nominalConcurrencyShares": 5, "limitResponse": {"type": "Reject"}},
        },
    }
    exempt = {"metadata": meta("exempt"), "spec": {"type": "Exempt", "exempt": {}}}
    assert printed(table(FLOWCONTROL, "PriorityLevelConfiguration", [queuing, rejecting, exempt])) == [
        {
            "NAME": "workload-low",
            "TYPE": "Limited",
            "NOMINALCONCURRENCYSHARES": 100,
            "QUEUES": 128,
            "HANDSIZE": 6,
            "QUEUELENGTHLIMIT": 50,
            "AGE": "2d",
        },
        {
            "NAME": "catch-all",
            "TYPE": "Limited",
            "NOMINALCONCURRENCYSHARES": 5,
            "QUEUES": "<none>",
            "HANDSIZE": "<none>",
            "QUEUELENGTHLIMIT": "<none>",
            "AGE": "2d",
        },
        {
            "NAME": "exempt",
            "TYPE": "Exempt",
            "NOMINALCONCURRENCYSHARES": "<none>",
            "QUEUES": "<none>",
            "HANDSIZE": "<none>",
            "QUEUELENGTHLIMIT": "<none>",
            "AGE": "2d",
        },
    ]


def test_service_cidrs_and_ip_addresses() -> None:
    cidr = {"metadata": meta("kubernetes"), "spec": {"cidrs": ["10.96.0.0/12", "fd00:10:96::/112"]}}
    assert printed(table("networking.k8s.io/v1", "ServiceCIDR", [cidr])) == [
        {"NAME": "kubernetes", "CIDRS": "10.96.0.0/12,fd00:10:96::/112", "AGE": "2d"}
    ]
    service_ip = {
        "metadata": meta("10.96.0.10"),
        "spec": {
            "parentRef": {"group": "", "resource": "services", "namespace": "kube-system", "name": "kube-dns"}
        },
    }
    gateway_ip = {
        "metadata": meta("10.0.0.5"),
        "spec": {"parentRef": {"group": "Gateway.Networking.k8s.io", "resource": "Gateways", "name": "edge"}},
    }
    orphan = {"metadata": meta("10.96.0.99"), "spec": {}}
    t = table("networking.k8s.io/v1", "IPAddress", [service_ip, gateway_ip, orphan])
    # kube's row has an age cell beyond its two columns
    assert [row["cells"] for row in t["rows"]] == [
        ["10.96.0.10", "services/kube-system/kube-dns", "2d"],
        ["10.0.0.5", "gateways.gateway.networking.k8s.io/edge", "2d"],
        ["10.96.0.99", "<none>", "2d"],
    ]


def claim(name: str, status: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {"metadata": meta(name, **metadata), "spec": {"devices": {}}, "status": status or {}}


def test_resource_claims_summarise_their_state() -> None:
    allocation = {
        "devices": {
            "results": [{"request": "gpu", "driver": "gpu.example.com", "pool": "n1", "device": "g0"}]
        }
    }
    claims = [
        claim("waiting"),
        claim("allocated", {"allocation": allocation}),
        claim(
            "in-use",
            {"allocation": allocation, "reservedFor": [{"resource": "pods", "name": "p", "uid": "u"}]},
        ),
        claim("going", deletionTimestamp=ago(seconds=5)),
        claim(
            "going-in-use",
            {"allocation": allocation, "reservedFor": [{"resource": "pods", "name": "p", "uid": "u"}]},
            deletionTimestamp=ago(seconds=5),
        ),
    ]
    assert [(r["NAME"], r["STATE"]) for r in printed(table(RESOURCE, "ResourceClaim", claims))] == [
        ("waiting", "pending"),
        ("allocated", "allocated"),
        ("in-use", "allocated,reserved"),
        ("going", "deleted"),
        ("going-in-use", "deleted,allocated,reserved"),
    ]


def test_device_classes_templates_slices_and_taint_rules() -> None:
    assert printed(table(RESOURCE, "DeviceClass", [{"metadata": meta("gpu.example.com"), "spec": {}}])) == [
        {"NAME": "gpu.example.com", "AGE": "2d"}
    ]
    template = {"metadata": meta("one-gpu"), "spec": {"spec": {"devices": {}}}}
    assert printed(table(RESOURCE, "ResourceClaimTemplate", [template])) == [{"NAME": "one-gpu", "AGE": "2d"}]
    pool = {"name": "node-1", "generation": 1, "resourceSliceCount": 1}
    on_node = {
        "metadata": meta("node-1-gpu"),
        "spec": {"driver": "gpu.example.com", "nodeName": "node-1", "pool": pool},
    }
    everywhere = {
        "metadata": meta("net"),
        "spec": {"driver": "net.example.com", "allNodes": True, "pool": {**pool, "name": "fabric"}},
    }
    assert printed(table(RESOURCE, "ResourceSlice", [on_node, everywhere])) == [
        {"NAME": "node-1-gpu", "NODE": "node-1", "DRIVER": "gpu.example.com", "POOL": "node-1", "AGE": "2d"},
        {"NAME": "net", "NODE": "", "DRIVER": "net.example.com", "POOL": "fabric", "AGE": "2d"},
    ]
    rule = {
        "metadata": meta("drain-gpu-0"),
        "spec": {
            "taint": {
                "key": "example.com/unhealthy",
                "value": "ecc",
                "effect": "NoExecute",
                "timeAdded": ago(hours=3),
            }
        },
    }
    untimed = {
        "metadata": meta("mark"),
        "spec": {"taint": {"key": "example.com/maintenance", "effect": "None"}},
    }
    assert printed(table(RESOURCE, "DeviceTaintRule", [rule, untimed])) == [
        {
            "NAME": "drain-gpu-0",
            "KEY": "example.com/unhealthy",
            "VALUE": "ecc",
            "EFFECT": "NoExecute",
            "TIMEADDED": "3h",
            "AGE": "2d",
        },
        {
            "NAME": "mark",
            "KEY": "example.com/maintenance",
            "VALUE": "",
            "EFFECT": "None",
            "TIMEADDED": "",
            "AGE": "2d",
        },
    ]
