"""`kuberay install --apply` against localkube, then the operator's service account does what the
operator does: every call it needs is allowed, nothing else is, and removing one rule from the
ClusterRole makes localkube's RBAC refuse exactly that call."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from kubernetes.client.rest import ApiException

from kuberay.build.autoscaler import AUTOSCALER_RULES
from kuberay.install import apply, render_install
from localkube.apiserver.server import APIServer
from support.clients import client_with_token

RAYCLUSTER = {
    "apiVersion": "ray.io/v1",
    "kind": "RayCluster",
    "metadata": {"name": "demo"},
    "spec": {
        "headGroupSpec": {
            "rayStartParams": {},
            "template": {"spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.60.0"}]}},
        }
    },
}


def without_deployment(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The Deployment needs apps/v1 and a kubelet; here the test acts as the operator itself.
    return [o for o in objects if o["kind"] != "Deployment"]


def as_service_account(apiserver: APIServer, admin: kubernetes.client.ApiClient, ns: str, name: str) -> Any:
    core = kubernetes.client.CoreV1Api(admin)
    request = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    token = core.create_namespaced_service_account_token(name, ns, request).status.token
    return client_with_token(apiserver, token)


@pytest.fixture
def admin_setup(
    apiserver: APIServer, kubeconfig: Path, k8s: kubernetes.client.ApiClient
) -> kubernetes.client.ApiClient:
    core = kubernetes.client.CoreV1Api(k8s)
    for ns in ("team", "other"):
        core.create_namespace({"metadata": {"name": ns}})
    return k8s


class Operator:
    """The calls the operator makes, with its own token."""

    def __init__(self, api: kubernetes.client.ApiClient) -> None:
        self.api = api
        self.core = kubernetes.client.CoreV1Api(api)
        self.custom = kubernetes.client.CustomObjectsApi(api)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(api)
        self.coord = kubernetes.client.CoordinationV1Api(api)
        self.ext = kubernetes.client.ApiextensionsV1Api(api)

    def reconcile_once(self, ns: str) -> None:
        self.custom.list_namespaced_custom_object("ray.io", "v1", ns, "rayclusters")
        rc = self.custom.get_namespaced_custom_object("ray.io", "v1", ns, "rayclusters", "demo")
        pod = {
            "metadata": {"name": "demo-head", "labels": {"ray.io/cluster": "demo"}},
            "spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.60.0"}]},
        }
        self.core.create_namespaced_pod(ns, pod)
        self.core.list_namespaced_pod(ns, label_selector="ray.io/cluster")
        self.core.patch_namespaced_pod("demo-head", ns, {"metadata": {"labels": {"x": "y"}}})
        svc = {"metadata": {"name": "demo-head-svc"}, "spec": {"ports": [{"port": 6379}]}}
        self.core.create_namespaced_service(ns, svc)
        self.core.create_namespaced_service_account(ns, {"metadata": {"name": "demo"}})
        role = {"metadata": {"name": "demo"}, "rules": copy.deepcopy(AUTOSCALER_RULES)}
        self.rbac.create_namespaced_role(ns, role)
        binding = {
            "metadata": {"name": "demo"},
            "subjects": [{"kind": "ServiceAccount", "name": "demo", "namespace": ns}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "demo"},
        }
        self.rbac.create_namespaced_role_binding(ns, binding)
        # authOptions token: the Secret holding it; enableIngress: the head Ingress, kept up to date.
        self.core.create_namespaced_secret(
            ns, {"metadata": {"name": "demo"}, "stringData": {"auth_token": "t"}}
        )
        self.core.list_namespaced_secret(ns, label_selector="ray.io/cluster")
        networking = kubernetes.client.NetworkingV1Api(self.api)
        ingress = {
            "metadata": {"name": "demo-head-ingress"},
            "spec": {"defaultBackend": {"service": {"name": "demo-head-svc", "port": {"number": 8265}}}},
        }
        created_ingress = networking.create_namespaced_ingress(ns, ingress)
        networking.list_namespaced_ingress(ns, label_selector="ray.io/cluster")
        networking.replace_namespaced_ingress("demo-head-ingress", ns, created_ingress)
        event = {
            "metadata": {"name": "demo.1"},
            "involvedObject": {
                "apiVersion": "ray.io/v1",
                "kind": "RayCluster",
                "name": "demo",
                "namespace": ns,
            },
            "reason": "CreatedWorkerPod",
            "message": "Created worker Pod",
            "type": "Normal",
        }
        self.core.create_namespaced_event(ns, event)
        self.custom.patch_namespaced_custom_object_status(
            "ray.io", "v1", ns, "rayclusters", "demo", {"status": {"state": "ready"}}
        )
        self.core.delete_namespaced_pod("demo-head", ns)
        assert rc["metadata"]["name"] == "demo"

    def lease(self, ns: str) -> None:
        lease = {
            "metadata": {"name": "kuberay-operator"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15},
        }
        created = self.coord.create_namespaced_lease(ns, lease)
        created.spec.holder_identity = "me-again"
        self.coord.replace_namespaced_lease("kuberay-operator", ns, created)
        self.coord.read_namespaced_lease("kuberay-operator", ns)


def forbidden(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ApiException) as info:
        call(*args, **kwargs)
    assert info.value.status == 403, info.value.body
    return str(info.value.body)


@pytest.fixture
def operator(
    apiserver: APIServer, kubeconfig: Path, admin_setup: kubernetes.client.ApiClient
) -> Iterator[Operator]:
    lines = asyncio.run(apply(without_deployment(render_install()), str(kubeconfig)))
    assert "clusterrole.rbac.authorization.k8s.io/kuberay-operator created" in lines
    kubernetes.client.CustomObjectsApi(admin_setup).create_namespaced_custom_object(
        "ray.io", "v1", "team", "rayclusters", RAYCLUSTER
    )
    api = as_service_account(apiserver, admin_setup, "ray-system", "kuberay-operator")
    try:
        yield Operator(api)
    finally:
        api.close()


def test_the_installed_rbac_lets_the_operator_do_its_work_in_any_namespace(operator: Operator) -> None:
    operator.reconcile_once("team")
    operator.lease("ray-system")
    # what kopf reads to resolve resources, cluster-wide
    operator.ext.list_custom_resource_definition()
    operator.custom.list_cluster_custom_object("ray.io", "v1", "rayclusters")


def test_the_operator_can_do_nothing_beyond_its_rules(operator: Operator) -> None:
    # Secrets: only to create the auth token's and to notice it exists; never to change or delete one.
    forbidden(operator.core.delete_namespaced_secret, "x", "team")
    forbidden(operator.core.patch_namespaced_secret, "x", "team", {"metadata": {"labels": {"a": "b"}}})
    forbidden(operator.core.list_namespaced_config_map, "team")
    # (RayClusters it may delete: a RayJob's own cluster goes when the job is done, as in KubeRay)
    forbidden(operator.core.delete_namespace, "team")
    forbidden(operator.rbac.create_cluster_role, {"metadata": {"name": "x"}, "rules": []})
    # leader election only in its own namespace
    forbidden(
        operator.coord.create_namespaced_lease,
        "team",
        {"metadata": {"name": "kuberay-operator"}, "spec": {"holderIdentity": "me"}},
    )


def test_removing_one_rule_from_the_cluster_role_stops_that_call(
    operator: Operator, admin_setup: kubernetes.client.ApiClient
) -> None:
    rbac = kubernetes.client.RbacAuthorizationV1Api(admin_setup)
    role = rbac.read_cluster_role("kuberay-operator")
    role.rules = [r for r in role.rules if r.resources != ["pods"]]
    rbac.replace_cluster_role("kuberay-operator", role)
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    message = forbidden(operator.core.create_namespaced_pod, "team", pod)
    assert 'cannot create resource \\"pods\\" in API group \\"\\" in the namespace \\"team\\"' in message
    # the rest still works
    operator.core.create_namespaced_service(
        "team", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 1}]}}
    )


def test_a_namespaced_install_reaches_only_its_watched_namespaces(
    apiserver: APIServer, kubeconfig: Path, admin_setup: kubernetes.client.ApiClient
) -> None:
    objects = without_deployment(render_install(watch_namespaces=["team"]))
    asyncio.run(apply(objects, str(kubeconfig)))
    kubernetes.client.CustomObjectsApi(admin_setup).create_namespaced_custom_object(
        "ray.io", "v1", "team", "rayclusters", RAYCLUSTER
    )
    api = as_service_account(apiserver, admin_setup, "ray-system", "kuberay-operator")
    try:
        op = Operator(api)
        op.reconcile_once("team")
        forbidden(op.core.list_namespaced_pod, "other")
        forbidden(op.custom.list_cluster_custom_object, "ray.io", "v1", "rayclusters")
        op.core.list_namespace()  # kopf watches namespaces when given named ones
        op.ext.list_custom_resource_definition()
    finally:
        api.close()


def test_applying_again_updates_in_place(kubeconfig: Path, admin_setup: kubernetes.client.ApiClient) -> None:
    asyncio.run(apply(without_deployment(render_install()), str(kubeconfig)))
    lines = asyncio.run(apply(without_deployment(render_install(log_level="debug")), str(kubeconfig)))
    assert "serviceaccount/kuberay-operator configured" in lines
    assert "customresourcedefinition.apiextensions.k8s.io/rayclusters.ray.io configured" in lines
