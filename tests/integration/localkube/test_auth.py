"""Service-account tokens (TokenRequest) authenticate; with RBAC on, Roles decide what they may do."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api, RbacAuthorizationV1Api

from localkube.apiserver.server import APIServer
from support.clients import client_with_token, wait_unauthorized


def sa_token(admin: kubernetes.client.ApiClient, name: str) -> str:
    v1 = CoreV1Api(admin)
    v1.create_namespaced_service_account(
        "default", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
    )
    req = v1.create_namespaced_service_account_token(
        name,
        "default",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
    )
    assert req.status.expiration_timestamp is not None
    return str(req.status.token)


def test_rbac_denies_then_allows_a_service_account(apiserver: APIServer) -> None:
    admin = kubernetes.config.new_client_from_config(config_file=str(apiserver.kubeconfig_path))
    token = sa_token(admin, "reader")
    with client_with_token(apiserver, token) as sa:
        with pytest.raises(ApiException) as e:
            CoreV1Api(sa).list_namespaced_pod("default")
        assert e.value.status == 403
        assert json.loads(e.value.body)["message"] == (
            'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" '
            'in API group "" in the namespace "default"'
        )
        rbac = RbacAuthorizationV1Api(admin)
        rbac.create_namespaced_role(
            "default",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
            },
        )
        rbac.create_namespaced_role_binding(
            "default",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "r"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}],
            },
        )
        assert CoreV1Api(sa).list_namespaced_pod("default").items == []
        with pytest.raises(ApiException) as e:
            CoreV1Api(sa).list_namespaced_pod("kube-system")
        assert e.value.status == 403
        # discovery is open to every authenticated user
        assert kubernetes.client.VersionApi(sa).get_code().git_version.startswith("v1.")
    admin.close()


def test_token_of_deleted_service_account_is_rejected(
    k8s: kubernetes.client.ApiClient, apiserver: APIServer
) -> None:
    token = sa_token(k8s, "temp")
    # RBAC is on by default: discovery is what every authenticated account may read
    with client_with_token(apiserver, token) as sa:
        assert kubernetes.client.VersionApi(sa).get_code().git_version.startswith("v1.")
        CoreV1Api(k8s).delete_namespaced_service_account("temp", "default")
        wait_unauthorized(kubernetes.client.VersionApi(sa).get_code)
    with client_with_token(apiserver, token + "x") as forged, pytest.raises(ApiException) as e:
        kubernetes.client.VersionApi(forged).get_code()
    assert e.value.status == 401


def test_kubectl_auth_can_i_and_whoami(apiserver: APIServer, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    kubectl = Path(sys.executable).parent / "kubectl"
    env = {**os.environ, "HOME": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kubectl), "--kubeconfig", str(apiserver.kubeconfig_path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    assert run("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    sa = "system:serviceaccount:default:default"
    assert run("auth", "can-i", "list", "pods", f"--as={sa}").stdout.strip() == "no"
    denied = run("get", "pods", f"--as={sa}")
    assert denied.returncode != 0
    assert f'User "{sa}" cannot list resource "pods"' in denied.stderr
    run("create", "role", "r", "--verb=list", "--resource=pods")
    run("create", "rolebinding", "rb", "--role=r", "--serviceaccount=default:default")
    assert run("auth", "can-i", "list", "pods", f"--as={sa}").stdout.strip() == "yes"
    assert run("get", "pods", f"--as={sa}").returncode == 0
    whoami = run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert whoami.returncode == 0 and whoami.stdout == "kubernetes-admin"


def test_reviews_say_which_token_and_why_not(apiserver: APIServer) -> None:
    """`kubectl auth whoami` with a service-account token names the token (its JTI, as audit logs
    do); a TokenReview of a token nobody issued says why, and the review records who asked."""
    admin = kubernetes.config.new_client_from_config(config_file=str(apiserver.kubeconfig_path))
    token = sa_token(admin, "whoami")
    with client_with_token(apiserver, token) as sa:
        answer = kubernetes.client.AuthenticationV1Api(sa).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        )
    user = answer.status.user_info
    assert user.username == "system:serviceaccount:default:whoami"
    [credential] = user.extra["authentication.kubernetes.io/credential-id"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert credential == f"JTI={claims['jti']}"
    assert answer.metadata.creation_timestamp is not None
    review = kubernetes.client.AuthenticationV1Api(admin).create_token_review(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "forged"}},
        _preload_content=False,
    )
    body = json.loads(review.data)
    assert body["status"] == {"user": {}, "error": "invalid bearer token"}
    assert "creationTimestamp" not in body["metadata"]
    [entry] = body["metadata"]["managedFields"]
    assert entry["fieldsV1"] == {"f:spec": {"f:token": {}}} and entry["operation"] == "Update"


def test_token_request_answer_is_kubes(k8s: kubernetes.client.ApiClient) -> None:
    """A TokenRequest's answer: a uid of its own, the writer's fields under subresource `token`,
    and the unset bound object written as null."""
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_service_account(
        "default", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "asked"}}
    )
    answer = v1.create_namespaced_service_account_token(
        "asked",
        "default",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
        _preload_content=False,
    )
    body = json.loads(answer.data)
    assert body["metadata"]["uid"]
    assert body["spec"]["boundObjectRef"] is None
    [entry] = body["metadata"]["managedFields"]
    assert (entry["subresource"], entry["fieldsV1"]) == ("token", {"f:spec": {"f:expirationSeconds": {}}})
