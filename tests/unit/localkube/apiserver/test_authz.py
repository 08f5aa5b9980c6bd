"""RBAC decides as a real cluster's RBAC authorizer does, and denials read as kube-apiserver's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from localkube.apiserver.authz import (
    RequestAttrs,
    UserInfo,
    authorize,
    bootstrap_policy,
    forbidden_message,
    rules_for,
    service_account_user,
)

SA = service_account_user("ray", "autoscaler")
ALICE = UserInfo("alice", ("devs", "system:authenticated"))


def role(name: str, ns: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "rules": list(rules)}


def rule(
    verbs: list[str], resources: list[str], groups: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"verbs": verbs, "resources": resources, "apiGroups": [""] if groups is None else groups, **extra}


def binding(name: str, ns: str, ref_kind: str, ref_name: str, *subjects: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name},
        "subjects": list(subjects),
    }


def sa_subject(name: str = "autoscaler", ns: str | None = "ray") -> dict[str, Any]:
    s: dict[str, Any] = {"kind": "ServiceAccount", "name": name}
    if ns:
        s["namespace"] = ns
    return s


def decide(
    user: UserInfo,
    attrs: RequestAttrs,
    roles: Sequence[dict[str, Any]] = (),
    cluster_roles: Sequence[dict[str, Any]] = (),
    rbs: Sequence[dict[str, Any]] = (),
    crbs: Sequence[dict[str, Any]] = (),
) -> bool:
    allowed, _ = authorize(
        user,
        attrs,
        roles={(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in roles},
        cluster_roles={r["metadata"]["name"]: r for r in cluster_roles},
        role_bindings=rbs,
        cluster_role_bindings=crbs,
    )
    return allowed


POD_READER = role("pod-reader", "ray", rule(["get", "list", "watch"], ["pods"]))
SA_BINDS_READER = binding("read", "ray", "Role", "pod-reader", sa_subject())


def get_pod(ns: str = "ray", name: str = "head", verb: str = "get", sub: str = "") -> RequestAttrs:
    return RequestAttrs(verb=verb, api_group="", resource="pods", subresource=sub, namespace=ns, name=name)


def test_role_grants_its_verbs_in_its_namespace_only() -> None:
    assert decide(SA, get_pod(), [POD_READER], rbs=[SA_BINDS_READER])
    assert not decide(SA, get_pod(verb="delete"), [POD_READER], rbs=[SA_BINDS_READER])
    assert not decide(SA, get_pod(ns="default"), [POD_READER], rbs=[SA_BINDS_READER])
    assert not decide(SA, get_pod(ns=""), [POD_READER], rbs=[SA_BINDS_READER])


def test_editing_the_role_takes_effect_at_once() -> None:
    edited = role("pod-reader", "ray", rule(["get", "list", "watch", "delete"], ["pods"]))
    assert decide(SA, get_pod(verb="delete"), [edited], rbs=[SA_BINDS_READER])


def test_binding_to_missing_role_grants_nothing() -> None:
    assert not decide(SA, get_pod(), [], rbs=[SA_BINDS_READER])
    dangling = binding("x", "", "ClusterRole", "nope", sa_subject())
    assert not decide(SA, get_pod(), crbs=[dangling])


def test_service_account_subject_defaults_to_binding_namespace() -> None:
    b = binding("read", "ray", "Role", "pod-reader", sa_subject(ns=None))
    assert decide(SA, get_pod(), [POD_READER], rbs=[b])
    other = service_account_user("other", "autoscaler")
    assert not decide(other, get_pod(), [POD_READER], rbs=[b])


@pytest.mark.parametrize(
    ("subject", "user", "expected"),
    [
        ({"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}, ALICE, True),
        ({"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"}, ALICE, False),
        ({"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}, ALICE, True),
        (
            {"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
            SA,
            True,
        ),
        (
            {"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"},
            SA,
            True,
        ),
        (
            {"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"},
            ALICE,
            False,
        ),
        (
            {"kind": "Group", "name": "system:serviceaccounts:ray", "apiGroup": "rbac.authorization.k8s.io"},
            SA,
            True,
        ),
        (
            {
                "kind": "Group",
                "name": "system:serviceaccounts:kube-system",
                "apiGroup": "rbac.authorization.k8s.io",
            },
            SA,
            False,
        ),
    ],
)
def test_subjects(subject: dict[str, Any], user: UserInfo, expected: bool) -> None:
    cr = role("reader", "", rule(["get"], ["pods"]))
    crb = binding("b", "", "ClusterRole", "reader", subject)
    assert decide(user, get_pod(), cluster_roles=[cr], crbs=[crb]) is expected


@pytest.mark.parametrize(
    ("r", "attrs", "expected"),
    [
        (rule(["*"], ["*"], ["*"]), RequestAttrs("delete", "ray.io", "rayclusters", "", "ray", "c"), True),
        (
            rule(["get"], ["rayclusters"], ["ray.io"]),
            RequestAttrs("get", "ray.io", "rayclusters", "", "ray", "c"),
            True,
        ),
        (
            rule(["get"], ["rayclusters"], [""]),
            RequestAttrs("get", "ray.io", "rayclusters", "", "ray", "c"),
            False,
        ),
        (rule(["update"], ["pods"]), get_pod(verb="update", sub="status"), False),
        (rule(["update"], ["pods/status"]), get_pod(verb="update", sub="status"), True),
        (rule(["update"], ["pods/status"]), get_pod(verb="update"), False),
        (
            rule(["patch"], ["*/scale"], ["apps"]),
            RequestAttrs("patch", "apps", "deployments", "scale", "ray", "d"),
            True,
        ),
        (
            rule(["patch"], ["*/scale"], ["apps"]),
            RequestAttrs("patch", "apps", "deployments", "", "ray", "d"),
            False,
        ),
        (rule(["get"], ["pods"], resourceNames=["head"]), get_pod(), True),
        (rule(["get"], ["pods"], resourceNames=["head"]), get_pod(name="worker"), False),
        (rule(["list"], ["pods"], resourceNames=["head"]), get_pod(verb="list", name=""), False),
    ],
)
def test_rule_matching(r: dict[str, Any], attrs: RequestAttrs, expected: bool) -> None:
    cr = role("r", "", r)
    crb = binding("b", "", "ClusterRole", "r", sa_subject())
    assert decide(SA, attrs, cluster_roles=[cr], crbs=[crb]) is expected


@pytest.mark.parametrize(
    ("urls", "path", "expected"),
    [
        (["/healthz"], "/healthz", True),
        (["/healthz"], "/healthz/ready", False),
        (["/healthz/*"], "/healthz/ready", True),
        (["/api*"], "/apis/ray.io", True),
        (["*"], "/version", True),
    ],
)
def test_non_resource_urls(urls: list[str], path: str, expected: bool) -> None:
    cr = {"metadata": {"name": "urls"}, "rules": [{"verbs": ["get"], "nonResourceURLs": urls}]}
    crb = binding("b", "", "ClusterRole", "urls", {"kind": "Group", "name": "system:authenticated"})
    attrs = RequestAttrs(verb="get", path=path, resource_request=False)
    assert decide(ALICE, attrs, cluster_roles=[cr], crbs=[crb]) is expected


def test_rolebinding_may_reference_a_clusterrole_within_its_namespace() -> None:
    cr = role("view", "", rule(["get"], ["pods"]))
    rb = binding("v", "ray", "ClusterRole", "view", sa_subject())
    assert decide(SA, get_pod(), cluster_roles=[cr], rbs=[rb])
    assert not decide(SA, get_pod(ns="default"), cluster_roles=[cr], rbs=[rb])


def test_allow_reason_names_the_binding() -> None:
    _, reason = authorize(
        SA,
        get_pod(),
        roles={("ray", "pod-reader"): POD_READER},
        cluster_roles={},
        role_bindings=[SA_BINDS_READER],
        cluster_role_bindings=[],
    )
    assert (
        reason
        == 'RBAC: allowed by RoleBinding "read/ray" of Role "pod-reader" to ServiceAccount "autoscaler/ray"'
    )


def test_rules_for_lists_applicable_rules() -> None:
    got = rules_for(
        SA,
        "ray",
        roles={("ray", "pod-reader"): POD_READER},
        cluster_roles={},
        role_bindings=[SA_BINDS_READER],
        cluster_role_bindings=[],
    )
    assert got == POD_READER["rules"]


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        (
            get_pod(verb="delete", name="x", ns="ns"),
            'pods "x" is forbidden: User "system:serviceaccount:ray:autoscaler" '
            'cannot delete resource "pods" '
            'in API group "" in the namespace "ns"',
        ),
        (
            get_pod(verb="list", name="", ns="ns"),
            'pods is forbidden: User "system:serviceaccount:ray:autoscaler" cannot list resource "pods" '
            'in API group "" in the namespace "ns"',
        ),
        (
            RequestAttrs("patch", "ray.io", "rayclusters", "status", "ray", "demo"),
            'rayclusters.ray.io "demo" is forbidden: User "system:serviceaccount:ray:autoscaler" '
            "cannot patch "
            'resource "rayclusters/status" in API group "ray.io" in the namespace "ray"',
        ),
        (
            RequestAttrs("list", "", "nodes"),
            'nodes is forbidden: User "system:serviceaccount:ray:autoscaler" cannot list resource "nodes" '
            'in API group "" at the cluster scope',
        ),
        (
            RequestAttrs("get", path="/metrics", resource_request=False),
            'forbidden: User "system:serviceaccount:ray:autoscaler" cannot get path "/metrics"',
        ),
    ],
)
def test_forbidden_messages(attrs: RequestAttrs, expected: str) -> None:
    assert forbidden_message(SA, attrs) == expected


def test_system_masters_may_do_anything() -> None:
    admin = UserInfo("kube-admin", ("system:masters", "system:authenticated"))
    assert decide(admin, RequestAttrs("delete", "", "nodes", name="n1"))


def test_bootstrap_policy_lets_service_accounts_discover_but_not_read() -> None:
    roles, bindings = bootstrap_policy()

    def can(attrs: RequestAttrs, user: UserInfo = SA) -> bool:
        return decide(user, attrs, cluster_roles=roles, crbs=bindings)

    assert can(RequestAttrs("get", path="/apis/ray.io/v1", resource_request=False))
    assert can(RequestAttrs("get", path="/version", resource_request=False))
    assert can(RequestAttrs("create", "authorization.k8s.io", "selfsubjectaccessreviews"))
    assert not can(get_pod())
    assert not can(RequestAttrs("get", path="/metrics", resource_request=False))
    anonymous = UserInfo("system:anonymous", ("system:unauthenticated",))
    assert can(RequestAttrs("get", path="/healthz", resource_request=False), anonymous)
    assert not can(RequestAttrs("get", path="/apis", resource_request=False), anonymous)
    group_admin = UserInfo("someone", ("system:masters",))
    assert can(RequestAttrs("delete", "", "nodes", name="n1"), group_admin)
