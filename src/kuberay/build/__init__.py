"""Pure builders: RayCluster -> the Pods, Services and RBAC objects KubeRay would create, which of
them to delete or create next, and the status to report."""

from kuberay.build.auth import build_auth_secret
from kuberay.build.autoscaler import build_autoscaler_container, build_autoscaler_rbac
from kuberay.build.ingress import build_head_ingress
from kuberay.build.naming import BuildOptions
from kuberay.build.pods import build_head_pod, build_worker_pod
from kuberay.build.scaling import HeadPlan, PodCreation, PodDeletion, WorkerPlan, plan_head, plan_workers
from kuberay.build.service import build_head_service
from kuberay.build.status import ReconcileError, compute_status

__all__ = [
    "BuildOptions",
    "HeadPlan",
    "PodCreation",
    "PodDeletion",
    "ReconcileError",
    "WorkerPlan",
    "build_auth_secret",
    "build_autoscaler_container",
    "build_autoscaler_rbac",
    "build_head_ingress",
    "build_head_pod",
    "build_head_service",
    "build_worker_pod",
    "compute_status",
    "plan_head",
    "plan_workers",
]
