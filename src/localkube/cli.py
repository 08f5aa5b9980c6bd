"""The `localkube` command line: `localkube up --dir DIR [--port N] [--no-kubelet]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import signal
import sys
from pathlib import Path

from localkube.apiserver.server import APIServer


async def up(
    data_dir: Path,
    port: int,
    kubelet: bool,
    node_cpu: str = "64",
    node_memory: str = "256Gi",
    pod_cidr: str = "10.244.0.0/16",
) -> int:
    gateway = str(ipaddress.ip_network(pod_cidr).network_address + 1)
    server = APIServer(data_dir, port=port, extra_sans=(gateway,))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    run_node = _node_runner() if kubelet else None
    if kubelet and run_node is None:
        print("localkube: the kubelet is not available yet; serving the API only", file=sys.stderr)
    await server.start()
    print(f"localkube: API server at {server.url}", flush=True)
    print(f"localkube: kubeconfig at {server.kubeconfig_path}", flush=True)
    print(f"localkube: export KUBECONFIG={server.kubeconfig_path}", flush=True)
    node_task: asyncio.Task[None] | None = None
    if run_node is not None:
        node_task = asyncio.create_task(
            run_node(
                server.url,
                server.kubeconfig_path,
                data_dir,
                cpu=node_cpu,
                memory=node_memory,
                pod_cidr=pod_cidr,
                stop=stop,
            )
        )
    stopper = asyncio.create_task(stop.wait())
    try:
        waiters: set[asyncio.Task[None] | asyncio.Task[bool]] = {stopper}
        if node_task is not None:
            waiters.add(node_task)
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # the node stops its pods and removes its namespaces, links and mounts once told to
        stop.set()
        if node_task is not None and not node_task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(node_task), 120)
        for task in (node_task, stopper):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await server.stop()
    if node_task is not None and node_task.done() and not node_task.cancelled() and node_task.exception():
        print(f"localkube: node failed: {node_task.exception()}", file=sys.stderr)
        return 1
    print("localkube: stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="localkube", description="A Kubernetes API server (and node) on one machine"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="run the API server (and the kubelet) in the foreground")
    p_up.add_argument("--dir", required=True, type=Path, help="state directory (certificates, kubeconfig)")
    p_up.add_argument("--port", type=int, default=6443, help="HTTPS port (0: any free port)")
    p_up.add_argument("--no-kubelet", action="store_true", help="serve the API only, run no node")
    p_up.add_argument("--node-cpu", default="64", help="the node's cpu capacity (a Kubernetes quantity)")
    p_up.add_argument("--node-memory", default="256Gi", help="the node's memory capacity")
    p_up.add_argument("--pod-cidr", default="10.244.0.0/16", help="pod IPs; the bridge takes the first")
    p_up.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "up":
        return asyncio.run(
            up(args.dir, args.port, not args.no_kubelet, args.node_cpu, args.node_memory, args.pod_cidr)
        )
    return 2
