"""RBAC is on by default: a service account may do what its Roles grant and nothing else, as
the official client and the real kubectl see it; tokens are checked on every request."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api, RbacAuthorizationV1Api

from localkube.apiserver.server import APIServer
from support.clients import client_with_token, wait_unauthorized

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]

NS = "team"
SA = "reader"
USER = f"system:serviceaccount:{NS}:{SA}"


def request_token(admin: kubernetes.client.ApiClient, spec: dict[str, object]) -> str:
    req = CoreV1Api(admin).create_namespaced_service_account_token(
        SA, NS, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    )
    return str(req.status.token)


@pytest.fixture
def team(k8s: kubernetes.client.ApiClient) -> Iterator[kubernetes.client.ApiClient]:
    """Namespace `team` with service account `reader`, a pod `x`, and a Role `pod-reader`
    (get pods) bound to the account."""
    v1 = CoreV1Api(k8s)
    v1.create_namespace({"metadata": {"name": NS}})
    v1.create_namespaced_service_account(NS, {"metadata": {"name": SA}})
    v1.create_namespaced_pod(
        NS,
        {
            "metadata": {"name": "x"},
            "spec": {"serviceAccountName": SA, "containers": [{"name": "c", "image": "busybox"}]},
        },
    )
    rbac = RbacAuthorizationV1Api(k8s)
    rbac.create_namespaced_role(
        NS,
        {
            "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        NS,
        {
            "metadata": {"name": "reader-binding"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": NS}],
        },
    )
    yield k8s


def status_of(e: ApiException) -> dict[str, object]:
    body = json.loads(e.body)
    assert isinstance(body, dict)
    return body


def test_get_allowed_delete_forbidden_until_the_role_is_edited(
    team: kubernetes.client.ApiClient, apiserver: APIServer, kubectl: Kubectl
) -> None:
    token = request_token(team, {"expirationSeconds": 3600})
    with client_with_token(apiserver, token) as sa:
        pods = CoreV1Api(sa)
        assert pods.read_namespaced_pod("x", NS).metadata.name == "x"
        with pytest.raises(ApiException) as e:
            pods.delete_namespaced_pod("x", NS)
        assert e.value.status == 403
        status = status_of(e.value)
        assert status["reason"] == "Forbidden"
        assert status["message"] == (
            f'pods "x" is forbidden: User "{USER}" cannot delete resource "pods" '
            f'in API group "" in the namespace "{NS}"'
        )
        # the pod is still there, and other namespaces stay closed
        assert CoreV1Api(team).read_namespaced_pod("x", NS).metadata.name == "x"
        with pytest.raises(ApiException) as e:
            pods.list_namespaced_pod("default")
        assert e.value.status == 403
        can_i = kubectl("auth", "can-i", f"--as={USER}", "delete", "pods", "-n", NS)
        assert can_i.stdout.strip() == "no"
        assert kubectl("auth", "can-i", f"--as={USER}", "get", "pods", "-n", NS).stdout.strip() == "yes"

        RbacAuthorizationV1Api(team).patch_namespaced_role(
            "pod-reader",
            NS,
            {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "delete"]}]},
        )
        assert kubectl("auth", "can-i", f"--as={USER}", "delete", "pods", "-n", NS).stdout.strip() == "yes"
        pods.delete_namespaced_pod("x", NS)
    with pytest.raises(ApiException) as e:
        CoreV1Api(team).read_namespaced_pod("x", NS)
    assert e.value.status == 404


def test_kubectl_as_the_service_account_sees_the_same_answers(
    team: kubernetes.client.ApiClient, kubectl: Kubectl
) -> None:
    got = kubectl("get", "pod", "x", "-n", NS, f"--as={USER}", "-o", "name")
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "pod/x"
    denied = kubectl("delete", "pod", "x", "-n", NS, f"--as={USER}")
    assert denied.returncode != 0
    assert (
        f'pods "x" is forbidden: User "{USER}" cannot delete resource "pods" '
        f'in API group "" in the namespace "{NS}"'
    ) in denied.stderr


def test_a_binding_to_a_missing_role_grants_nothing(
    team: kubernetes.client.ApiClient, kubectl: Kubectl
) -> None:
    RbacAuthorizationV1Api(team).create_namespaced_role_binding(
        NS,
        {
            "metadata": {"name": "dangling"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "no-such-role"},
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": NS}],
        },
    )
    # the denial names the missing role, as kube-apiserver's does
    answer = kubectl("auth", "can-i", f"--as={USER}", "list", "pods", "-n", NS).stdout.strip()
    assert answer == 'no - rbac: RBAC: role.rbac.authorization.k8s.io "no-such-role" not found'
    RbacAuthorizationV1Api(team).create_namespaced_role(
        NS,
        {
            "metadata": {"name": "no-such-role"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
        },
    )
    # the binding takes effect as soon as its Role exists
    assert kubectl("auth", "can-i", f"--as={USER}", "list", "pods", "-n", NS).stdout.strip() == "yes"


def test_forged_revoked_and_foreign_audience_tokens_get_401(
    team: kubernetes.client.ApiClient, apiserver: APIServer
) -> None:
    good = request_token(team, {"expirationSeconds": 3600})
    foreign = request_token(team, {"audiences": ["vault"], "expirationSeconds": 3600})
    head, body, sig = good.split(".")
    forged_sig = f"{head}.{body}.{'A' * len(sig)}"
    for token in (foreign, forged_sig, "not-a-token"):
        with client_with_token(apiserver, token) as c, pytest.raises(ApiException) as e:
            CoreV1Api(c).read_namespaced_pod("x", NS)
        assert e.value.status == 401
        assert status_of(e.value)["reason"] == "Unauthorized"
    with client_with_token(apiserver, good) as c:
        assert CoreV1Api(c).read_namespaced_pod("x", NS).metadata.name == "x"
        CoreV1Api(team).delete_namespaced_service_account(SA, NS)
        wait_unauthorized(lambda: CoreV1Api(c).read_namespaced_pod("x", NS))
        # a new account of the same name does not revive the old account's tokens
        CoreV1Api(team).create_namespaced_service_account(NS, {"metadata": {"name": SA}})
        with pytest.raises(ApiException) as e:
            CoreV1Api(c).read_namespaced_pod("x", NS)
        assert e.value.status == 401


def test_token_request_expiry_and_audiences(team: kubernetes.client.ApiClient, apiserver: APIServer) -> None:
    v1 = CoreV1Api(team)
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 599},
    }
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_service_account_token(SA, NS, body)
    assert e.value.status == 422
    assert "may not specify a duration less than 10 minutes" in str(status_of(e.value)["message"])
    answer = v1.create_namespaced_service_account_token(
        SA,
        NS,
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 600},
        },
    )
    # no audiences asked for: the API server's own is filled in
    assert answer.spec.audiences == ["https://kubernetes.default.svc.cluster.local"]
    left = answer.status.expiration_timestamp.timestamp() - time.time()
    assert 500 < left <= 601
    review = kubernetes.client.AuthenticationV1Api(team).create_token_review(
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": answer.status.token},
        }
    )
    assert review.status.authenticated is True
    assert review.status.user.username == USER


@pytest.mark.localkube_only(reason="issues an already-expired token with localkube's token authority")
def test_an_expired_token_gets_401(team: kubernetes.client.ApiClient, apiserver: APIServer) -> None:
    # a token signed by this server whose expiry has passed (the server's own issuer, so only the
    # expiry can make it invalid)
    sa = CoreV1Api(team).read_namespaced_service_account(SA, NS)
    expired, _ = apiserver.tokens.issue(NS, SA, sa.metadata.uid, [], -1)
    with client_with_token(apiserver, expired) as c, pytest.raises(ApiException) as e:
        CoreV1Api(c).read_namespaced_pod("x", NS)
    assert e.value.status == 401


def test_admin_kubeconfig_is_not_held_to_rbac(kubectl: Kubectl) -> None:
    assert kubectl("auth", "can-i", "*", "*", "--all-namespaces").stdout.strip() == "yes"
    made = kubectl("create", "namespace", "anything")
    assert made.returncode == 0, made.stderr


def test_the_user_facing_cluster_roles_exist_and_grant_in_one_namespace(
    team: kubernetes.client.ApiClient, kubectl: Kubectl
) -> None:
    names = kubectl("get", "clusterroles", "-o", "name").stdout.split()
    assert {"clusterrole.rbac.authorization.k8s.io/" + n for n in ("view", "edit", "admin")} <= set(names)
    made = kubectl(
        "create", "rolebinding", "viewer", "--clusterrole=view", f"--serviceaccount={NS}:{SA}", "-n", NS
    )
    assert made.returncode == 0, made.stderr
    assert (
        kubectl("auth", "can-i", f"--as={USER}", "list", "deployments.apps", "-n", NS).stdout.strip() == "yes"
    )
    assert kubectl("auth", "can-i", f"--as={USER}", "get", "secrets", "-n", NS).stdout.strip() == "no"
    assert kubectl("auth", "can-i", f"--as={USER}", "list", "pods", "-n", "default").stdout.strip() == "no"
    ok = kubectl(
        "create", "rolebinding", "editor", "--clusterrole=edit", f"--serviceaccount={NS}:{SA}", "-n", NS
    )
    assert ok.returncode == 0, ok.stderr
    assert kubectl("auth", "can-i", f"--as={USER}", "delete", "pods", "-n", NS).stdout.strip() == "yes"
    assert kubectl("auth", "can-i", f"--as={USER}", "create", "roles", "-n", NS).stdout.strip() == "no"


def test_a_cluster_role_labelled_aggregate_to_view_extends_view_edit_and_admin(
    team: kubernetes.client.ApiClient, kubectl: Kubectl
) -> None:
    RbacAuthorizationV1Api(team).create_cluster_role(
        {
            "metadata": {
                "name": "raycluster-viewer",
                "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
            },
            "rules": [
                {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "list", "watch"]}
            ],
        }
    )
    made = kubectl(
        "create", "rolebinding", "viewer", "--clusterrole=view", f"--serviceaccount={NS}:{SA}", "-n", NS
    )
    assert made.returncode == 0, made.stderr
    # the aggregation controller writes the rules into view (and through it edit and admin)
    for _ in range(60):
        if "ray.io" in kubectl("get", "clusterrole", "admin", "-o", "jsonpath={.rules}").stdout:
            break
        time.sleep(0.5)
    for role in ("view", "edit", "admin"):
        assert "rayclusters" in kubectl("get", "clusterrole", role, "-o", "jsonpath={.rules}").stdout, role
    review = kubernetes.client.AuthorizationV1Api(team).create_subject_access_review(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": USER,
                "groups": ["system:serviceaccounts", "system:authenticated"],
                "resourceAttributes": {
                    "namespace": NS,
                    "verb": "list",
                    "group": "ray.io",
                    "resource": "rayclusters",
                },
            },
        }
    )
    assert review.status.allowed is True


def test_a_token_bound_to_a_pod_ends_with_the_pod(
    team: kubernetes.client.ApiClient, apiserver: APIServer
) -> None:
    pod = CoreV1Api(team).read_namespaced_pod("x", NS)
    ref = {"apiVersion": "v1", "kind": "Pod", "name": "x", "uid": pod.metadata.uid}
    token = request_token(team, {"expirationSeconds": 3600, "boundObjectRef": ref})
    with pytest.raises(ApiException) as e:
        request_token(team, {"boundObjectRef": {**ref, "uid": "not-the-uid"}})
    assert e.value.status == 409
    # only the pod's own service account gets a token bound to it
    CoreV1Api(team).create_namespaced_service_account(NS, {"metadata": {"name": "other"}})
    with pytest.raises(ApiException) as e:
        CoreV1Api(team).create_namespaced_service_account_token(
            "other",
            NS,
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"boundObjectRef": ref},
            },
        )
    assert e.value.status == 400 and "to pod running with different serviceaccount name" in e.value.body
    with client_with_token(apiserver, token) as c:
        me = kubernetes.client.AuthenticationV1Api(c).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        )
        assert me.status.user_info.extra["authentication.kubernetes.io/pod-name"] == ["x"]
        assert CoreV1Api(c).read_namespaced_pod("x", NS).metadata.name == "x"
        CoreV1Api(team).delete_namespaced_pod("x", NS)
        wait_unauthorized(kubernetes.client.VersionApi(c).get_code)
