"""Metadata and built-in kind validation reject what a real API server rejects, with its messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.kinds import Registry, ResourceInfo
from localkube.apiserver.metadata import pod_update_forbidden, validate_metadata
from localkube.apiserver.strategies import BUILTIN, validate_builtin

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def messages(errs: list[FieldError]) -> list[str]:
    return [e.message() for e in errs]


def obj(**meta: Any) -> dict[str, Any]:
    return {"metadata": meta}


def test_valid_metadata_has_no_errors() -> None:
    good = obj(
        name="ray-head.v1",
        namespace="default",
        labels={"ray.io/cluster": "demo", "app": ""},
        annotations={"Example.com/Note": "x"},
        finalizers=["ray.io/finalizer"],
    )
    assert validate_metadata(good, namespaced=True, name_rule="subdomain") == []


@pytest.mark.parametrize(
    ("meta", "namespaced", "rule", "expected"),
    [
        (
            {"namespace": "default"},
            True,
            "subdomain",
            "metadata.name: Required value: name or generateName is required",
        ),
        (
            {"name": "Bad_Name", "namespace": "d"},
            True,
            "subdomain",
            f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}',
        ),
        (
            {"name": "a.b", "namespace": "d"},
            True,
            "label",
            f'metadata.name: Invalid value: "a.b": {LABEL_MSG}',
        ),
        (
            {"name": "x" * 64},
            False,
            "label",
            f'metadata.name: Invalid value: "{"x" * 64}": must be no more than 63 characters',
        ),
        (
            {"name": "a/b"},
            False,
            "path-segment",
            "metadata.name: Invalid value: \"a/b\": may not contain '/'",
        ),
        ({"name": ".."}, False, "path-segment", "metadata.name: Invalid value: \"..\": may not be '..'"),
        ({"name": "x"}, True, "subdomain", "metadata.namespace: Required value"),
        (
            {"name": "x", "namespace": "d"},
            False,
            "subdomain",
            "metadata.namespace: Forbidden: not allowed on this type",
        ),
        (
            {"generateName": "Ray-", "namespace": "d"},
            True,
            "subdomain",
            'metadata.generateName: Invalid value: "Ray-"',
        ),
    ],
)
def test_metadata_errors(meta: dict[str, Any], namespaced: bool, rule: str, expected: str) -> None:
    got = messages(validate_metadata(obj(**meta), namespaced=namespaced, name_rule=rule))
    assert any(m.startswith(expected) for m in got), got


def test_generate_name_may_end_with_dash() -> None:
    assert (
        validate_metadata(
            obj(generateName="ray-worker-", namespace="d"), namespaced=True, name_rule="subdomain"
        )
        == []
    )


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        (
            {"-bad": "x"},
            'metadata.labels: Invalid value: "-bad": name part must consist of alphanumeric characters',
        ),
        ({"a/b/c": "x"}, "a qualified name must consist of alphanumeric characters"),
        ({"Bad.Prefix/x": "x"}, "prefix part a lowercase RFC 1123 subdomain"),
        ({"/x": "x"}, "prefix part must be non-empty"),
        (
            {"ok": "bad value"},
            'metadata.labels: Invalid value: "bad value": a valid label must be an empty string',
        ),
        ({"ok": "v" * 64}, "must be no more than 63 characters"),
    ],
)
def test_label_errors(labels: dict[str, str], fragment: str) -> None:
    got = messages(validate_metadata(obj(name="x", labels=labels), namespaced=False, name_rule="subdomain"))
    assert any(fragment in m for m in got), got


def test_annotations_over_256k_are_too_long() -> None:
    big = obj(name="crd", annotations={"kubectl.kubernetes.io/last-applied-configuration": "x" * 262144})
    got = messages(validate_metadata(big, namespaced=False, name_rule="subdomain"))
    assert got == ["metadata.annotations: Too long: may not be more than 262144 bytes"]
    fits = obj(name="crd", annotations={"k": "x" * (262144 - 1)})
    assert validate_metadata(fits, namespaced=False, name_rule="subdomain") == []


def name_rule_for(kind: str) -> str:
    """The name rule the kinds table declares for a built-in kind; a custom resource's is the default."""
    found = [i for i in Registry(BUILTIN).all() if i.kind == kind and not i.custom]
    if found:
        return found[0].name_rule
    return ResourceInfo("ray.io", "v1", kind, kind.lower() + "s", kind.lower(), True, custom=True).name_rule


