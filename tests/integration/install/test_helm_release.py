"""The chart installed and upgraded by Helm itself (helm-python-sdk: Helm's Go SDK) into localkube
with RBAC enforced: the release's objects are the ones render_install describes."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm
import kubernetes

from kuberay.install import InstallOptions, operator_args, render
from localkube.apiserver.server import APIServer

CHART = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "kuberay-operator"


def test_helm_install_then_upgrade_to_a_namespaced_operator(
    apiserver: APIServer, kubeconfig: Path, k8s: kubernetes.client.ApiClient
) -> None:
    apps = kubernetes.client.AppsV1Api(k8s)
    rbac = kubernetes.client.RbacAuthorizationV1Api(k8s)
    ext = kubernetes.client.ApiextensionsV1Api(k8s)
    with helm.Config(namespace="ray-system", kubeconfig_path=str(kubeconfig)) as cfg:
        release = cfg.install(str(CHART), "kuberay-operator", {}, create_namespace=True, timeout=60)
        assert release["status"] == "deployed"
        assert ext.read_custom_resource_definition("rayclusters.ray.io").spec.group == "ray.io"
        deploy = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        assert deploy.spec.template.spec.containers[0].args == operator_args(InstallOptions())
        cluster_role = rbac.read_cluster_role("kuberay-operator")
        expected = next(o for o in render(InstallOptions()) if o["kind"] == "ClusterRole")
        assert [sorted(r.resources) for r in cluster_role.rules] == [
            sorted(r["resources"]) for r in expected["rules"]
        ]

        release = cfg.upgrade(
            str(CHART), "kuberay-operator", {"watchNamespace": ["default"], "replicas": 2}, timeout=60
        )
        assert release["status"] == "deployed" and release["revision"] == 2
        deploy = apps.read_namespaced_deployment("kuberay-operator", "ray-system")
        assert deploy.spec.replicas == 2
        assert "--namespace=default" in deploy.spec.template.spec.containers[0].args
        role = rbac.read_namespaced_role("kuberay-operator", "default")
        assert {"pods", "rayclusters"} <= {res for r in role.rules for res in r.resources}
        narrowed = {res for r in rbac.read_cluster_role("kuberay-operator").rules for res in r.resources}
        assert narrowed == {"customresourcedefinitions", "namespaces"}
