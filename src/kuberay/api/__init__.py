"""The ray.io/v1 RayCluster API: typed model, KubeRay's defaults, semantic validation, the CRD."""

from kuberay.api.crd import render_crd
from kuberay.api.types import RayCluster, parse_raycluster

__all__ = ["RayCluster", "parse_raycluster", "render_crd"]
