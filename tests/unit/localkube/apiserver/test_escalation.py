"""Which permissions a role grants beyond what its writer holds (Kubernetes' Covers), pure."""

from __future__ import annotations

from localkube.apiserver import authz
from localkube.apiserver.escalation import check, not_held, rule_text

PODS_GET = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
USER = authz.UserInfo("system:serviceaccount:team:m", ("system:serviceaccounts", "system:authenticated"))


def test_wildcards_and_subresources_cover() -> None:
    held = [{"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["*"]}, PODS_GET]
    assert (
        not_held(held, [{"apiGroups": ["apps"], "resources": ["deployments/status"], "verbs": ["patch"]}])
        == []
    )
    assert (
        not_held(held, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": ["x"]}])
        == []
    )
    assert not_held(held, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "delete"]}]) == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}
    ]


def test_resource_names_and_urls() -> None:
    named = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["a"]}]
    assert not_held(named, [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]) != []
    urls = [{"nonResourceURLs": ["/metrics*"], "verbs": ["get"]}]
    assert not_held(urls, [{"nonResourceURLs": ["/metrics/slis"], "verbs": ["get"]}]) == []
    assert not_held(urls, [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]) != []


def test_binding_needs_the_roles_permissions_or_bind() -> None:
    binding = {
        "metadata": {"name": "b", "namespace": "team"},
        "roleRef": {"kind": "ClusterRole", "name": "admin"},
    }
    star = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    why = check("RoleBinding", binding, None, USER, lambda *a: False, lambda ns: [PODS_GET], lambda *a: star)
    assert why.endswith('not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')
    assert (
        check("RoleBinding", binding, None, USER, lambda v, *a: v == "bind", lambda ns: [], lambda *a: star)
        == ""
    )
    assert "not found" in check(
        "RoleBinding", binding, None, USER, lambda *a: False, lambda ns: [], lambda *a: None
    )
    assert rule_text({"apiGroups": [""], "resources": ["a", "b"], "verbs": ["get"]}) == (
        '{APIGroups:[""], Resources:["a", "b"], Verbs:["get"]}'
    )
