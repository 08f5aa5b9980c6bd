"""`kuberay operator`: flags, logging, signals, endpoints, and (optionally) leader election."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from kuberay.controller.connection import connect
from kuberay.controller.operator import Operator, OperatorOptions
from kuberay.controller.serving import start_endpoints

log = logging.getLogger("kuberay.operator")


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
    operator = Operator(conn, OperatorOptions(namespaces=args.namespace, workers=args.workers))
    runner, bound = await start_endpoints(args.metrics_addr, args.health_addr, operator.ready.is_set)
    scope = ", ".join(args.namespace) if args.namespace else "all namespaces"
    log.info("connecting through %s; watching %s; endpoints on %s", conn.source, scope, bound)
    try:
        await operator.run(stop)
    finally:
        await runner.cleanup()
    return 0
