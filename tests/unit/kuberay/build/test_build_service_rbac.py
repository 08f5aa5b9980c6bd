"""The head Service and the autoscaler's ServiceAccount/Role/RoleBinding, as KubeRay builds them."""

from __future__ import annotations

from typing import Any

from kuberay.build import (
    BuildOptions,
    build_autoscaler_rbac,
    build_head_ingress,
    build_head_pod,
    build_head_service,
)

SELECTOR = {
    "ray.io/cluster": "raycluster-kuberay",
    "ray.io/node-type": "head",
    "ray.io/identifier": "raycluster-kuberay-head",
    "app.kubernetes.io/name": "kuberay",
    "app.kubernetes.io/created-by": "kuberay-operator",
}


def test_sample_head_service(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    svc = build_head_service(cluster)
    assert svc["metadata"]["name"] == "raycluster-kuberay-head-svc"
    assert svc["metadata"]["namespace"] == "default"
    assert svc["metadata"]["labels"] == SELECTOR
    assert svc["metadata"]["ownerReferences"][0]["uid"] == cluster["metadata"]["uid"]
    assert svc["metadata"]["ownerReferences"][0]["controller"] is True
    assert svc["spec"]["selector"] == SELECTOR
    assert svc["spec"]["ports"] == [
        {"name": "client", "port": 10001, "appProtocol": "tcp"},
        {"name": "dashboard", "port": 8265, "appProtocol": "tcp"},
        {"name": "gcs-server", "port": 6379, "appProtocol": "tcp"},
        {"name": "metrics", "port": 8080, "appProtocol": "tcp"},
    ]
    # KubeRay's head service is headless by default: one head pod, resolved directly.
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["publishNotReadyAddresses"] is True


def test_service_selects_the_head_pod(sample: dict[str, Any]) -> None:
    svc = build_head_service(sample)
    labels = build_head_pod(sample)["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())


def test_cluster_ip_service_option_and_service_type(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    assert "clusterIP" not in build_head_service(cluster, BuildOptions(head_cluster_ip_service=True))["spec"]
    cluster["spec"]["headGroupSpec"]["serviceType"] = "NodePort"
    spec = build_head_service(cluster)["spec"]
    assert spec["type"] == "NodePort"
    assert "clusterIP" not in spec


def test_default_ports_when_the_head_container_declares_none(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    del cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    ports = {p["name"]: p["port"] for p in build_head_service(cluster)["spec"]["ports"]}
    assert ports == {"client": 10001, "dashboard": 8265, "gcs-server": 6379, "metrics": 8080, "serve": 8000}


def test_unnamed_container_port_is_named_after_its_number(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 9000}]
    ports = {p["name"]: p["port"] for p in build_head_service(cluster)["spec"]["ports"]}
    assert ports == {"9000-port": 9000, "metrics": 8080}


def test_head_service_annotations(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headServiceAnnotations"] = {"cloud/lb": "internal"}
    assert build_head_service(cluster)["metadata"]["annotations"] == {"cloud/lb": "internal"}


def test_user_head_service_is_the_base(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headServiceAnnotations"] = {"a": "from-cluster"}
    cluster["spec"]["headGroupSpec"]["headService"] = {
        "metadata": {
            "name": "my-head",
            "namespace": "elsewhere",
            "annotations": {"a": "mine", "b": "mine"},
            "labels": {"team": "ml"},
        },
        "spec": {"type": "LoadBalancer", "selector": {"x": "y"}, "ports": [{"name": "extra", "port": 7000}]},
    }
    svc = build_head_service(cluster)
    assert svc["metadata"]["name"] == "my-head"
    assert svc["metadata"]["namespace"] == "default"  # always the RayCluster's namespace
    assert svc["metadata"]["annotations"] == {"a": "from-cluster", "b": "mine"}
    assert svc["metadata"]["labels"] == {"team": "ml", **SELECTOR}
    assert svc["spec"]["selector"] == SELECTOR
    assert svc["spec"]["type"] == "LoadBalancer"
    assert [p["name"] for p in svc["spec"]["ports"]] == [
        "extra",
        "client",
        "dashboard",
        "gcs-server",
        "metrics",
    ]


def test_no_rbac_without_autoscaling(load: Any) -> None:
    assert build_autoscaler_rbac(load("ray-cluster.sample.yaml")) == []


def test_autoscaler_rbac_is_kuberays(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    sa, role, binding = build_autoscaler_rbac(cluster)
    labels = {
        "ray.io/cluster": "raycluster-autoscaler",
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }
    for obj in (sa, role, binding):
        assert obj["metadata"]["name"] == "raycluster-autoscaler"
        assert obj["metadata"]["namespace"] == "default"
        assert obj["metadata"]["labels"] == labels
        assert obj["metadata"]["ownerReferences"][0]["kind"] == "RayCluster"
        assert obj["metadata"]["ownerReferences"][0]["controller"] is True
    assert (sa["apiVersion"], sa["kind"]) == ("v1", "ServiceAccount")
    assert role["kind"] == "Role"
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
        {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "patch"]},
    ]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "raycluster-autoscaler", "namespace": "default"}
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "raycluster-autoscaler",
    }
    # The pod runs as the service account the binding names.
    assert build_head_pod(cluster)["spec"]["serviceAccountName"] == binding["subjects"][0]["name"]


def test_user_service_account_is_bound_not_created(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["serviceAccountName"] = "my-sa"
    objects = build_autoscaler_rbac(cluster)
    assert [o["kind"] for o in objects] == ["Role", "RoleBinding"]
    assert objects[1]["subjects"][0]["name"] == "my-sa"


def test_no_ingress_unless_enabled(load: Any) -> None:
    assert build_head_ingress(load("ray-cluster.sample.yaml")) is None


def test_dashboard_ingress_without_options_routes_as_kuberay_v1_5(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    ingress = build_head_ingress(cluster)
    assert ingress is not None
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/raycluster-kuberay/(.*)", "Exact")


def test_dashboard_ingress(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "nginx", "nginx/rewrite": "/"}
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    cluster["spec"]["headGroupSpec"]["ingressOptions"] = {"host": "ray.example.com", "path": "/ray"}
    ingress = build_head_ingress(cluster)
    assert ingress is not None
    assert ingress["metadata"]["name"] == "raycluster-kuberay-head-ingress"
    assert ingress["metadata"]["annotations"] == {"nginx/rewrite": "/"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "ray.example.com"
    assert rule["http"]["paths"] == [
        {
            "path": "/ray",
            "pathType": "Prefix",
            "backend": {"service": {"name": "raycluster-kuberay-head-svc", "port": {"number": 8265}}},
        }
    ]
