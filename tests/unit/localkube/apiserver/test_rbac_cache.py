"""The cached RBAC authorizer answers from stored Roles and bindings and forgets on any RBAC write."""

from __future__ import annotations

from typing import Any

from localkube.apiserver import authz
from localkube.apiserver.rbac_cache import RBACAuthorizer
from localkube.apiserver.store import Store
from localkube.apiserver.tokens import User

RBAC = authz.RBAC_GROUP
SA = User("system:serviceaccount:ns:sa", "uid", ("system:serviceaccounts", "system:authenticated"))
DELETE_POD = authz.RequestAttrs("delete", resource="pods", namespace="ns", name="x")
GET_POD = authz.RequestAttrs("get", resource="pods", namespace="ns", name="x")


def role(verbs: list[str]) -> dict[str, Any]:
    return {
        "kind": "Role",
        "metadata": {"name": "r", "namespace": "ns", "uid": "u1"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": verbs}],
    }


def binding(role_name: str = "r") -> dict[str, Any]:
    return {
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "ns", "uid": "u2"},
        "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": role_name},
        "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}],
    }


def test_an_edited_role_takes_effect_on_the_next_decision() -> None:
    store = Store()
    rbac = RBACAuthorizer(store)
    store.put((RBAC, "roles"), role(["get"]))
    store.put((RBAC, "rolebindings"), binding())
    assert rbac.decide(SA, GET_POD)[0] is True
    assert rbac.decide(SA, DELETE_POD) == (False, "")
    store.put((RBAC, "roles"), role(["get", "delete"]))
    allowed, reason = rbac.decide(SA, DELETE_POD)
    assert allowed and 'Role "r"' in reason
    store.remove((RBAC, "rolebindings"), "ns", "b")
    assert rbac.decide(SA, GET_POD)[0] is False


def test_writes_to_other_kinds_keep_the_cache_and_masters_pass() -> None:
    store = Store()
    rbac = RBACAuthorizer(store)
    store.put((RBAC, "rolebindings"), binding("missing"))
    assert rbac.decide(SA, GET_POD)[0] is False  # a binding to a missing Role grants nothing
    store.put(("", "pods"), {"kind": "Pod", "metadata": {"name": "x", "namespace": "ns", "uid": "u3"}})
    admin = User("kubernetes-admin", groups=("system:masters",))
    assert rbac.decide(admin, DELETE_POD)[0] is True
    assert rbac.rules(SA, "ns") == []
    store.put(
        (RBAC, "roles"), {**role(["get"]), "metadata": {"name": "missing", "namespace": "ns", "uid": "u4"}}
    )
    assert rbac.decide(SA, GET_POD)[0] is True
    assert rbac.rules(SA, "ns") == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
