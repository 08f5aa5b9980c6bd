"""RBAC escalation prevention, as a real cluster enforces it: a service account may grant (in a
Role) or bind (in a binding) only what it holds itself, unless it has the `escalate` or `bind`
verb. The four attacks of issue 16 each get 403, driven with the real kubectl and a real token."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
NS = "team"
SA = "mallory"
RBAC = {"apiGroups": ["rbac.authorization.k8s.io"]}


def manifest(kind: str, name: str, **fields: Any) -> str:
    meta = {"name": name} if kind.startswith("Cluster") else {"name": name, "namespace": NS}
    return json.dumps(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, **fields}
    )


def binding(kind: str, name: str, role_kind: str, role: str) -> str:
    return manifest(
        kind,
        name,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        subjects=[{"kind": "ServiceAccount", "name": SA, "namespace": NS}],
    )


@pytest.fixture
def as_sa(kubectl: Kubectl) -> Callable[[list[dict[str, Any]], list[dict[str, Any]]], Kubectl]:
    """Gives the service account `mallory` the given namespaced and cluster-wide rules (granted by
    the admin), and returns a kubectl acting with its token."""

    def grant(ns_rules: list[dict[str, Any]], cluster_rules: list[dict[str, Any]]) -> Kubectl:
        kubectl("create", "namespace", NS, check=True)
        kubectl("create", "serviceaccount", SA, "-n", NS, check=True)
        docs = [
            manifest("Role", "granted", rules=ns_rules),
            binding("RoleBinding", "granted", "Role", "granted"),
            manifest("ClusterRole", "mallory-granted", rules=cluster_rules),
            binding("ClusterRoleBinding", "mallory-granted", "ClusterRole", "mallory-granted"),
        ]
        for doc in docs:
            kubectl("apply", "-f", "-", input=doc, check=True)
        token = kubectl("create", "token", SA, "-n", NS, check=True).stdout.strip()

        def run(
            *args: str, input: str | None = None, check: bool = False
        ) -> subprocess.CompletedProcess[str]:
            return kubectl("--token", token, *args, input=input, check=check)

        return run

    return grant


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Forbidden" in result.stderr or "forbidden" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_only_rolebindings_cannot_bind_cluster_admin(as_sa: Any) -> None:
    sa = as_sa([{**RBAC, "resources": ["rolebindings"], "verbs": ["create", "get"]}], [])
    r = sa(
        "create", "rolebinding", "own", "--clusterrole=cluster-admin", f"--serviceaccount={NS}:{SA}", "-n", NS
    )
    refused(r, "attempting to grant RBAC permissions not currently held")
    refused(sa("get", "secrets", "-n", NS))


def test_only_clusterrolebindings_cannot_bind_cluster_admin(as_sa: Any) -> None:
    sa = as_sa([], [{**RBAC, "resources": ["clusterrolebindings"], "verbs": ["create"]}])
    r = sa(
        "create", "clusterrolebinding", "own", "--clusterrole=cluster-admin", f"--serviceaccount={NS}:{SA}"
    )
    refused(r, "attempting to grant RBAC permissions not currently held")
    refused(sa("get", "secrets", "-A"))


def test_only_roles_cannot_grant_everything(as_sa: Any) -> None:
    sa = as_sa([{**RBAC, "resources": ["roles"], "verbs": ["create", "get"]}], [])
    everything = manifest("Role", "all", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    r = sa("create", "-f", "-", input=everything)
    refused(r, 'Resources:["*"]')
    # what it holds, it may grant
    own = manifest("Role", "same", rules=[{**RBAC, "resources": ["roles"], "verbs": ["get"]}])
    assert sa("create", "-f", "-", input=own).returncode == 0


def test_patching_its_own_role_cannot_add_permissions(as_sa: Any) -> None:
    sa = as_sa([{**RBAC, "resources": ["roles"], "verbs": ["get", "patch"]}], [])
    more = {"rules": [{**RBAC, "resources": ["roles"], "verbs": ["get", "patch"]},
                      {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]}  # fmt: skip
    r = sa("patch", "role", "granted", "-n", NS, "--type=merge", "-p", json.dumps(more))
    refused(r, 'Resources:["secrets"]')
    refused(sa("get", "secrets", "-n", NS))


def test_bind_and_escalate_verbs_allow_it(as_sa: Any) -> None:
    sa = as_sa(
        [{**RBAC, "resources": ["roles", "rolebindings"], "verbs": ["create", "get", "patch"]}],
        [
            {**RBAC, "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view"]},
            {**RBAC, "resources": ["roles"], "verbs": ["escalate"]},
        ],
    )
    r = sa("create", "rolebinding", "viewer", "--clusterrole=view", f"--serviceaccount={NS}:{SA}", "-n", NS)
    assert r.returncode == 0, r.stderr
    # bind is for the named role only
    r = sa("create", "rolebinding", "admin", "--clusterrole=admin", f"--serviceaccount={NS}:{SA}", "-n", NS)
    refused(r)
    everything = manifest("Role", "all", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    r = sa("create", "-f", "-", input=everything)
    assert r.returncode == 0, r.stderr
