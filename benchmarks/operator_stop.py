"""How long `kuberay operator` takes to exit after SIGTERM (what a rolling update of its
Deployment, a leader's handover or Ctrl-C waits for), with its watches running.

Starts localkube's API server in this process with the RayCluster, RayJob and RayService CRDs,
then N times: starts the operator, waits until it serves its endpoints and has listed, sends
SIGTERM and times the exit.

Usage: .venv/bin/python benchmarks/operator_stop.py [--runs 5]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import tempfile
import time
from pathlib import Path

import kubernetes

from kuberay.api.crd import KINDS, render_crd
from localkube.testing import running_apiserver
from operator_scale import start_operator


def one_stop(kubeconfig: Path, log: Path) -> float:
    proc, _ = start_operator(kubeconfig, log)
    try:
        time.sleep(3)  # past the first LIST: the watches and workers are running
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        return time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_apiserver(Path(tmp) / "api") as server:
        api = kubernetes.config.new_client_from_config(config_file=str(server.kubeconfig_path))
        for kind in KINDS:
            kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(render_crd(kind))
        times = [one_stop(server.kubeconfig_path, Path(tmp) / f"operator-{i}.log") for i in range(args.runs)]
    print(f"SIGTERM -> exit: median {statistics.median(times):.2f} s over {args.runs} runs")
    print("runs: " + ", ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
