"""Server-side apply's pure parts: field sets, FieldsV1, merging by list keys, conflicts, removal."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver.apply import fieldset as fs
from localkube.apiserver.apply import merge as ssa_merge
from localkube.apiserver.apply.merge import APPLY, UPDATE, Conflicts, Entry

POD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "containers": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "image": {"type": "string"},
                            "args": {"type": "array", "items": {"type": "string"}},
                            "ports": {
                                "type": "array",
                                "x-kubernetes-list-type": "map",
                                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "containerPort": {"type": "integer"},
                                        "protocol": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
                "tolerations": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}


def pod(**containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "3"},
        "spec": {"containers": [{"name": n, **c} for n, c in containers.items()]},
    }


def apply_set(obj: dict[str, Any]) -> fs.FieldSet:
    return set(ssa_merge.members(ssa_merge.scoped(obj, "", False), POD_SCHEMA, False))


def test_fields_v1_round_trip_and_member_markers() -> None:
    fields = {
        ("f:spec", "f:containers", 'k:{"name":"a"}'),
        ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image"),
        ("f:metadata", "f:labels", "f:app"),
    }
    encoded = fs.encode(fields)
    assert encoded == {
        "f:spec": {"f:containers": {'k:{"name":"a"}': {".": {}, "f:image": {}}}},
        "f:metadata": {"f:labels": {"f:app": {}}},
    }
    assert fs.decode(encoded) == fields


def test_apply_set_owns_leaves_and_keyed_items_not_server_metadata() -> None:
    obj = pod(a={"image": "x", "args": ["1", "2"], "ports": [{"containerPort": 80, "protocol": "TCP"}]})
    obj["metadata"]["labels"] = {"app": "web"}
    got = apply_set(obj)
    item = ("f:spec", "f:containers", 'k:{"name":"a"}')
    assert got == {
        ("f:metadata", "f:labels", "f:app"),
        item,
        (*item, "f:name"),
        (*item, "f:image"),
        (*item, "f:args"),  # an atomic list is one field
        (*item, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'),
        (*item, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}', "f:containerPort"),
        (*item, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}', "f:protocol"),
    }


def test_paths_render_as_kubernetes_names_them() -> None:
    path = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")
    assert fs.render(path) == '.spec.containers[name="a"].image'
    assert fs.render(("f:metadata", "f:finalizers", 'v:"x"')) == '.metadata.finalizers[="x"]'
    two = ("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    assert fs.render(two) == '.ports[containerPort=80,protocol="TCP"]'


def test_keyed_lists_merge_by_key_and_atomic_lists_are_replaced() -> None:
    live = pod(a={"image": "x", "args": ["1"]}, b={"image": "y"})
    live["spec"]["tolerations"] = [{"key": "k1"}]
    config = pod(b={"image": "y2", "args": ["2"]}, c={"image": "z"})
    config["spec"]["tolerations"] = [{"key": "k2"}]
    merged, _ = ssa_merge.apply(live, config, [], "m", "v1", "t", POD_SCHEMA)
    assert merged["spec"]["containers"] == [
        {"name": "a", "image": "x", "args": ["1"]},
        {"name": "b", "image": "y2", "args": ["2"]},
        {"name": "c", "image": "z"},
    ]
    assert merged["spec"]["tolerations"] == [{"key": "k2"}]
    assert live["spec"]["containers"][1] == {"name": "b", "image": "y"}  # the live object is untouched


def test_a_field_owned_by_another_manager_conflicts_unless_forced() -> None:
    live = pod(a={"image": "x"})
    owner = Entry("kubectl-create", UPDATE, "v1", apply_set(live), "t0")
    config = pod(a={"image": "y"})
    with pytest.raises(Conflicts) as e:
        ssa_merge.apply(live, config, [owner], "me", "v1", "t1", POD_SCHEMA)
    assert str(e.value) == (
        'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: '
        '.spec.containers[name="a"].image'
    )
    assert ssa_merge.causes(e.value.conflicts) == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-create" using v1',
            "field": '.spec.containers[name="a"].image',
        }
    ]
    merged, entries = ssa_merge.apply(live, config, [owner], "me", "v1", "t1", POD_SCHEMA, force=True)
    assert merged["spec"]["containers"][0]["image"] == "y"
    by = {e.manager: e.fields for e in entries}
    image = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")
    assert image in by["me"] and image not in by["kubectl-create"]


def test_the_same_value_is_shared_without_conflict() -> None:
    live = pod(a={"image": "x"})
    owner = Entry("other", APPLY, "v1", apply_set(live), "t0")
    merged, entries = ssa_merge.apply(live, pod(a={"image": "x"}), [owner], "me", "v1", "t1", POD_SCHEMA)
    assert merged == live
    image = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")
    assert all(image in e.fields for e in entries)


def test_conflicts_with_several_managers_list_each() -> None:
    live = pod(a={"image": "x"}, b={"image": "y"})
    one = Entry("one", APPLY, "v1", {("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")}, "t0")
    two = Entry("two", UPDATE, "v1", {("f:spec", "f:containers", 'k:{"name":"b"}', "f:image")}, "t0")
    with pytest.raises(Conflicts) as e:
        ssa_merge.apply(
            live, pod(a={"image": "1"}, b={"image": "2"}), [one, two], "me", "v1", "t", POD_SCHEMA
        )
    assert str(e.value) == (
        "Apply failed with 2 conflicts: "
        'conflicts with "one"\n- .spec.containers[name="a"].image\n'
        'conflicts with "two" using v1\n- .spec.containers[name="b"].image'
    )


def test_fields_no_longer_applied_are_removed_unless_someone_else_owns_them() -> None:
    first = pod(a={"image": "x"}, b={"image": "y"})
    merged, entries = ssa_merge.apply(None, first, [], "me", "v1", "t0", POD_SCHEMA)
    merged, entries = ssa_merge.apply(merged, pod(a={"image": "x"}), entries, "me", "v1", "t1", POD_SCHEMA)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["a"]
    # another manager that owns a field keeps it alive
    merged, entries = ssa_merge.apply(
        merged, pod(a={"image": "x", "args": ["1"]}), entries, "me", "v1", "t2", POD_SCHEMA
    )
    args = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:args")
    entries.append(Entry("other", UPDATE, "v1", {args}, "t3"))
    merged, entries = ssa_merge.apply(merged, pod(a={"image": "x"}), entries, "me", "v1", "t4", POD_SCHEMA)
    assert merged["spec"]["containers"][0]["args"] == ["1"]


def test_a_repeated_apply_changes_nothing_not_even_the_time() -> None:
    merged, entries = ssa_merge.apply(None, pod(a={"image": "x"}), [], "me", "v1", "t0", POD_SCHEMA)
    again, entries2 = ssa_merge.apply(merged, pod(a={"image": "x"}), entries, "me", "v1", "t1", POD_SCHEMA)
    assert again == merged
    assert ssa_merge.encode_entries(entries2) == ssa_merge.encode_entries(entries)


def test_an_update_takes_the_fields_it_changes_from_their_owners() -> None:
    old = pod(a={"image": "x"})
    applier = Entry("me", APPLY, "v1", apply_set(old), "t0")
    new = pod(a={"image": "y"})
    entries = ssa_merge.update(old, new, [applier], "kubectl-edit", "v1", "t1", POD_SCHEMA)
    by = {e.manager: e for e in entries}
    image = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")
    assert by["kubectl-edit"].fields == {image}
    assert by["kubectl-edit"].operation == UPDATE
    assert image not in by["me"].fields
    # an update that changes nothing records nothing new
    assert ssa_merge.update(new, new, entries, "x", "v1", "t2", POD_SCHEMA) == entries


def test_encoded_entries_put_apply_first_and_drop_empty_ones() -> None:
    entries = [
        Entry("b", UPDATE, "v1", {("f:data", "f:x")}, "2024-01-01T00:00:00Z"),
        Entry("a", APPLY, "v1", {("f:data", "f:y")}, "2025-01-01T00:00:00Z"),
        Entry("c", UPDATE, "v1", set(), "2023-01-01T00:00:00Z"),
    ]
    encoded = ssa_merge.encode_entries(entries)
    assert [(e["manager"], e["operation"]) for e in encoded] == [("a", "Apply"), ("b", "Update")]
    assert encoded[0]["fieldsType"] == "FieldsV1"
    assert encoded[0]["fieldsV1"] == {"f:data": {"f:y": {}}}


def test_a_key_field_left_out_matches_the_live_item_by_its_default() -> None:
    schema = {"type": "object", "properties": {"spec": POD_SCHEMA["properties"]["spec"]}}
    ports = schema["properties"]["spec"]["properties"]["containers"]["items"]["properties"]["ports"]
    defaulted = {**ports, "items": {**ports["items"], "properties": {**ports["items"]["properties"]}}}
    defaulted["items"]["properties"]["protocol"] = {"type": "string", "default": "TCP"}
    containers = schema["properties"]["spec"]["properties"]["containers"]
    item_schema = {
        **containers["items"],
        "properties": {**containers["items"]["properties"], "ports": defaulted},
    }
    schema["properties"]["spec"] = {
        "type": "object",
        "properties": {"containers": {**containers, "items": item_schema}},
    }
    live = pod(a={"ports": [{"containerPort": 80, "protocol": "TCP"}]})
    merged, entries = ssa_merge.apply(
        live, pod(a={"ports": [{"containerPort": 80}]}), [], "m", "v1", "t", schema
    )
    assert merged["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    port = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    assert port in entries[0].fields


def test_an_entrys_time_moves_when_its_manager_changes_a_value() -> None:
    old = pod(a={"image": "x"})
    entries = ssa_merge.update(None, old, [], "writer", "v1", "t0", POD_SCHEMA)
    assert entries[0].time == "t0"
    same = ssa_merge.update(old, old, entries, "writer", "v1", "t1", POD_SCHEMA)
    assert same[0].time == "t0"
    moved = ssa_merge.update(old, pod(a={"image": "y"}), entries, "writer", "v1", "t2", POD_SCHEMA)
    assert moved[0].time == "t2"
    assert ssa_merge.same_ownership(ssa_merge.encode_entries(entries), ssa_merge.encode_entries(moved))
