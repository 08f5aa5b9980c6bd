"""The taints a Node gets from admission and keeps from its conditions, as Kubernetes keeps them."""

from __future__ import annotations

from typing import Any

from localkube.apiserver import node_taints

NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


def node(ready: str | None, taints: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {
        "spec": {**spec, **({"taints": taints} if taints is not None else {})},
        "status": {"conditions": conditions},
    }


def test_a_new_node_is_not_ready_until_its_conditions_say_so() -> None:
    new = node("True")
    node_taints.admit(new)
    assert new["spec"]["taints"] == [NOT_READY]
    node_taints.admit(new)
    assert new["spec"]["taints"] == [NOT_READY]
    # the lifecycle pass takes it away once Ready is True, and leaves a user's taint
    user = {"key": "dedicated", "value": "ray", "effect": "NoSchedule"}
    assert node_taints.no_schedule_pass(node("True", [user, NOT_READY])) == [user]
    assert node_taints.no_schedule_pass(node("True", [user])) is None


def test_conditions_and_cordon_each_keep_their_taint() -> None:
    unknown = node_taints.no_schedule_pass(node("Unknown", [NOT_READY]))
    assert unknown == [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]
    pressured = node("True")
    pressured["status"]["conditions"].append({"type": "MemoryPressure", "status": "True"})
    assert node_taints.no_schedule_pass(pressured) == [
        {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}
    ]
    cordoned = node_taints.no_schedule_pass(node("True", unschedulable=True))
    assert cordoned == [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    # uncordoned: the taint goes, and a NoExecute taint of the same key is not the pass's to remove
    evicting = {"key": "node.kubernetes.io/unschedulable", "effect": "NoExecute"}
    assert node_taints.no_schedule_pass(node("True", [*cordoned, evicting])) == [evicting]