def test_name_rules_by_kind() -> None:
    assert name_rule_for("Namespace") == "label"
    assert name_rule_for("Service") == "label"
    assert name_rule_for("ClusterRole") == "path-segment"
    assert name_rule_for("Pod") == "subdomain"
    assert name_rule_for("RayCluster") == "subdomain"


# --- built-in kinds ------------------------------------------------------------------------------


def good_pod() -> dict[str, Any]:
    return {
        "spec": {
            "volumes": [{"name": "data", "emptyDir": {}}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [
                {
                    "name": "ray-head",
                    "image": "rayproject/ray",
                    "ports": [{"name": "gcs", "containerPort": 6379, "protocol": "TCP"}],
                    "env": [{"name": "RAY_ADDRESS", "value": "x"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }
            ],
            "restartPolicy": "Always",
        }
    }


def pod_errors(mutate: Any) -> list[str]:
    p = good_pod()
    mutate(p["spec"])
    return messages(validate_builtin("v1", "Pod", p))


def test_good_pod_is_valid() -> None:
    assert validate_builtin("v1", "Pod", good_pod()) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s.update(containers=[]), "spec.containers: Required value"),
        (lambda s: s["containers"][0].pop("name"), "spec.containers[0].name: Required value"),
        (
            lambda s: s["containers"][0].update(name="Head"),
            'spec.containers[0].name: Invalid value: "Head": a lowercase RFC 1123 label',
        ),
        (
            lambda s: s["containers"][0].update(name="init"),
            'spec.containers[0].name: Duplicate value: "init"',
        ),
        (lambda s: s["containers"][0].pop("image"), "spec.containers[0].image: Required value"),
        (
            lambda s: s["containers"][0]["ports"][0].update(containerPort=70000),
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
            "must be between 1 and 65535, inclusive",
        ),
        (
            lambda s: s["containers"][0]["ports"].append({"name": "gcs", "containerPort": 1}),
            'spec.containers[0].ports[1].name: Duplicate value: "gcs"',
        ),
        (
            lambda s: s["containers"][0]["ports"][0].update(protocol="HTTP"),
            'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": '
            'supported values: "SCTP", "TCP", "UDP"',
        ),
        (
            lambda s: s.update(restartPolicy="Sometimes"),
            'spec.restartPolicy: Unsupported value: "Sometimes": '
            'supported values: "Always", "OnFailure", "Never"',
        ),
        (
            lambda s: s["volumes"].append({"name": "data", "emptyDir": {}}),
            'spec.volumes[1].name: Duplicate value: "data"',
        ),
        (
            lambda s: s["containers"][0]["volumeMounts"][0].update(name="nope"),
            "spec.containers[0].volumeMounts[0].name",
        ),
        (
            lambda s: s["volumes"].append({"name": "empty"}),
            "spec.volumes[1]: Required value: must specify a volume type",
        ),
    ],
)
def test_pod_errors(mutate: Any, expected: str) -> None:
    got = pod_errors(mutate)
    assert any(m.startswith(expected) for m in got), got


def test_mount_of_missing_volume_is_not_found() -> None:
    p = good_pod()
    p["spec"]["containers"][0]["volumeMounts"][0]["name"] = "nope"
    errs = validate_builtin("v1", "Pod", p)
    assert [(e.path, e.reason) for e in errs] == [
        ("spec.containers[0].volumeMounts[0].name", "FieldValueNotFound")
    ]


def test_deployment_template_is_validated_at_its_path() -> None:
    dep = {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
    got = messages(validate_builtin("apps/v1", "Deployment", dep))
    assert got == ["spec.template.spec.containers[0].image: Required value"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"ports": [{"port": 80}]}, None),
        ({"clusterIP": "None"}, None),
        ({"type": "ExternalName", "externalName": "example.com"}, None),
        ({}, "spec.ports: Required value"),
        (
            {"ports": [{"port": 0}]},
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        ),
        ({"ports": [{"port": 80, "name": "a"}, {"port": 81}]}, "spec.ports[1].name: Required value"),
        (
            {"ports": [{"port": 80, "name": "a"}, {"port": 81, "name": "a"}]},
            'spec.ports[1].name: Duplicate value: "a"',
        ),
        ({"ports": [{"port": 80, "protocol": "ICMP"}]}, 'spec.ports[0].protocol: Unsupported value: "ICMP"'),
        (
            {"type": "Magic", "ports": [{"port": 80}]},
            'spec.type: Unsupported value: "Magic": '
            'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        ),
        ({"type": "ExternalName"}, "spec.externalName: Required value"),
    ],
)
def test_service_rules(spec: dict[str, Any], expected: str | None) -> None:
    got = messages(validate_builtin("v1", "Service", {"spec": spec}))
    if expected is None:
        assert got == []
    else:
        assert any(m.startswith(expected) for m in got), got


