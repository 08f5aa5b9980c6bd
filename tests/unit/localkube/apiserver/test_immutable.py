"""Fields a kind fixes at create: an update changing one is refused with kube-apiserver's words."""

from __future__ import annotations

from localkube.apiserver.strategies import of_kind
from localkube.apiserver.strategies.immutable import NULL, Fixed, unchanged


def test_a_changed_field_is_named_with_its_new_value_or_null() -> None:
    check = unchanged(Fixed("spec.a"), Fixed("spec.b", shown=NULL), Fixed("c", "spec.renamed"))
    old = {"spec": {"a": 1, "b": 2}, "c": 3}
    assert check(old, old) == []
    errors = check(old, {"spec": {"a": 9, "b": 8}, "c": 7})
    assert [e.cause() for e in errors] == [
        {"reason": "FieldValueInvalid", "message": "Invalid value: 9: field is immutable", "field": "spec.a"},
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: null: field is immutable",
            "field": "spec.b",
        },
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: 7: field is immutable",
            "field": "spec.renamed",
        },
    ]


def test_a_role_bindings_role_ref_is_printed_as_kubes_go_struct() -> None:
    check = of_kind("rbac.authorization.k8s.io", "ClusterRoleBinding").validate_update
    assert check is not None
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "a"}
    (error,) = check({"roleRef": ref}, {"roleRef": {**ref, "name": "view"}})
    assert error.cause()["message"] == (
        'Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"ClusterRole","Name":"view"}: '
        "field is immutable"
    )
