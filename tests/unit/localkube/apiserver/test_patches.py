"""JSON, merge and strategic-merge patches give what `kubectl patch` gives on a real cluster."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from localkube.apiserver.patches import (
    PatchError,
    UnsupportedPatch,
    json_patch,
    merge_key_of,
    merge_patch,
    strategic_merge_patch,
)


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "ray"}, "finalizers": ["a/x"]},
        "spec": {
            "containers": [
                {
                    "name": "head",
                    "image": "ray:1",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                },
                {"name": "sidecar", "image": "log:1"},
            ],
        },
    }
    base["spec"].update(spec)
    return base


def names(items: list[dict[str, Any]], key: str = "name") -> list[Any]:
    return [i[key] for i in items]


# --- JSON patch ----------------------------------------------------------------------------------


def test_json_patch_applies_ops_in_order() -> None:
    doc = pod()
    out = json_patch(
        doc,
        [
            {"op": "test", "path": "/metadata/name", "value": "p"},
            {"op": "add", "path": "/metadata/labels/tier", "value": "head"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "ray:2"},
            {"op": "remove", "path": "/spec/containers/1"},
            {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/labels/copy"},
            {"op": "move", "from": "/metadata/labels/copy", "path": "/metadata/labels/moved"},
        ],
    )
    assert out["metadata"]["labels"] == {"app": "ray", "tier": "head", "moved": "ray"}
    assert names(out["spec"]["containers"]) == ["head"]
    assert out["spec"]["containers"][0]["image"] == "ray:2"
    assert doc == pod(), "input must not change"


@pytest.mark.parametrize(
    ("ops", "code", "message"),
    [
        (
            [{"op": "test", "path": "/metadata/name", "value": "other"}],
            422,
            "testing value /metadata/name failed",
        ),
        ([{"op": "remove", "path": "/metadata/nothing"}], 422, "unable to remove nonexistent key: nothing"),
        (
            [{"op": "replace", "path": "/spec/containers/5", "value": 1}],
            422,
            "doc is missing key: /spec/containers/5",
        ),
        (
            [{"op": "replace", "path": "/spec/no/thing", "value": 1}],
            422,
            "doc is missing path: /spec/no/thing",
        ),
        ([{"op": "add", "path": "/a/b/c", "value": 1}], 422, 'doc is missing path: "/a/b/c"'),
        ([{"op": "jump", "path": "/a"}], 400, "Unexpected kind: jump"),
        ({"op": "add"}, 400, "cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ],
)
def test_json_patch_failures(ops: Any, code: int, message: str) -> None:
    with pytest.raises(PatchError) as err:
        json_patch(pod(), ops)
    assert err.value.code == code
    assert message in str(err.value)


def test_replace_sets_a_missing_member_of_an_existing_object() -> None:
    # evanphx/json-patch v4 (the API server's) does; Ray's autoscaler replaces a worker group's
    # scaleStrategy that the RayCluster may not have yet
    out = json_patch(pod(), [{"op": "replace", "path": "/spec/nodeName", "value": "n1"}])
    assert out["spec"]["nodeName"] == "n1"


def test_failed_test_op_applies_nothing() -> None:
    doc = pod()
    with pytest.raises(PatchError):
        json_patch(
            doc,
            [
                {"op": "add", "path": "/metadata/labels/x", "value": "y"},
                {"op": "test", "path": "/kind", "value": "Node"},
            ],
        )
    assert doc == pod()


# --- merge patch ---------------------------------------------------------------------------------


def test_merge_patch_merges_maps_deletes_nulls_replaces_lists() -> None:
    doc = pod()
    out = merge_patch(
        doc,
        {"metadata": {"labels": {"app": None, "tier": "head"}}, "spec": {"containers": [{"name": "only"}]}},
    )
    assert out["metadata"]["labels"] == {"tier": "head"}
    assert out["spec"]["containers"] == [{"name": "only"}]
    assert out["metadata"]["finalizers"] == ["a/x"]
    assert doc == pod()


def test_merge_patch_rejects_non_object() -> None:
    with pytest.raises(PatchError) as err:
        merge_patch(pod(), [1])
    assert err.value.code == 400


# --- strategic merge patch -----------------------------------------------------------------------


def smp(doc: dict[str, Any], patch: Any, kind: str = "Pod", api_version: str = "v1") -> dict[str, Any]:
    before = copy.deepcopy(doc), copy.deepcopy(patch)
    out = strategic_merge_patch(doc, patch, api_version, kind)
    assert (doc, patch) == before, "inputs must not change"
    return out


def test_containers_merge_by_name_keeping_others() -> None:
    out = smp(pod(), {"spec": {"containers": [{"name": "head", "image": "ray:2"}]}})
    assert names(out["spec"]["containers"]) == ["head", "sidecar"]
    assert out["spec"]["containers"][0]["image"] == "ray:2"
    # fields of the merged container that the patch did not mention are kept
    assert names(out["spec"]["containers"][0]["env"]) == ["A", "B"]


def test_new_list_item_goes_before_existing_items_as_in_kubernetes() -> None:
    out = smp(pod(), {"spec": {"containers": [{"name": "new", "image": "x"}]}})
    assert names(out["spec"]["containers"]) == ["new", "head", "sidecar"]


def test_patch_delete_directive_removes_one_item() -> None:
    out = smp(pod(), {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}})
    assert names(out["spec"]["containers"]) == ["head"]


def test_patch_replace_directive_in_list_replaces_it() -> None:
    out = smp(pod(), {"spec": {"containers": [{"name": "solo", "image": "s"}, {"$patch": "replace"}]}})
    assert out["spec"]["containers"] == [{"name": "solo", "image": "s"}]


def test_patch_replace_directive_in_map_replaces_it() -> None:
    out = smp(pod(), {"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert out["metadata"]["labels"] == {"only": "this"}


def test_patch_delete_directive_in_map_empties_it() -> None:
    out = smp(pod(), {"metadata": {"labels": {"$patch": "delete"}}})
    assert out["metadata"]["labels"] == {}


def test_nested_env_merges_by_name_and_null_deletes_keys() -> None:
    patch = {
        "spec": {
            "containers": [
                {"name": "head", "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}]}
            ]
        }
    }
    out = smp(pod(), patch)
    env = out["spec"]["containers"][0]["env"]
    assert {e["name"]: e["value"] for e in env} == {"A": "1", "B": "two", "C": "3"}
    out = smp(
        pod(),
        {"metadata": {"labels": {"app": None}}, "spec": {"containers": [{"name": "head", "image": None}]}},
    )
    assert out["metadata"]["labels"] == {}
    assert "image" not in out["spec"]["containers"][0]


def test_atomic_lists_are_replaced() -> None:
    doc = pod(tolerations=[{"key": "a", "operator": "Exists"}])
    out = smp(doc, {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}})
    assert out["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]
    doc["spec"]["containers"][0]["command"] = ["ray", "start"]
    out = smp(doc, {"spec": {"containers": [{"name": "head", "command": ["sleep"]}]}})
    assert out["spec"]["containers"][0]["command"] == ["sleep"]


def test_finalizers_merge_as_a_set_and_delete_from_primitive_list() -> None:
    out = smp(pod(), {"metadata": {"finalizers": ["b/y", "a/x"]}})
    assert sorted(out["metadata"]["finalizers"]) == ["a/x", "b/y"]
    out = smp(pod(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a/x"]}})
    assert out["metadata"]["finalizers"] == []


def test_set_element_order_reorders_the_merged_list() -> None:
    patch = {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "head"}]}}
    out = smp(pod(), patch)
    assert names(out["spec"]["containers"]) == ["sidecar", "head"]
    env_patch = {
        "spec": {
            "containers": [
                {
                    "name": "head",
                    "$setElementOrder/env": [{"name": "B"}, {"name": "Z"}, {"name": "A"}],
                    "env": [{"name": "Z", "value": "26"}],
                }
            ]
        }
    }
    out = smp(pod(), env_patch)
    assert names(out["spec"]["containers"][0]["env"]) == ["B", "Z", "A"]


def test_retain_keys_clears_other_keys() -> None:
    doc = pod(volumes=[{"name": "data", "emptyDir": {}}])
    patch = {
        "spec": {
            "volumes": [{"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]
        }
    }
    out = smp(doc, patch)
    assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}}]


@pytest.mark.parametrize(
    ("kind", "api_version", "doc", "patch", "path", "key", "expect"),
    [
        (
            "Service",
            "v1",
            {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}},
            {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}},
            ("spec", "ports"),
            "port",
            [80, 443],
        ),
        (
            "Pod",
            "v1",
            {
                "status": {
                    "conditions": [
                        {"type": "Ready", "status": "False"},
                        {"type": "PodScheduled", "status": "True"},
                    ]
                }
            },
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            ("status", "conditions"),
            "type",
            ["Ready", "PodScheduled"],
        ),
        (
            "Deployment",
            "apps/v1",
            {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}
                    }
                }
            },
            {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}},
            ("spec", "template", "spec", "containers"),
            "name",
            ["a", "b"],
        ),
        (
            "Node",
            "v1",
            {
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": "10.0.0.1"},
                        {"type": "Hostname", "address": "n"},
                    ]
                }
            },
            {"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.2"}]}},
            ("status", "addresses"),
            "type",
            ["InternalIP", "Hostname"],
        ),
        (
            "ConfigMap",
            "v1",
            {"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}, {"uid": "2", "name": "b"}]}},
            {"metadata": {"ownerReferences": [{"uid": "2", "name": "renamed"}]}},
            ("metadata", "ownerReferences"),
            "uid",
            ["1", "2"],
        ),
    ],
)
def test_merge_keys_of_builtin_kinds(
    kind: str,
    api_version: str,
    doc: dict[str, Any],
    patch: dict[str, Any],
    path: tuple[str, ...],
    key: str,
    expect: list[Any],
) -> None:
    out = smp(doc, patch, kind, api_version)
    node: Any = out
    for part in path:
        node = node[part]
    assert names(node, key) == expect
    assert len(node) == len(expect)


def test_patched_item_gets_new_fields() -> None:
    svc = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    out = smp(svc, {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}}, "Service")
    assert out["spec"]["ports"][1] == {"port": 443, "name": "https", "targetPort": 8443}


def test_lists_of_kinds_without_merge_keys_replace() -> None:
    role = {"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}
    out = smp(
        role,
        {"rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]},
        "Role",
        "rbac.authorization.k8s.io/v1",
    )
    assert out["rules"] == [{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]


def test_taints_are_atomic_as_in_kubernetes() -> None:
    node = {"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}
    out = smp(node, {"spec": {"taints": [{"key": "b", "effect": "NoSchedule"}]}}, "Node")
    assert out["spec"]["taints"] == [{"key": "b", "effect": "NoSchedule"}]


def test_custom_resources_are_unsupported() -> None:
    with pytest.raises(UnsupportedPatch) as err:
        strategic_merge_patch({"spec": {}}, {"spec": {"x": 1}}, "ray.io/v1", "RayCluster")
    assert err.value.code == 415


@pytest.mark.parametrize(
    ("patch", "code", "message"),
    [
        ({"spec": {"containers": [{"image": "x"}]}}, 422, "does not contain declared merge key: name"),
        ({"metadata": {"labels": {"$patch": "explode"}}}, 422, "unknown patch type: explode in map"),
        (
            {"spec": {"containers": [{"name": "head", "$patch": "merge"}]}},
            422,
            "merging lists cannot yet be specified",
        ),
        (
            {"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "emptyDir": {}}]}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"metadata": {"$deleteFromPrimitiveList/finalizers": "a/x"}},
            400,
            "invalid patch format of primitive list",
        ),
        (
            {"spec": {"containers": [{"name": "head", "env": [["A"]]}]}},
            422,
            "lists of lists are not supported",
        ),
        ([1], 400, "invalid JSON document"),
    ],
)
def test_bad_strategic_patches(patch: Any, code: int, message: str) -> None:
    with pytest.raises(PatchError) as err:
        strategic_merge_patch(pod(volumes=[{"name": "v", "emptyDir": {}}]), patch, "v1", "Pod")
    assert err.value.code == code
    assert message in str(err.value)


def test_merge_key_lookup_for_server_side_apply() -> None:
    assert merge_key_of("v1", "Pod", ("spec", "containers", "env")) == ("merge", "name")
    assert merge_key_of("apps/v1", "Deployment", ("spec", "template", "spec", "containers", "ports")) == (
        "merge",
        "containerPort",
    )
    assert merge_key_of("v1", "Pod", ("spec", "tolerations")) is None
