"""The `localkube` command line: `localkube up --dir DIR [--port N] [--no-kubelet] [--in-memory]
[--control-plane localkube|kubernetes]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import signal
import sys
from pathlib import Path

from localkube.apiserver.server import APIServer, tune_gc
from localkube.controllers.runner import run_controllers
from localkube.controlplane.plane import ControlPlaneError, KubernetesControlPlane
from localkube.kubelet.node import run_node


async def up(
    data_dir: Path,
    port: int,
    kubelet: bool,
    node_cpu: str = "64",
    node_memory: str = "256Gi",
    pod_cidr: str = "10.244.0.0/16",
    durable: bool = True,
    fsync: bool = False,
    control_plane: str = "localkube",
    kubernetes_binaries: Path | None = None,
) -> int:
    gateway = str(ipaddress.ip_network(pod_cidr).network_address + 1)
    server: APIServer | KubernetesControlPlane
    if control_plane == "kubernetes":
        try:
            server = KubernetesControlPlane(
                data_dir, binaries=kubernetes_binaries, port=port, node_address=gateway
            )
        except ControlPlaneError as e:
            print(f"localkube: {e}", file=sys.stderr)
            return 2
    else:
        server = APIServer(data_dir, port=port, extra_sans=(gateway,), durable=durable, fsync=fsync)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # a signal during start-up (the real control plane takes seconds) stops it there
    starting: asyncio.Task[None] = asyncio.create_task(server.start())
    interrupted: asyncio.Task[bool] = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError, ControlPlaneError):
            await starting
        await server.stop()
        print("localkube: stopped while starting", flush=True)
        return 0
    interrupted.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await interrupted
    try:
        starting.result()
    except ControlPlaneError as e:
        print(f"localkube: {e}", file=sys.stderr)
        return 1
    tune_gc()
    print(f"localkube: API server at {server.url}", flush=True)
    print(f"localkube: kubeconfig at {server.kubeconfig_path}", flush=True)
    print(f"localkube: export KUBECONFIG={server.kubeconfig_path}", flush=True)
    # localkube's controllers run with its API server (kube-controller-manager is the real
    # control plane's); the node only without --no-kubelet.
    parts: dict[str, asyncio.Task[object]] = {}
    if isinstance(server, APIServer):
        parts["controllers"] = asyncio.create_task(run_controllers(server.url, server.kubeconfig_path, stop))
    if kubelet:
        node_kubeconfig = server.node_kubeconfig_path if isinstance(server, KubernetesControlPlane) else None
        parts["node"] = asyncio.create_task(
            run_node(
                server.url,
                node_kubeconfig or server.kubeconfig_path,
                data_dir,
                cpu=node_cpu,
                memory=node_memory,
                pod_cidr=pod_cidr,
                stop=stop,
                control_plane_controllers=node_kubeconfig is not None,
                serving_tls=server.node_serving_tls() if isinstance(server, KubernetesControlPlane) else None,
            )
        )
    stopper: asyncio.Task[object] = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stopper, *parts.values()}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # the node stops its pods and removes its namespaces, links and mounts once told to
        stop.set()
        for task in parts.values():
            if not task.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(task), 120)
        leftovers: list[asyncio.Task[object]] = [*parts.values(), stopper]
        for leftover in leftovers:
            if not leftover.done():
                leftover.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await leftover
        await server.stop()
    failed = [
        f"{name}: {task.exception()}"
        for name, task in parts.items()
        if task.done() and not task.cancelled() and task.exception()
    ]
    if failed:
        print(f"localkube: failed: {'; '.join(failed)}", file=sys.stderr)
        return 1
    print("localkube: stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="localkube", description="A Kubernetes API server (and node) on one machine"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="run the API server (and the kubelet) in the foreground")
    p_up.add_argument(
        "--dir", required=True, type=Path, help="state directory (objects, certificates, kubeconfig)"
    )
    p_up.add_argument(
        "--in-memory",
        action="store_true",
        help="keep the API's objects in memory only: a restart forgets them",
    )
    p_up.add_argument(
        "--fsync",
        action="store_true",
        help="fsync every write: it then survives a power failure too, not only a crash (fewer writes/s)",
    )
    p_up.add_argument("--port", type=int, default=6443, help="HTTPS port (0: any free port)")
    p_up.add_argument("--no-kubelet", action="store_true", help="serve the API only, run no node")
    p_up.add_argument("--node-cpu", default="64", help="the node's cpu capacity (a Kubernetes quantity)")
    p_up.add_argument("--node-memory", default="256Gi", help="the node's memory capacity")
    p_up.add_argument("--pod-cidr", default="10.244.0.0/16", help="pod IPs; the bridge takes the first")
    p_up.add_argument(
        "--control-plane",
        choices=("localkube", "kubernetes"),
        default="localkube",
        help="localkube's own API server, or the real etcd, kube-apiserver, kube-controller-manager and "
        "kube-scheduler (built by tools/referees/build)",
    )
    p_up.add_argument(
        "--kubernetes-binaries",
        type=Path,
        help="directory printed by tools/referees/build (default: $LOCALKUBE_KUBERNETES_BINARIES, "
        "else kube-apiserver's directory on PATH)",
    )
    p_up.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "up":
        return asyncio.run(
            up(
                args.dir,
                args.port,
                not args.no_kubelet,
                args.node_cpu,
                args.node_memory,
                args.pod_cidr,
                durable=not args.in_memory,
                fsync=args.fsync,
                control_plane=args.control_plane,
                kubernetes_binaries=args.kubernetes_binaries,
            )
        )
    return 2
