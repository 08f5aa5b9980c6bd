"""localkube API server benchmark: pod creates/s from concurrent clients, watch delivery latency,
and the server's resident memory with the pods stored.

The API server runs as its own process (`python -m localkube.apiserver`, in memory; `--whole` runs
`localkube up --no-kubelet` instead, which keeps its state in SQLite unless `--in-memory`); the load
clients and watchers share a second process, so on a 2-core machine each side has a core.
`--restart` then SIGKILLs the server and times a restart with everything stored, until it answers
and a LIST returns every pod.

    .venv/bin/python benchmarks/apiserver_bench.py [--pods 10000] [--clients 4] [--watchers 10]
    .venv/bin/python benchmarks/apiserver_bench.py --whole [--in-memory | --fsync] [--restart]
    .venv/bin/python benchmarks/apiserver_bench.py --against kubernetes

`--against kubernetes` then measures the real control plane in the same run (`localkube up
--control-plane kubernetes --no-kubelet`, binaries from tools/referees/build) and prints both with
their ratio; its memory is kube-apiserver's plus etcd's, the processes that hold the pods.
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
            # no scheduler takes these, so kube-scheduler adds no load (nor Events) to the real one
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


def start(command: list[str], state: Path) -> subprocess.Popen[bytes]:
    """Start the server; return once it has written its kubeconfig (it answers by then)."""
    kubeconfig = state / "kubeconfig"
    kubeconfig.unlink(missing_ok=True)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300  # the real control plane takes seconds
    while not kubeconfig.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"localkube did not start: {server.stderr.read() if server.stderr else ''}")
        time.sleep(0.02)
    return server


async def count_pods(url: str, token: str, ca: str) -> int:
    ctx = ssl.create_default_context(cafile=ca)
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session,
        session.get(f"{url}/api/v1/namespaces/{NAMESPACE}/pods", ssl=ctx) as resp,
    ):
        return len((await resp.json())["items"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--whole", action="store_true", help="measure `localkube up --no-kubelet` instead")
    parser.add_argument("--in-memory", action="store_true", help="with --whole: no state file")
    parser.add_argument("--fsync", action="store_true", help="with --whole: fsync every write")
    parser.add_argument("--restart", action="store_true", help="with --whole: SIGKILL, then time a restart")
    parser.add_argument(
        "--against",
        choices=("kubernetes",),
        help="also measure the real control plane (tools/referees/build) in the same run",
    )
    parser.add_argument("--kubernetes-binaries", type=Path, help="directory printed by tools/referees/build")
    args = parser.parse_args()
    up_flags = ["--in-memory"] * args.in_memory + ["--fsync"] * args.fsync
    with tempfile.TemporaryDirectory(prefix="localkube-bench-") as tmp:
        state = Path(tmp)
        # `--whole` measures `localkube up` (API server plus its Deployment/ReplicaSet controllers,
        # which keep their own cache of every pod); by default the API server alone is measured.
        command = (
            [str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet", *up_flags]
            if args.whole
            else [sys.executable, "-m", "localkube.apiserver", "--dir", str(state), "--port", "0"]
        )
        server = start(command, state)
        try:
            config = yaml.safe_load((state / "kubeconfig").read_text())
            cluster = config["clusters"][0]["cluster"]
            token = config["users"][0]["user"]["token"]
            idle = rss_mib(server.pid)
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
            result["rss_with_pods_mib"] = rss_mib(server.pid)
            if args.whole and args.restart:
                server.kill()
                server.wait(30)
                started = time.perf_counter()
                server = start(command, state)
                answering = time.perf_counter() - started
                config = yaml.safe_load((state / "kubeconfig").read_text())
                listed = asyncio.run(
                    count_pods(
                        config["clusters"][0]["cluster"]["server"],
                        config["users"][0]["user"]["token"],
                        cluster["certificate-authority"],
                    )
                )
                result["restart_s"] = answering
                result["restart_listed"] = listed
        finally:
            server.terminate()
            server.wait(30)
    print(
        f"creates: {result['pods']} pods from {args.clients} clients in {result['seconds']:.2f}s "
        f"= {result['creates_per_s']:.0f} creates/s"
    )
    print(
        f"watch delivery ({args.watchers} watchers, {result['watch_events']} events, send->receive): "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms"
    )
    print(
        f"server RSS: {result['rss_idle_mib']:.0f} MiB idle, {result['rss_with_pods_mib']:.0f} MiB "
        f"with {result['pods']} pods stored"
    )
    if "restart_s" in result:
        print(
            f"restart after SIGKILL: answering in {result['restart_s']:.2f}s "
            f"with {result['restart_listed']} pods listed"
        )
    if args.against == "kubernetes":
        real = measure_kubernetes(args)
        print("| what | localkube | kubernetes v1.37.2 | localkube / kubernetes |")
        print("| --- | --- | --- | --- |")
        for label, key in (
            (f"pod creates/s, {args.clients} clients", "creates_per_s"),
            (f"watch delivery p50 (ms), {args.watchers} watchers", "p50_ms"),
            ("watch delivery p99 (ms)", "p99_ms"),
            (f"resident memory (MiB) with {result['pods']} pods", "rss_with_pods_mib"),
        ):
            print(f"| {label} | {result[key]:.1f} | {real[key]:.1f} | {result[key] / real[key]:.2f} |")
        result = {"localkube": result, "kubernetes": real}
    print(json.dumps(result))
    return 0


def measure_kubernetes(args: argparse.Namespace) -> dict[str, Any]:
    binaries = args.kubernetes_binaries or Path(
        subprocess.run([str(BUILD)], check=True, capture_output=True, text=True).stdout.strip()
    )
    with tempfile.TemporaryDirectory(prefix="localkube-bench-k8s-") as tmp:
        state = Path(tmp)
        command = [
            str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet",
            "--control-plane", "kubernetes", "--kubernetes-binaries", str(binaries),
        ]  # fmt: skip
        server = start(command, state)
        try:
            pids = [int((state / "logs" / f"{name}.pid").read_text()) for name in ("kube-apiserver", "etcd")]
            config = yaml.safe_load((state / "kubeconfig").read_text())
            cluster = config["clusters"][0]["cluster"]
            idle = sum(rss_mib(pid) for pid in pids)
            result = asyncio.run(
                run(
                    cluster["server"],
                    config["users"][0]["user"]["token"],
                    cluster["certificate-authority"],
                    args.pods,
                    args.clients,
                    args.watchers,
                )
            )
            result["rss_idle_mib"] = idle
            result["rss_with_pods_mib"] = sum(rss_mib(pid) for pid in pids)
        finally:
            server.terminate()  # `localkube up` stops every process it started
            server.wait(120)
    print(
        f"kubernetes: {result['creates_per_s']:.0f} creates/s; watch p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms; kube-apiserver + etcd RSS {result['rss_with_pods_mib']:.0f} MiB"
    )
    return result


if __name__ == "__main__":
    raise SystemExit(main())
