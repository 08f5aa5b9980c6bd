"""A built-in kind's Go zero value, as its JSON is written: what a create's managedFields are
computed against (a field there already is not "added" by the create)."""

from __future__ import annotations

from localkube.apiserver.gozero import new_status, zero_object


def test_a_pods_zero_value_has_spec_containers_null_and_no_omitempty_fields() -> None:
    pod = zero_object("v1", "Pod")
    assert pod is not None
    assert pod["spec"]["containers"] is None  # `json:"containers"`: Go writes null
    assert "initContainers" not in pod["spec"] and "volumes" not in pod["spec"]  # omitempty
    assert pod["status"] == {}


def test_a_required_struct_and_scalar_are_written_at_their_zero() -> None:
    hpa = zero_object("autoscaling/v2", "HorizontalPodAutoscaler")
    assert hpa is not None
    assert hpa["spec"]["scaleTargetRef"] == {"kind": "", "name": ""}
    assert hpa["spec"]["maxReplicas"] == 0
    assert "behavior" not in hpa["spec"]  # a pointer with omitempty


def test_a_kind_the_tables_lack_has_no_zero_value() -> None:
    assert zero_object("example.com/v1", "Widget") is None


def test_a_new_status_holds_the_counts_go_writes_at_zero() -> None:
    assert new_status("apps/v1", "DaemonSet") == {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }
    assert new_status("networking.k8s.io/v1", "Ingress") == {"loadBalancer": {}}
    assert new_status("storage.k8s.io/v1", "VolumeAttachment") == {"attached": False}
    # a fresh dict each time: the caller stores it
    first = new_status("apps/v1", "StatefulSet")
    first["replicas"] = 3
    assert new_status("apps/v1", "StatefulSet")["replicas"] == 0
