"""`python -m localkube.apiserver --dir DIR [--port N]`: the API server alone (no node, no controllers),
in the foreground until SIGINT/SIGTERM. `localkube up` is the whole cluster; this is for measuring
and debugging the server by itself."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from localkube.apiserver.server import APIServer, tune_gc


async def serve(data_dir: Path, port: int) -> None:
    server = APIServer(data_dir, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    tune_gc()
    print(f"kubeconfig: {server.kubeconfig_path}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localkube.apiserver")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.port))


if __name__ == "__main__":
    main()
