"""`kuberay operator`: flags, logging, signals, endpoints, and (optionally) leader election."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable

from kuberay.controller.connection import Connection, connect
from kuberay.controller.health import WatchHealth
from kuberay.controller.leader import ApiLeaseClient, LeaderElector, default_namespace
from kuberay.controller.operator import OperatorOptions
from kuberay.controller.serving import start_endpoints
from kuberay.controller.supervisor import Supervisor

log = logging.getLogger("kuberay.operator")


class LeadershipFlag(asyncio.Event):
    """Set while this replica leads; clearing it (a lost Lease) calls `on_loss` at once."""

    def __init__(self) -> None:
        super().__init__()
        self.on_loss: Callable[[], None] | None = None

    def clear(self) -> None:
        was_set = self.is_set()
        super().clear()
        if was_set and self.on_loss is not None:
            self.on_loss()


def add_operator_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("operator", help="reconcile RayClusters (KubeRay-compatible)")
    p.add_argument(
        "--kubeconfig", help="kubeconfig to use (default: in-cluster, then $KUBECONFIG, ~/.kube/config)"
    )
    p.add_argument(
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch only this namespace (repeatable; default: all namespaces)",
    )
    p.add_argument("--metrics-addr", default=":8080", help="Prometheus metrics bind address (KubeRay: :8080)")
    p.add_argument(
        "--health-addr", default=":8082", help="/healthz and /readyz bind address (KubeRay: :8082)"
    )
    p.add_argument(
        "--unhealthy-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="/healthz fails once the watches could not list or authenticate for this long "
        "(so that Kubernetes restarts the operator); /readyz fails at once",
    )
    p.add_argument("--workers", type=int, default=8, help="clusters reconciled at the same time")
    p.add_argument("--leader-elect", action="store_true", help="run only while holding the leader Lease")
    p.add_argument("--leader-election-namespace", default=None, help="namespace of the leader Lease")
    p.add_argument("--leader-election-id", default="kuberay-operator", help="name of the leader Lease")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=run_operator_command)


def run_operator_command(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # kopf narrates every watch event at INFO; keep its voice to what needs attention.
    logging.getLogger("kopf").setLevel(max(logging.WARNING, getattr(logging, args.log_level.upper())))
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 0


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        conn = await connect(args.kubeconfig)
    except Exception as err:  # any config error is the user's to fix, not a traceback
        print(f"kuberay operator: cannot load Kubernetes credentials: {err}", file=sys.stderr)
        return 1
    first: Connection | None = conn

    async def reconnect() -> Connection:
        # Read the kubeconfig or the service account's files again: after an API server restart
        # the token (or the CA) may be new. The first time, the connection just loaded.
        nonlocal first
        if first is not None:
            loaded, first = first, None
            return loaded
        return await connect(args.kubeconfig)

    operator = Supervisor(
        reconnect,
        OperatorOptions(namespaces=args.namespace, workers=args.workers),
        WatchHealth(args.unhealthy_after),
        terminate=stop.set,
    )
    elector: LeaderElector | None = None
    is_leader = LeadershipFlag()
    lease_api = conn.api_client()
    if args.leader_elect:
        elector = LeaderElector(
            ApiLeaseClient(lease_api),
            name=args.leader_election_id,
            namespace=args.leader_election_namespace or default_namespace(),
        )

    def standby() -> bool:
        # A standby is healthy and ready; it simply does not reconcile.
        return elector is not None and not is_leader.is_set()

    runner, bound = await start_endpoints(
        args.metrics_addr,
        args.health_addr,
        is_ready=lambda: operator.ready() or standby(),
        is_alive=lambda: operator.alive() or standby(),
        why=lambda: operator.health.reason,
    )
    scope = ", ".join(args.namespace) if args.namespace else "all namespaces"
    log.info("connecting through %s; watching %s; endpoints on %s", conn.source, scope, bound)
    try:
        if elector is None:
            await operator.run(stop)
            return 0
        return await _run_as_leader(operator, elector, is_leader, stop)
    finally:
        await runner.cleanup()
        await lease_api.close()


async def _run_as_leader(
    operator: Supervisor, elector: LeaderElector, is_leader: LeadershipFlag, stop: asyncio.Event
) -> int:
    """Reconcile only while holding the Lease; a lost Lease ends the process (exit 1), as
    controller-runtime does, so a restarted replica starts again from a fresh cache."""
    election = asyncio.create_task(elector.run(is_leader, stop))
    try:
        leading = asyncio.create_task(is_leader.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({leading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        leading.cancel()
        stopping.cancel()
        if stop.is_set():
            return 0
        log.info("leading as %s", elector.identity)
        operator.may_write = is_leader.is_set
        halt = asyncio.Event()
        is_leader.on_loss = halt.set
        stop_relay = asyncio.create_task(stop.wait())
        stop_relay.add_done_callback(lambda _: halt.set())
        try:
            await operator.run(halt)
        finally:
            stop_relay.cancel()
        if stop.is_set():
            return 0
        log.error("leader election lost: stopping so that only the new leader writes")
        return 1
    finally:
        stop.set()
        await election
