"""`kuberay operator`: flags, logging, signals, endpoints, and (optionally) leader election."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping

from kuberay.api.fields import SETTINGS_REFUSED
from kuberay.build.naming import options_from_env
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
    p.add_argument(
        "--watch-namespace",
        default="",
        metavar="NS1,NS2",
        help="KubeRay's form of --namespace: namespaces to watch, separated by commas",
    )
    p.add_argument("--metrics-addr", default=":8080", help="Prometheus metrics bind address (KubeRay: :8080)")
    p.add_argument(
        "--health-addr",
        "--health-probe-bind-address",
        dest="health_addr",
        default=":8082",
        help="/healthz and /readyz bind address (KubeRay: --health-probe-bind-address, :8082)",
    )
    p.add_argument(
        "--workers",
        "--reconcile-concurrency",
        dest="workers",
        type=int,
        default=8,
        help="clusters reconciled at the same time (KubeRay: --reconcile-concurrency)",
    )
    _bool_flag(
        p,
        "--leader-elect",
        "--enable-leader-election",
        help="run only while holding the leader Lease (KubeRay: --enable-leader-election[=false])",
    )
    p.add_argument(
        "--unhealthy-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="/healthz fails once the watches could not list or authenticate for this long "
        "(so that Kubernetes restarts the operator); /readyz fails at once",
    )
    p.add_argument("--leader-election-namespace", default=None, help="namespace of the leader Lease")
    p.add_argument("--leader-election-id", default="kuberay-operator", help="name of the leader Lease")
    p.add_argument(
        "--batch-scheduler",
        default="",
        help="KubeRay's gang-scheduler integration (volcano, yunikorn, ...): not provided, refused when set",
    )
    _bool_flag(
        p, "--enable-batch-scheduler", help="KubeRay's deprecated form of --batch-scheduler=volcano: refused"
    )
    for flag in _REFUSED_FLAGS:
        # Accepted so that the operator can say why it stops, rather than argparse's bare "unrecognized".
        p.add_argument(flag, dest=_dest(flag), nargs="?", const="true", default=None, help=argparse.SUPPRESS)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=run_operator_command)


def _bool_flag(p: argparse.ArgumentParser, *names: str, help: str) -> None:
    """A boolean flag written `--flag`, `--flag=true` or `--flag=false`, as Go's flag package reads it."""
    p.add_argument(
        *names, nargs="?", const="true", default="false", type=_flag_bool, metavar="true|false", help=help
    )


# KubeRay's flags this operator does not take, besides the batch scheduler's (handled above).
_REFUSED_FLAGS = [
    f
    for f in SETTINGS_REFUSED
    if f.startswith("--") and f not in ("--batch-scheduler", "--enable-batch-scheduler")
]


def _dest(flag: str) -> str:
    return "kuberay_" + flag.lstrip("-").replace("-", "_")


def _flag_bool(value: str) -> bool:
    """Go's flag package spelling of booleans, so KubeRay's `--flag=false` works unchanged."""
    lowered = value.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def operator_settings(args: argparse.Namespace, env: Mapping[str, str]) -> OperatorOptions:
    """The operator's settings from KubeRay's flags and environment variables, or SettingsError
    naming what this operator cannot do."""
    if args.batch_scheduler or args.enable_batch_scheduler:
        name = args.batch_scheduler or "volcano"
        raise SettingsError(
            f"--batch-scheduler={name}: this operator has no batch scheduler integration (KubeRay's "
            "volcano, yunikorn, kai-scheduler, scheduler-plugins); pods are scheduled by the default "
            "scheduler. Remove the flag (Helm: batchScheduler.name and batchScheduler.enabled)."
        )
    for flag in _REFUSED_FLAGS:
        if getattr(args, _dest(flag)) is not None:
            raise SettingsError(f"{flag}: {SETTINGS_REFUSED[flag]}")
    if args.workers < 1:
        raise SettingsError(f"--reconcile-concurrency={args.workers}: must be at least 1")
    watched = [*args.namespace, *(ns.strip() for ns in args.watch_namespace.split(",") if ns.strip())]
    for var, value in env.items():
        why = refused_environment(var, value)
        if why:
            raise SettingsError(f"{var}={value}: {why}")
    return OperatorOptions(
        namespaces=watched,
        workers=args.workers,
        build=options_from_env(env),
        resync_seconds=resync_seconds(env),
    )


REQUEUE_ENV = "RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV"
DEFAULT_REQUEUE_SECONDS = 300.0


def resync_seconds(env: Mapping[str, str]) -> float | None:
    """KubeRay's unconditional requeue of a reconciled RayCluster: RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV
    seconds, 300 when it is not an integer (as KubeRay's Atoi fallback); 0 or less: none."""
    try:
        seconds = int(env.get(REQUEUE_ENV, ""))
    except ValueError:
        return DEFAULT_REQUEUE_SECONDS
    return float(seconds) if seconds > 0 else None


def refused_environment(var: str, value: str) -> str:
    """Why the operator refuses one of KubeRay's environment settings ("" when it takes it)."""
    if var == "ENABLE_WEBHOOKS" and value.lower() == "true":
        return (
            "this operator serves no admission webhooks; a RayCluster's spec is validated when it is "
            "reconciled (Warning event InvalidRayClusterSpec, status.state failed). Remove the setting "
            "(Helm: webhooks.enabled)."
        )
    if var == "USE_INGRESS_ON_OPENSHIFT" and value.lower() != "true":
        return (
            "this operator makes no OpenShift Routes; enableIngress always makes an Ingress, which is "
            "what KubeRay does with USE_INGRESS_ON_OPENSHIFT=true. Set it to true or remove it."
        )
    return ""


class SettingsError(Exception):
    """A flag or environment setting the operator refuses, with the reason and the fix."""


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
        options = operator_settings(args, os.environ)
    except SettingsError as err:
        print(f"kuberay operator: {err}", file=sys.stderr)
        return 2
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
        options,
        WatchHealth(args.unhealthy_after),
        terminate=stop.set,
    )
    elector: LeaderElector | None = None
    is_leader = LeadershipFlag()
    lease_api = conn.api_client()

    async def fresh_lease_api() -> object:
        # as reconnect() for the watches: the Lease requests need the current credentials too
        return (await connect(args.kubeconfig)).api_client()

    lease_client = ApiLeaseClient(lease_api, reconnect=fresh_lease_api)
    if args.leader_elect:
        elector = LeaderElector(
            lease_client,
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
    scope = ", ".join(options.namespaces) if options.namespaces else "all namespaces"
    log.info("connecting through %s; watching %s; endpoints on %s", conn.source, scope, bound)
    try:
        if elector is None:
            await operator.run(stop)
            return 0
        return await _run_as_leader(operator, elector, is_leader, stop)
    finally:
        await runner.cleanup()
        await lease_client.close()
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
