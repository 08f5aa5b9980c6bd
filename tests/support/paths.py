"""Where the tests find the repository and the shared reference data (KubeRay's CRDs and samples),
which sits beside the checkout as ../shared."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
KUBERAY_SAMPLES = SHARED / "kuberay" / "samples"
KUBERAY_CRD = SHARED / "kuberay" / "crds" / "ray.io_rayclusters.yaml"
# KubeRay's RayCluster samples; the folder also holds RayJob and RayService samples.
RAYCLUSTER_SAMPLES = sorted(KUBERAY_SAMPLES.glob("ray-cluster.*.yaml"))
OUR_SAMPLES = REPO / "config" / "samples"
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
KUBECTL = BIN / "kubectl"
KUBERAY = BIN / "kuberay"
