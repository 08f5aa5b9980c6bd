"""KubeRay's RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV: a reconciled RayCluster is looked at again
after that long without any event, and a pass that finds nothing to change writes nothing."""

from __future__ import annotations

from pathlib import Path

from support.kuberay import Kube, sample_cluster
from support.operator import OperatorProcess
from support.waiting import wait_for


def test_a_reconciled_cluster_is_looked_at_again_writing_nothing(
    operator: OperatorProcess, kube: Kube, kubeconfig: Path, tmp_path: Path
) -> None:
    operator.stop()  # the fixture's operator has KubeRay's 300 s; this one looks again every second
    every_second = {"RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "1"}
    with OperatorProcess(kubeconfig, tmp_path / "resync.log", env=every_second).running() as op:
        kube.create(sample_cluster(name="resync", replicas=1))
        wait_for("the cluster's pods", lambda: len(kube.pods("resync")) == 2)
        passes = op.reconciles("requeue_after")
        wait_for("two passes with no event", lambda: op.reconciles("requeue_after") >= passes + 2, timeout=30)
        writes, passes = op.writes(), op.reconciles("requeue_after")
        wait_for("three more passes", lambda: op.reconciles("requeue_after") >= passes + 3, timeout=30)
        assert op.writes() == writes, "a pass that finds nothing to change must not write"
        assert len(kube.pods("resync")) == 2
