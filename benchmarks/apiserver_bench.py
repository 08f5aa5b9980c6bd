"""localkube API server benchmark: pod creates/s from concurrent clients, watch delivery latency,
and the server's resident memory with the pods stored.

The API server runs as its own process (`python -m localkube.apiserver`; `--whole` runs
`localkube up --no-kubelet` instead); the load clients and watchers share a second process, so on a
2-core machine each side has a core.

    .venv/bin/python benchmarks/apiserver_bench.py [--pods 10000] [--clients 4] [--watchers 10]

`--against kubernetes` measures the real control plane (`localkube up --control-plane kubernetes
--no-kubelet`, binaries from tools/referees/build) in the same run, after localkube, and prints
both with their ratio; its memory is kube-apiserver's plus etcd's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

LOCALKUBE = Path(sys.executable).parent / "localkube"
BUILD = Path(__file__).resolve().parent.parent / "tools" / "referees" / "build"
NAMESPACE = "default"
MARK = b'"bench/sent":"'


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {"app": "bench"},
            "annotations": {"bench/sent": repr(time.time())},
        },
        "spec": {
            # no scheduler takes these, so kube-scheduler adds no load (and no Events) to the real one
            "schedulerName": "bench-unscheduled",
            "containers": [{"name": "c", "image": "python:3.11", "command": ["sleep", "infinity"]}],
        },
    }


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def watcher(
    session: aiohttp.ClientSession,
    url: str,
    rv: str,
    expect: int,
    latencies: list[float],
    ready: asyncio.Event,
) -> None:
    seen = 0
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "600"}
    async with session.get(f"{url}/api/v1/namespaces/{NAMESPACE}/pods", params=params) as resp:
        ready.set()
        buf = b""
        async for chunk in resp.content.iter_any():
            now = time.time()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                i = line.find(MARK)
                if i < 0 or not line.startswith(b'{"type":"ADDED"'):
                    continue
                start = i + len(MARK)
                sent = float(line[start : line.index(b'"', start)])
                latencies.append((now - sent) * 1000)
                seen += 1
            if seen >= expect:
                return


async def client(session: aiohttp.ClientSession, url: str, prefix: str, count: int) -> None:
    for i in range(count):
        async with session.post(
            f"{url}/api/v1/namespaces/{NAMESPACE}/pods", json=pod(f"{prefix}-{i}")
        ) as resp:
            if resp.status != 201:
                raise RuntimeError(f"create failed: {resp.status} {await resp.text()}")
            await resp.read()


async def run(url: str, token: str, ca: str, pods: int, clients: int, watchers: int) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=None)

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            headers=headers, timeout=timeout, connector=aiohttp.TCPConnector(ssl=ctx, limit=1)
        )

    async with session() as s, s.get(f"{url}/api/v1/namespaces/{NAMESPACE}/pods") as resp:
        rv = (await resp.json())["metadata"]["resourceVersion"]
    latencies: list[float] = []
    watch_sessions = [session() for _ in range(watchers)]
    readies = [asyncio.Event() for _ in range(watchers)]
    watch_tasks = [
        asyncio.create_task(watcher(ws, url, rv, pods, latencies, r))
        for ws, r in zip(watch_sessions, readies, strict=True)
    ]
    await asyncio.gather(*(r.wait() for r in readies))
    client_sessions = [session() for _ in range(clients)]
    per_client = pods // clients
    started = time.perf_counter()
    await asyncio.gather(*(client(cs, url, f"c{i}", per_client) for i, cs in enumerate(client_sessions)))
    elapsed = time.perf_counter() - started
    await asyncio.wait_for(asyncio.gather(*watch_tasks), timeout=120)
    for s in (*watch_sessions, *client_sessions):
        await s.close()
    created = per_client * clients
    return {
        "pods": created,
        "seconds": elapsed,
        "creates_per_s": created / elapsed,
        "watch_events": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
    }


def measure(command: list[str], state: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Start the server `command` (which writes state/kubeconfig when ready), load it, stop it."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        kubeconfig = state / "kubeconfig"
        deadline = time.monotonic() + 300
        while not kubeconfig.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.05)
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        token = config["users"][0]["user"]["token"]
        # the real control plane's memory is kube-apiserver's and etcd's (the processes that hold
        # the pods); localkube's is its one process
        pid_files = [state / "logs" / f"{name}.pid" for name in ("kube-apiserver", "etcd")]
        pids = [int(f.read_text()) for f in pid_files if f.exists()] or [server.pid]
        idle = sum(rss_mib(pid) for pid in pids)
        result = asyncio.run(
            run(
                cluster["server"],
                token,
                cluster["certificate-authority"],
                args.pods,
                args.clients,
                args.watchers,
            )
        )
        result["rss_idle_mib"] = idle
        result["rss_with_pods_mib"] = sum(rss_mib(pid) for pid in pids)
        return result
    finally:
        server.terminate()  # `localkube up` stops every process it started
        server.wait(120)


def report(name: str, result: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{name}: creates: {result['pods']} pods from {args.clients} clients in {result['seconds']:.2f}s "
        f"= {result['creates_per_s']:.0f} creates/s"
    )
    print(
        f"{name}: watch delivery ({args.watchers} watchers, {result['watch_events']} events, "
        f"send->receive): p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms"
    )
    print(
        f"{name}: server RSS: {result['rss_idle_mib']:.0f} MiB idle, {result['rss_with_pods_mib']:.0f} MiB "
        f"with {result['pods']} pods stored"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--whole", action="store_true", help="measure `localkube up --no-kubelet` instead")
    parser.add_argument(
        "--against",
        choices=("kubernetes",),
        help="also measure the real control plane (tools/referees/build) in the same run",
    )
    parser.add_argument("--kubernetes-binaries", type=Path, help="directory printed by tools/referees/build")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="localkube-bench-") as tmp:
        state = Path(tmp) / "localkube"
        # `--whole` measures `localkube up` (API server plus its Deployment/ReplicaSet controllers,
        # which keep their own cache of every pod); by default the API server alone is measured.
        command = (
            [str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet"]
            if args.whole
            else [sys.executable, "-m", "localkube.apiserver", "--dir", str(state), "--port", "0"]
        )
        results["localkube"] = measure(command, state, args)
        report("localkube", results["localkube"], args)
        if args.against == "kubernetes":
            binaries = args.kubernetes_binaries or Path(
                subprocess.run([str(BUILD)], check=True, capture_output=True, text=True).stdout.strip()
            )
            state = Path(tmp) / "kubernetes"
            command = [
                str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet",
                "--control-plane", "kubernetes", "--kubernetes-binaries", str(binaries),
            ]  # fmt: skip
            results["kubernetes"] = measure(command, state, args)
            report("kubernetes", results["kubernetes"], args)
            lk, k8s = results["localkube"], results["kubernetes"]
            print("| what | localkube | kubernetes v1.37.2 | localkube / kubernetes |")
            print("| --- | --- | --- | --- |")
            for label, key, unit in (
                ("pod creates/s, 4 clients", "creates_per_s", "/s"),
                ("watch delivery p50", "p50_ms", " ms"),
                ("watch delivery p99", "p99_ms", " ms"),
                (f"resident memory with {lk['pods']} pods", "rss_with_pods_mib", " MiB"),
            ):
                print(f"| {label} | {lk[key]:.1f}{unit} | {k8s[key]:.1f}{unit} | {lk[key] / k8s[key]:.2f} |")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
