"""The ray.io/v1 RayCluster API: typed model, KubeRay's defaults, semantic validation, the CRD."""

from kuberay.api.crd import render_crd
from kuberay.api.defaults import apply_defaults
from kuberay.api.types import RayCluster, parse_raycluster
from kuberay.api.validation import Problem, validate_raycluster

__all__ = ["Problem", "RayCluster", "apply_defaults", "parse_raycluster", "render_crd", "validate_raycluster"]
