"""The `kuberay demo` subcommand: flags, pre-flight checks, and the run with signal handling."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from kuberay.demo import preflight, processes

DEFAULT_SAMPLE = Path(__file__).resolve().parents[3] / "config" / "samples" / "ray-cluster.autoscaler.yaml"


def add_demo_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="play the autoscaling walkthrough live on localkube (needs root)",
        description=(
            "Start localkube, install the RayCluster CRD, run the operator, apply the autoscaler "
            "sample and play the walkthrough: two detached actors add two worker pods, ending "
            "them removes the pods after idleTimeoutSeconds. Everything is stopped at the end."
        ),
    )
    p.add_argument(
        "--idle-timeout", type=int, default=20, metavar="N", help="idleTimeoutSeconds (default 20)"
    )
    p.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="where kuberay-demo.png goes")
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="leave localkube and the operator up until Ctrl-C, to explore",
    )
    p.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help=argparse.SUPPRESS)
    p.set_defaults(func=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    # Ctrl-C is how the demo is stopped, even when a non-interactive shell started it in the
    # background with SIGINT ignored (Python then installs no KeyboardInterrupt handler).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    console = Console()
    found = preflight.problems(
        os.geteuid(),
        shutil.which,
        lambda module: importlib.util.find_spec(module) is not None,
        (processes.BIN / "localkube").exists(),
    )
    if not args.sample.exists():
        found.append(
            f"the autoscaler sample is not at {args.sample} (run from a checkout of this repository)"
        )
    if args.idle_timeout < 1:
        found.append("--idle-timeout must be at least 1 second")
    if found:
        for problem in found:
            print(f"kuberay demo: {problem}", file=sys.stderr)
        return 2
    from kuberay.demo.walkthrough import Options

    workdir = Path(tempfile.mkdtemp(prefix="kuberay-demo-"))
    options = Options(args.sample, args.idle_timeout, args.out, args.keep_running, workdir)
    console.print(f"kuberay demo: working directory {workdir} (localkube state and logs)")
    return asyncio.run(_main(options, console))


async def _main(options: object, console: Console) -> int:
    from kuberay.demo.walkthrough import Options, run

    assert isinstance(options, Options)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        # SIGTERM ends the demo the way Ctrl-C does: the walkthrough is cancelled, cleanup runs
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run(options, console)
    except asyncio.CancelledError:
        console.print("interrupted.")
        return 130
