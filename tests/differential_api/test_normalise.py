"""The comparison itself: normalising hides what differs between any two runs (uids, times,
resourceVersions, discovery order) and nothing else, so a real difference still fails the test."""

from __future__ import annotations

from support.apidiff import compare, differences, normalise


def _answer(uid: str, rv: str, when: str, message: str, verbs: list[str]) -> dict[str, object]:
    return {
        "status": 409,
        "body": {
            "kind": "APIResourceList",
            "metadata": {"uid": uid, "resourceVersion": rv, "creationTimestamp": when},
            "message": message,
            "details": {"causes": [{"reason": "FieldValueInvalid", "field": "metadata.name"}]},
            "resources": [{"name": "pods", "verbs": verbs}, {"name": "configmaps", "verbs": ["get"]}],
        },
    }


def test_run_specific_values_are_equal_after_normalising() -> None:
    a = _answer(
        "0f6c3a5e-2f0e-4b8e-9d62-4f1a2c3b4d5e",
        "17",
        "2026-12-02T18:00:00Z",
        "the UID in the precondition (0f6c3a5e-2f0e-4b8e-9d62-4f1a2c3b4d5e) does not match",
        ["list", "get"],
    )
    b = _answer(
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "98234",
        "2026-12-02T18:05:31.123456Z",
        "the UID in the precondition (9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d) does not match",
        ["get", "list"],
    )
    assert differences(normalise(a), normalise(b)) == []
    b_list = dict(b, body=dict(b["body"], resources=list(reversed(b["body"]["resources"]))))  # type: ignore
    assert differences(normalise(a), normalise(b_list)) == []


def test_a_real_difference_is_reported_with_its_path() -> None:
    a = _answer("u", "1", "t", "Operation cannot be fulfilled", ["get"])
    b = _answer("u", "1", "t", "Precondition failed", ["get"])
    b["body"]["details"]["causes"][0]["reason"] = "FieldValueRequired"  # type: ignore[index]
    found = differences(normalise(a), normalise(b))
    assert found == [
        '.body.details.causes[0].reason: "FieldValueInvalid" != "FieldValueRequired"',
        '.body.message: "Operation cannot be fulfilled" != "Precondition failed"',
    ]
    assert differences({"status": 401}, {"status": 403}) == [".status: 401 != 403"]
    # outside discovery documents order is behaviour: a list's items in another order differ
    items = [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]
    ordered = normalise({"kind": "ConfigMapList", "items": items})
    assert differences(ordered, normalise({"kind": "ConfigMapList", "items": items[::-1]}))


def test_a_request_asked_of_one_server_only_is_a_difference() -> None:
    results = dict(compare({"same": 1, "discovery /apis/x/v1": 2}, {"same": 1}))
    assert results["same"] == [] and results["discovery /apis/x/v1"]


def test_generated_names_are_equal_after_normalising() -> None:
    made = [{"metadata": {"generateName": "web-", "name": f"web-{suffix}"}} for suffix in ("x7k2p", "q9zzb")]
    assert differences(normalise(made[0]), normalise(made[1])) == []
    chosen = {"metadata": {"generateName": "web-", "name": "db-x7k2p"}}
    assert differences(normalise(made[0]), normalise(chosen)) != []


def test_a_uid_in_a_managed_fields_key_is_normalised() -> None:
    def owned(uid: str) -> dict[str, object]:
        item = {".": {}, "f:uid": {}}
        return {"f:metadata": {"f:ownerReferences": {".": {}, f'k:{{"uid":"{uid}"}}': item}}}

    a = owned("0f6c3a5e-2f0e-4b8e-9d62-4f1a2c3b4d5e")
    b = owned("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
    assert differences(normalise(a), normalise(b)) == []
    assert differences(normalise(a), normalise(b | {"f:x": {}})) != []


def _invalid(order: list[tuple[str, str]]) -> dict[str, object]:
    causes = [{"reason": "FieldValueTypeInvalid", "field": f, "message": m} for f, m in order]
    listed = ", ".join(f"{f}: {m}" for f, m in order)
    return {
        "kind": "Status",
        "message": f'RayCluster.ray.io "typed" is invalid: [{listed}]',
        "details": {"causes": causes},
    }


def test_the_order_of_a_422s_causes_is_not_compared_but_the_causes_are() -> None:
    one, two = ("spec.a", "Invalid value: 1"), ("spec.b", "Invalid value: 2")
    assert not differences(normalise(_invalid([one, two])), normalise(_invalid([two, one])))
    other = ("spec.c", "Invalid value: 2")
    assert differences(normalise(_invalid([one, two])), normalise(_invalid([other, one])))


def _managed(*entries: tuple[str, str, str]) -> dict[str, object]:
    return {
        "metadata": {
            "managedFields": [
                {"manager": m, "operation": "Update", "time": t, "fieldsV1": {f: {}}} for m, t, f in entries
            ]
        }
    }


def test_the_order_of_managed_fields_entries_is_not_compared_but_the_entries_are() -> None:
    # kube-apiserver sorts entries by their time's second first: normalised times hide that order
    creator = ("unknown", "2026-12-05T02:50:00Z", "f:spec")
    controller = ("kube-apiserver", "2026-12-05T02:50:01Z", "f:status")
    assert not differences(normalise(_managed(creator, controller)), normalise(_managed(controller, creator)))
    other = ("kube-apiserver", "2026-12-05T02:50:01Z", "f:metadata")
    assert differences(normalise(_managed(creator, controller)), normalise(_managed(creator, other)))


def _table(age: str, name: str) -> dict[str, object]:
    return {
        "kind": "Table",
        "columnDefinitions": [{"name": "Name"}, {"name": "Age"}],
        "rows": [{"cells": [name, age]}],
    }


def test_a_tables_age_is_not_compared_but_its_other_cells_are() -> None:
    # one server may answer in the second after the object's creation, the other in the same one
    assert not differences(normalise(_table("0s", "one")), normalise(_table("1s", "one")))
    assert differences(normalise(_table("0s", "one")), normalise(_table("0s", "two")))
    assert differences(normalise(_table("0s", "one")), normalise(_table("<unknown>", "one")))
