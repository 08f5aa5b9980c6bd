"""KubeRay's operator with its leader election on (client-go's Lease lock, as KubeRay deploys it),
against the API server under test: the first process takes the Lease and keeps renewing it, a
second one waits while it is held, and takes over once the first dies without releasing it."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes
import pytest

from support.waiting import wait_for

NS = "leader-kuberay"
LEASE = "ray-operator-leader"  # KubeRay v1.5's LeaderElectionID


@pytest.fixture
def coordination(duel_server: Any) -> Iterator[kubernetes.client.CoordinationV1Api]:
    api = kubernetes.config.new_client_from_config(config_file=str(duel_server.kubeconfig_path))
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": NS}})
    try:
        yield kubernetes.client.CoordinationV1Api(api)
    finally:
        core.delete_namespace(NS)
        api.close()


def _lease(coordination: kubernetes.client.CoordinationV1Api) -> Any:
    try:
        return coordination.read_namespaced_lease(LEASE, NS).spec
    except kubernetes.client.ApiException as e:
        if e.status == 404:
            return None
        raise


def _renewed(t: datetime.datetime | None) -> float:
    return t.timestamp() if t is not None else 0.0


def test_kuberay_takes_renews_and_hands_over_its_lease(
    coordination: kubernetes.client.CoordinationV1Api, kuberay_operator: Callable[..., Any]
) -> None:
    first = kuberay_operator(NS, "first", leader_election=True)
    second = kuberay_operator(NS, "second", leader_election=True)
    try:
        first.start()
        held = wait_for(
            "the first operator to take the Lease",
            lambda: (s := _lease(coordination)) and s.holder_identity and s,
        )
        leader = held.holder_identity
        assert held.lease_duration_seconds == 15  # controller-runtime's default
        # its renewals (every 2 s) are updates of the Lease that the API server must accept
        wait_for(
            "the leader to renew its Lease",
            lambda: _renewed(_lease(coordination).renew_time) > _renewed(held.renew_time),
            timeout=20,
        )

        second.start()
        time.sleep(5)  # more than two of the standby's retry periods
        now = _lease(coordination)
        assert now.holder_identity == leader, "a second operator took a Lease that was being renewed"
        assert "successfully acquired lease" not in second.log()

        assert first.proc is not None
        first.proc.kill()  # no release: the standby must wait for the Lease to expire
        first.proc.wait(timeout=10)
        after = wait_for(
            "the standby to take over the expired Lease",
            lambda: (s := _lease(coordination)).holder_identity != leader and s,
            timeout=45,
        )
        assert after.holder_identity
        assert (after.lease_transitions or 0) == (held.lease_transitions or 0) + 1
        assert "successfully acquired lease" in second.log()
    except BaseException:
        for name, op in (("first", first), ("second", second)):
            print(f"--- {name} KubeRay operator log (tail) ---\n{op.log()[-3000:]}")
        raise