def test_configmap_and_secret_keys() -> None:
    assert validate_builtin("v1", "ConfigMap", {"data": {"ok.key_-1": "v"}}) == []
    got = messages(validate_builtin("v1", "ConfigMap", {"data": {"bad key": "v"}}))
    assert got[0].startswith(
        'data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric'
    )
    got = messages(validate_builtin("v1", "ConfigMap", {"data": {"a": "1"}, "binaryData": {"a": "MQ=="}}))
    assert any("duplicate of key present in data" in m for m in got)
    assert validate_builtin("v1", "Secret", {"data": {"token": "c2VjcmV0"}}) == []
    got = messages(validate_builtin("v1", "Secret", {"data": {"token": "not base64!"}}))
    assert got and "illegal base64 data" in got[0]
    got = messages(
        validate_builtin("v1", "Secret", {"type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}})
    )
    assert got == ["data[tls.key]: Required value"]


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("Role", {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}, []),
        (
            "Role",
            {"rules": [{"apiGroups": [""], "resources": ["pods"]}]},
            ["rules[0].verbs: Required value: verbs must contain at least one value"],
        ),
        (
            "Role",
            {"rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]},
            [
                'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: '
                "namespaced rules cannot apply to non-resource URLs"
            ],
        ),
        ("ClusterRole", {"rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}, []),
        (
            "ClusterRole",
            {"rules": [{"verbs": ["get"]}]},
            [
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[0].resources: Required value: resource rules must supply at least one resource",
            ],
        ),
    ],
)
def test_rbac_role_rules(kind: str, body: dict[str, Any], expected: list[str]) -> None:
    assert messages(validate_builtin("rbac.authorization.k8s.io/v1", kind, body)) == expected


def test_role_binding_rules() -> None:
    good = {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "ray", "namespace": "ns"}],
    }
    assert validate_builtin("rbac.authorization.k8s.io/v1", "RoleBinding", good) == []
    got = messages(validate_builtin("rbac.authorization.k8s.io/v1", "RoleBinding", {"subjects": []}))
    assert "roleRef.name: Required value" in got
    assert 'roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"' in got
    crb = copy.deepcopy(good)
    crb["subjects"][0].pop("namespace")
    got = messages(validate_builtin("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", crb))
    assert got == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
    ]
    bad_subject = copy.deepcopy(good)
    bad_subject["subjects"] = [{"kind": "Robot", "name": "r"}]
    got = messages(validate_builtin("rbac.authorization.k8s.io/v1", "RoleBinding", bad_subject))
    assert got == [
        'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'
    ]


def test_lease_durations() -> None:
    assert validate_builtin("coordination.k8s.io/v1", "Lease", {"spec": {"leaseDurationSeconds": 15}}) == []
    got = messages(validate_builtin("coordination.k8s.io/v1", "Lease", {"spec": {"leaseDurationSeconds": 0}}))
    assert got == ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]


def test_unknown_kinds_have_no_extra_rules() -> None:
    assert validate_builtin("ray.io/v1", "RayCluster", {"spec": {"anything": True}}) == []


# --- pod updates ---------------------------------------------------------------------------------


def test_pod_update_may_change_images_and_add_tolerations() -> None:
    old = good_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "rayproject/ray:2"
    new["spec"]["initContainers"][0]["image"] = "busybox:2"
    new["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists"}]
    new["spec"]["activeDeadlineSeconds"] = 60
    assert pod_update_forbidden(old, new) == []


def test_pod_update_may_not_change_other_fields() -> None:
    old = good_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["ports"][0]["containerPort"] = 6380
    errs = pod_update_forbidden(old, new)
    assert len(errs) == 1
    assert errs[0].path == "spec"
    assert (
        errs[0]
        .message()
        .startswith(
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
            "`spec.tolerations` (only additions to "
            "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
            "previously negative)"
        )
    )
    new = copy.deepcopy(old)
    new["spec"]["containers"].append({"name": "extra", "image": "x"})
    assert [e.path for e in pod_update_forbidden(old, new)] == ["spec"]


def test_pod_update_may_not_remove_tolerations() -> None:
    old = good_pod()
    old["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists"}]
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = []
    assert [e.path for e in pod_update_forbidden(old, new)] == ["spec.tolerations"]


def test_pod_update_without_init_containers_changing_only_an_image_is_allowed() -> None:
    old = {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}
    new = {"spec": {"containers": [{"name": "a", "image": "x:2"}]}}
    assert pod_update_forbidden(old, new) == []
