"""Two operator replicas with --leader-elect: one writes, and a standby takes over."""

from __future__ import annotations

from pathlib import Path

from support.kuberay import Kube, sample_cluster
from support.operator import OperatorProcess
from support.waiting import wait_for


def test_only_the_leader_writes_and_a_standby_takes_over(
    operator: OperatorProcess, kube: Kube, kubeconfig: Path, tmp_path: Path
) -> None:
    # The fixture's operator runs without election; stop it and run two electing replicas.
    operator.stop()
    first = OperatorProcess(kubeconfig, tmp_path / "first.log", ["--leader-elect"])
    second = OperatorProcess(kubeconfig, tmp_path / "second.log", ["--leader-elect"])
    try:
        first.start()
        wait_for("first to lead", lambda: "leading as" in first.log())
        second.start()
        kube.create(sample_cluster(name="one", replicas=2))
        wait_for("pods of one", lambda: len(kube.pods("one")) == 3)
        assert first.writes() > 0
        assert second.writes() == 0
        assert "leading as" not in second.log()

        first.kill()  # no clean release: the standby must wait out the Lease
        wait_for("second to lead", lambda: "leading as" in second.log(), timeout=40)
        kube.create(sample_cluster(name="two", replicas=2))
        wait_for("pods of two", lambda: len(kube.pods("two")) == 3)
        assert len(kube.pods("one")) == 3, "the new leader must not duplicate the old leader's pods"
    finally:
        first.stop()
        second.stop()


def test_clean_shutdown_hands_over_at_once(
    operator: OperatorProcess, kube: Kube, kubeconfig: Path, tmp_path: Path
) -> None:
    operator.stop()
    first = OperatorProcess(kubeconfig, tmp_path / "first.log", ["--leader-elect"])
    second = OperatorProcess(kubeconfig, tmp_path / "second.log", ["--leader-elect"])
    try:
        first.start()
        wait_for("first to lead", lambda: "leading as" in first.log())
        second.start()
        first.stop()  # SIGTERM: releases the Lease
        wait_for("second to lead", lambda: "leading as" in second.log(), timeout=10)
    finally:
        first.stop()
        second.stop()
