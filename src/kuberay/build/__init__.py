"""Pure builders: RayCluster -> the Pods, Services and RBAC objects KubeRay would create."""

from kuberay.build.autoscaler import build_autoscaler_container, build_autoscaler_rbac
from kuberay.build.naming import BuildOptions
from kuberay.build.pods import build_head_pod, build_worker_pod
from kuberay.build.service import build_head_service

__all__ = [
    "BuildOptions",
    "build_autoscaler_container",
    "build_autoscaler_rbac",
    "build_head_pod",
    "build_head_service",
    "build_worker_pod",
]
