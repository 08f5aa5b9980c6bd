"""A pod the node ran before it restarted shows what a rebooted node shows."""

from __future__ import annotations

from typing import Any

from localkube.kubelet.reboot import carry_over, ran_before
from localkube.kubelet.status import ContainerView


def kept_pod() -> dict[str, Any]:
    return {
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "main",
                    "containerID": "localkube://abc-main-2",
                    "restartCount": 2,
                    "state": {"running": {"startedAt": "2026-03-01T12:00:00Z"}},
                }
            ],
        }
    }


def test_only_a_pod_whose_containers_started_ran_before() -> None:
    assert ran_before(kept_pod())
    assert not ran_before({"status": {"phase": "Pending"}})
    assert not ran_before({"status": {"containerStatuses": [{"name": "main", "state": {"waiting": {}}}]}})


def test_a_restartable_container_starts_again_as_one_more_restart() -> None:
    view = ContainerView("main", "busybox")
    carry_over(kept_pod(), [view], "Always")
    assert view.restart_count == 3
    lost = view.last_state["terminated"]
    assert (lost["exitCode"], lost["reason"], lost["startedAt"]) == (255, "Unknown", "2026-03-01T12:00:00Z")
    assert "waiting" in view.state  # to be started again


def test_a_never_restarted_container_has_ended() -> None:
    view = ContainerView("main", "busybox")
    carry_over(kept_pod(), [view], "Never")
    assert view.restart_count == 2
    assert view.state["terminated"]["exitCode"] == 255
